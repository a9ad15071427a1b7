import { createHash } from 'crypto';

/** Defaults for the simulated mini-program. Real ones look alike: wx + 16 hex, and a CloudBase env id. */
export const DEFAULT_APPID = 'wx0000000000devcld';
export const DEFAULT_ENV = 'devcloud-0gdevcld';
export const DEFAULT_APPSECRET = 'devcloud-appsecret-not-a-real-one';

/**
 * A simulated WeChat user's OPENID in a mini-program: stable per (appid, user), 28 characters, the shape WeChat
 * uses. The same user gets a different OPENID in another appid, and one UNIONID across them, as in WeChat.
 */
export function openidFor(appid: string, user: string): string {
  return 'o' + digest(`openid:${appid}:${user}`).slice(0, 27);
}

export function unionidFor(user: string): string {
  return 'u' + digest(`unionid:${user}`).slice(0, 27);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64').replace(/[+/=]/g, '').replace(/^(.)/, 'x$1');
}
