import * as v from 'valibot';
import type { LoginResult } from '../../../contracts';
import { AppFailure } from '../../../server/errors';
import { defineHandler } from '../../../server/handler';
import { issueLoginToken, tokenSettings } from '../../../server/token';
import { recordLogin, toProfile } from '../../../server/users';
import { code2Session } from '../../../server/wechat';

/** `{ code?, loginId? }`; other fields (WeChat's own userInfo among them) are dropped, never trusted. */
const LoginEventSchema = v.object({
  code: v.optional(
    v.pipe(v.string('code 必须是字符串'), v.minLength(1, 'code 不能为空'), v.maxLength(128, 'code 过长')),
  ),
  loginId: v.optional(
    v.pipe(v.string('loginId 必须是字符串'), v.regex(/^[A-Za-z0-9_-]{8,64}$/, 'loginId 须为 8 到 64 位字母数字')),
  ),
});

export const main = defineHandler('login', LoginEventSchema, async ({ event, identity }): Promise<LoginResult> => {
  const tokens = tokenSettings(); // CONFIG_ERROR here, before any WeChat call or database write
  const options = event.loginId === undefined ? {} : { loginId: event.loginId };
  if (event.code === undefined) {
    const { user, isNewUser } = await recordLogin(identity, options);
    return { user: toProfile(user), isNewUser, ...(await issueLoginToken(tokens, identity, user)) };
  }
  // The context OPENID is the identity; code2Session is only how we obtain this user's session_key.
  const session = await code2Session(identity.appid, event.code);
  if (session.openid !== identity.openid) {
    throw new AppFailure('WX_CODE_MISMATCH', '登录凭证与当前用户不符，请重新登录', { reason: 'openid mismatch' });
  }
  const { user, isNewUser } = await recordLogin(identity, { ...options, session });
  return { user: toProfile(user), isNewUser, ...(await issueLoginToken(tokens, identity, user)) };
});
