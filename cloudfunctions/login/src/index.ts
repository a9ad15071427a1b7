import * as v from 'valibot';
import type { LoginResult } from '../../../contracts';
import { AppFailure } from '../../../server/errors';
import { defineHandler } from '../../../server/handler';
import { issueLoginToken, tokenSettings } from '../../../server/token';
import { getUser, recordLogin, toProfile, type UserDocument } from '../../../server/users';
import { code2Session, type WeChatSession } from '../../../server/wechat';
import { LoginAudit } from './audit';
import { riskGate } from './risk';

/** `{ code?, loginId? }`; other fields (WeChat's own userInfo among them) are dropped, never trusted. */
const LoginEventSchema = v.object({
  code: v.optional(
    v.pipe(v.string('code 必须是字符串'), v.minLength(1, 'code 不能为空'), v.maxLength(128, 'code 过长')),
  ),
  loginId: v.optional(
    v.pipe(v.string('loginId 必须是字符串'), v.regex(/^[A-Za-z0-9_-]{8,64}$/, 'loginId 须为 8 到 64 位字母数字')),
  ),
});

export const main = defineHandler<typeof LoginEventSchema, LoginResult, LoginAudit>(
  'login',
  LoginEventSchema,
  async ({ event, identity, run: audit }): Promise<LoginResult> => {
    // Configuration first: a misconfigured function answers CONFIG_ERROR before any call or write.
    const tokens = tokenSettings();
    const risk = riskGate(identity);
    let session: WeChatSession | undefined;
    let known: UserDocument | null | undefined;
    if (event.code !== undefined) {
      risk?.start(); // beside code2Session: a new user then waits for nothing more than its insert
      // The user's document is read beside code2Session, at no extra latency: the write that follows is then the
      // right one (increment or insert), and a banned user is refused before anything is written.
      [session, known] = await Promise.all([code2Session(identity.appid, event.code), getUser(identity.openid)]);
      // The context OPENID is the identity; code2Session is only how we obtain this user's session_key.
      if (session.openid !== identity.openid) {
        throw new AppFailure('WX_CODE_MISMATCH', '登录凭证与当前用户不符，请重新登录', { reason: 'openid mismatch' });
      }
    }
    // The audit entry goes beside the users write, saying what the login will be: with a code, the read beside
    // code2Session tells a new user from a returning one; without one, a returning user is the common case.
    if (known?.status !== 'banned') audit.predict({ isNewUser: known === null });
    const { user, isNewUser } = await recordLogin(identity, {
      ...(event.loginId === undefined ? {} : { loginId: event.loginId }),
      ...(session ? { session, known } : {}),
      ...(risk ? { admitNewUser: () => risk.admit() } : {}),
    });
    return { user: toProfile(user), isNewUser, ...(await issueLoginToken(tokens, identity, user)) };
  },
  {
    begin: (identity, rawEvent) => new LoginAudit(identity, hasCode(rawEvent)),
    settled: (audit, envelope) => audit.settle(envelope),
  },
);

function hasCode(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'code' in event;
}
