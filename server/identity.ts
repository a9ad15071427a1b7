import { cloud } from './cloud';
import { AppFailure } from './errors';

/** Who is calling, as the WeChat runtime vouches for it. Never taken from the event (event.userInfo is client data). */
export interface Identity {
  openid: string;
  appid: string;
  unionid?: string;
  /** The CloudBase environment the function runs in (names its storage bucket). */
  env?: string;
}

export function callerIdentity(): Identity {
  const context = cloud.getWXContext();
  // getWXContext turns all-digit values into numbers: normalise to strings.
  const openid = String(context.OPENID ?? '');
  const appid = String(context.APPID ?? '');
  const unionid = context.UNIONID ? String(context.UNIONID) : undefined;
  if (!openid) throw new AppFailure('NO_IDENTITY', '无法识别调用者身份：请从小程序内调用');
  const env = context.ENV ? String(context.ENV) : undefined;
  return { openid, appid, ...(unionid ? { unionid } : {}), ...(env ? { env } : {}) };
}
