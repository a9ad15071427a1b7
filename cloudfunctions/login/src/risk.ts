import { AppFailure, describeError } from '../../../cloudbase/errors';
import type { Identity } from '../../../cloudbase/identity';
import { log } from '../../../cloudbase/log';
import { callOpenApi, openapi } from '../../../cloudbase/openapi';

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

export function riskGate(identity: Identity): RiskGate | undefined {
  const setting = process.env.RISK_BLOCK_RANK;
  if (setting === undefined || setting.trim() === '') return undefined;
  const threshold = Number(setting);
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 4) {
    throw new AppFailure('CONFIG_ERROR', '服务端 RISK_BLOCK_RANK 配置错误（应为 0 到 4 的整数）');
  }
  let rank: Promise<number | undefined> | undefined;
  const start = () => {
    rank ??= riskRankOf(identity);
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

async function riskRankOf(identity: Identity): Promise<number | undefined> {
  try {
    const reply = await callOpenApi('riskControl.getUserRiskRank', () =>
      openapi().riskControl.getUserRiskRank({
        appid: identity.appid,
        openid: identity.openid,
        scene: 0,
        clientIp: identity.clientIp ?? '',
      }),
    );
    const riskRank = Number((reply as { riskRank?: unknown }).riskRank);
    if (!Number.isInteger(riskRank)) throw new Error('no risk_rank in the reply');
    return riskRank;
  } catch (error) {
    log.warn('login', 'RISK_CHECK_FAILED', { ...describeError(error), outcome: 'allowed (fail-open)' });
    return undefined;
  }
}
