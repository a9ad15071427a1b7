import { AppFailure } from './errors';
import { getJson, HttpFailure } from './http';
import type { WeChatSession } from './ports';

/**
 * auth.code2Session over HTTPS with the AppSecret: the same call on both hosts (CloudBase offers no cloud call for
 * it). Never from the mini-program: the AppSecret would ship to every phone.
 */

export interface WeChatApiConfig {
  baseUrl: string;
  appSecret: string;
  timeoutMs: number;
}

/** Read at call time so a function instance picks up configuration changes without a redeploy. */
export function weChatApiConfig(env: NodeJS.ProcessEnv = process.env): WeChatApiConfig {
  const appSecret = env.WECHAT_APPSECRET ?? '';
  if (!appSecret) {
    throw new AppFailure('CONFIG_ERROR', '服务端未配置 WECHAT_APPSECRET', { variable: 'WECHAT_APPSECRET' });
  }
  // 3 s per attempt, two attempts at most: within a function timeout of 10 s (see docs/SHIPPING.md) with room to spare.
  const timeoutMs = Number(env.WECHAT_API_TIMEOUT_MS ?? '') || 3000;
  const baseUrl = (env.WECHAT_API_BASE || 'https://api.weixin.qq.com').replace(/\/+$/, '');
  return { baseUrl, appSecret, timeoutMs };
}

interface WeChatErrorReply {
  errcode?: number;
  errmsg?: string;
}

/** errcode -1 means "system busy, retry" in WeChat's docs: the only case worth a second try. */
const MAX_ATTEMPTS_ON_BUSY = 2;

/** auth.code2Session: exchange a wx.login code for the caller's openid and session_key. */
export async function code2Session(appid: string, code: string, config = weChatApiConfig()): Promise<WeChatSession> {
  const query = new URLSearchParams({
    appid,
    secret: config.appSecret,
    js_code: code,
    grant_type: 'authorization_code',
  });
  const url = `${config.baseUrl}/sns/jscode2session?${query.toString()}`;
  for (let attempt = 1; ; attempt += 1) {
    const reply = await callWeChat(url, config.timeoutMs);
    const errcode = reply.errcode ?? 0;
    if (errcode === -1 && attempt < MAX_ATTEMPTS_ON_BUSY) continue;
    if (errcode !== 0) throw mapCode2SessionError(errcode, reply.errmsg);
    const { openid, session_key: sessionKey, unionid } = reply as Record<string, unknown>;
    if (typeof openid !== 'string' || typeof sessionKey !== 'string') {
      throw new AppFailure('WX_UNAVAILABLE', '微信登录服务返回异常', { reason: 'malformed reply' });
    }
    return typeof unionid === 'string' ? { openid, sessionKey, unionid } : { openid, sessionKey };
  }
}

async function callWeChat(url: string, timeoutMs: number): Promise<WeChatErrorReply> {
  try {
    const reply = await getJson(url, timeoutMs);
    if (!reply || typeof reply !== 'object') throw new HttpFailure('parse', 'reply is not an object');
    return reply;
  } catch (error) {
    const reason = error instanceof HttpFailure ? error.kind : 'network';
    throw new AppFailure('WX_UNAVAILABLE', '微信服务暂时不可用，请稍后重试', { reason });
  }
}

function mapCode2SessionError(errcode: number, errmsg: string | undefined): AppFailure {
  const detail = { errcode, errmsg };
  switch (errcode) {
    case 40029: // invalid code
    case 40163: // code been used
      return new AppFailure('WX_CODE_INVALID', '登录凭证无效或已使用，请重新登录', detail);
    case 45011:
      return new AppFailure('WX_RATE_LIMITED', '登录过于频繁，请稍后再试', detail);
    case 40226:
      return new AppFailure('WX_RISKY_USER', '当前账号存在风险，暂时无法登录', detail);
    case -1:
      return new AppFailure('WX_UNAVAILABLE', '微信服务繁忙，请稍后重试', detail);
    case 40125: // invalid appsecret
    case 40013: // invalid appid
      return new AppFailure('CONFIG_ERROR', '服务端小程序配置错误', detail);
    default:
      return new AppFailure('WX_UNAVAILABLE', '微信登录服务异常，请稍后重试', detail);
  }
}
