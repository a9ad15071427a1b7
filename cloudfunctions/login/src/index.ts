import * as v from 'valibot';
import type { LoginResult } from '../../../contracts';
import { AppFailure } from '../../../cloudbase/errors';
import { defineHandler } from '../../../cloudbase/handler';
import type { Identity } from '../../../cloudbase/identity';
import { issueLoginToken, tokenSettings, type TokenSettings } from '../../../cloudbase/token';
import {
  banOutlivedAccount,
  bannedFailure,
  getUser,
  recordLogin,
  toProfile,
  withAccountId,
  type UserDocument,
} from '../../../cloudbase/users';
import { code2Session, type WeChatSession } from '../../../cloudbase/wechat';
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
  refresh: v.optional(v.literal(true, 'refresh 只能为 true')),
});

export const main = defineHandler<typeof LoginEventSchema, LoginResult, LoginAudit>(
  'login',
  LoginEventSchema,
  async ({ event, identity, run: audit }): Promise<LoginResult> => {
    // Configuration first: a misconfigured function answers CONFIG_ERROR before any call or write.
    const tokens = tokenSettings();
    if (event.refresh) {
      if (event.code !== undefined) throw new AppFailure('INVALID_ARGUMENT', '参数错误：refresh 不能与 code 同时使用');
      audit.predict({ isNewUser: false });
      return refreshToken(identity, tokens);
    }
    const risk = riskGate(identity);
    let session: WeChatSession | undefined;
    let known: UserDocument | null | undefined;
    // A ban that outlived 注销 refuses the new account; read once, beside code2Session when there is a code.
    let banKept: Promise<boolean> | undefined;
    const keptBan = () => (banKept ??= banOutlivedAccount(identity.openid));
    if (event.code !== undefined) {
      risk?.start(); // beside code2Session: a new user then waits for nothing more than its insert
      // The user's document is read beside code2Session, at no extra latency: the write that follows is then the
      // right one (increment or insert), and a banned user is refused before anything is written.
      [session, known] = await Promise.all([
        code2Session(identity.appid, event.code),
        getUser(identity.openid),
        keptBan(),
      ]);
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
      admitNewUser: async () => {
        if (await keptBan()) throw bannedFailure();
        await risk?.admit();
      },
    });
    const subject = tokens ? await accountWithId(user) : user;
    return { user: toProfile(subject), isNewUser, ...(await issueLoginToken(tokens, identity, subject)) };
  },
  {
    begin: (identity, rawEvent) => new LoginAudit(identity, hasField(rawEvent, 'code'), isRefresh(rawEvent)),
    settled: (audit, envelope) => audit.settle(envelope),
  },
);

/**
 * A token refresh (the client's token expired or was refused): a new token for the account as it is now. Not a
 * login: loginCount and lastLoginAt stay as they are, and the audit entry says `refresh`. The account must exist
 * and not be banned; a refresh never creates one.
 */
async function refreshToken(identity: Identity, tokens: TokenSettings | undefined): Promise<LoginResult> {
  const user = await getUser(identity.openid);
  if (!user) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  if (user.status === 'banned') throw bannedFailure();
  const subject = tokens ? await accountWithId(user) : user;
  return { user: toProfile(subject), isNewUser: false, ...(await issueLoginToken(tokens, identity, subject)) };
}

/** The user with an accountId to put in the token (older documents get one now). */
async function accountWithId(user: UserDocument): Promise<UserDocument> {
  const current = await withAccountId(user);
  if (!current) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录', { reason: 'deleted during login' });
  return current;
}

function hasField(event: unknown, field: string): boolean {
  return typeof event === 'object' && event !== null && field in event;
}

function isRefresh(event: unknown): boolean {
  return hasField(event, 'refresh') && (event as { refresh?: unknown }).refresh === true;
}
