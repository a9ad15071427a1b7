import { cloud } from './cloud';
import { AppFailure } from '../core/errors';
import type { Identity } from '../core/ports';

export type { Identity } from '../core/ports';

/** Who is calling, as the WeChat runtime vouches for it. Never taken from the event (event.userInfo is client data). */
export function callerIdentity(): Identity {
  const context = cloud.getWXContext();
  // getWXContext turns all-digit values into numbers: normalise to strings.
  const openid = String(context.OPENID ?? '');
  const appid = String(context.APPID ?? '');
  if (!openid) throw new AppFailure('NO_IDENTITY', '无法识别调用者身份：请从小程序内调用');
  const optional = {
    unionid: context.UNIONID,
    env: context.ENV,
    clientIp: context.CLIENTIP,
    source: context.SOURCE,
  };
  const identity: Identity = { openid, appid };
  for (const [key, value] of Object.entries(optional) as Array<[keyof typeof optional, unknown]>) {
    if (typeof value === 'string' || typeof value === 'number') {
      if (value !== '') identity[key] = String(value);
    }
  }
  return identity;
}

/** Whether the invocation has a WeChat user behind it (a timer trigger has none). */
export function hasCallerIdentity(): boolean {
  return !!cloud.getWXContext().OPENID;
}
