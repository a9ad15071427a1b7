import * as v from 'valibot';
import type { LoginResult } from '../../../contracts';
import { AppFailure } from '../../../server/errors';
import { defineHandler } from '../../../server/handler';
import { recordLogin, recordLoginWithSession, toProfile } from '../../../server/users';
import { code2Session } from '../../../server/wechat';

/** `{ code?: string }`; other fields (WeChat's own userInfo among them) are dropped, never trusted. */
const LoginEventSchema = v.object({
  code: v.optional(
    v.pipe(v.string('code 必须是字符串'), v.minLength(1, 'code 不能为空'), v.maxLength(128, 'code 过长')),
  ),
});

export const main = defineHandler('login', LoginEventSchema, async ({ event, identity }): Promise<LoginResult> => {
  if (event.code === undefined) {
    const { user, isNewUser } = await recordLogin(identity);
    return { user: toProfile(user), isNewUser };
  }
  // The context OPENID is the identity; code2Session is only how we obtain this user's session_key.
  const session = await code2Session(identity.appid, event.code);
  if (session.openid !== identity.openid) {
    throw new AppFailure('WX_CODE_MISMATCH', '登录凭证与当前用户不符，请重新登录', { reason: 'openid mismatch' });
  }
  const { user, isNewUser } = await recordLoginWithSession(identity, session);
  return { user: toProfile(user), isNewUser };
});
