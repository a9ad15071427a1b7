import { AppFailure, describeError } from './errors';
import { log } from './log';
import type { Identity, WeChatPort } from './ports';
import { callWeChat } from './wechat-calls';

/**
 * The registration risk check (riskControl.getUserRiskRank, scene 0 = 注册): a new user whose risk_rank (0-4) is at
 * least RISK_BLOCK_RANK is refused with WX_RISKY_USER and no user is created. Unset means off, at no cost. The call
 * fails open: if WeChat cannot answer, the login goes ahead and the failure is logged.
 */
export interface RiskGate {
  /** Starts the call (once): the login issues it beside code2Session. */
  start(): void;
  /** Awaited before a new user is created; throws WX_RISKY_USER. */
  admit(): Promise<void>;
}

export function riskGate(wechat: WeChatPort, identity: Identity, threshold: number | undefined): RiskGate | undefined {
  if (threshold === undefined) return undefined;
  let rank: Promise<number | undefined> | undefined;
  const start = () => {
    rank ??= riskRankOf(wechat, identity);
    return rank;
  };
  return {
    start: () => void start(),
    async admit() {
      const riskRank = await start();
      if (riskRank !== undefined && riskRank >= threshold) {
        throw new AppFailure('WX_RISKY_USER', '当前账号存在风险，暂时无法注册', { riskRank, threshold });
      }
    },
  };
}

async function riskRankOf(wechat: WeChatPort, identity: Identity): Promise<number | undefined> {
  try {
    const reply = await callWeChat('riskControl.getUserRiskRank', () =>
      wechat.getUserRiskRank({
        appid: identity.appid,
        openid: identity.openid,
        scene: 0,
        clientIp: identity.clientIp ?? '',
      }),
    );
    const riskRank = Number(reply.riskRank);
    if (!Number.isInteger(riskRank)) throw new Error('no risk_rank in the reply');
    return riskRank;
  } catch (error) {
    log.warn('login', 'RISK_CHECK_FAILED', { ...describeError(error), outcome: 'allowed (fail-open)' });
    return undefined;
  }
}
