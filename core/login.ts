import { randomBytes } from 'crypto';
import type * as v from 'valibot';
import type { Envelope, LoginResult } from '../contracts';
import { AppFailure } from './errors';
import { LoginAudit } from './login-audit';
import type { Identity, KitContext, UserRecord, WeChatSession } from './ports';
import { bannedFailure, toProfile, userNotFound } from './profile';
import { riskGate } from './risk';
import { answer, parseEvent } from './run';
import { LoginEventSchema } from './schemas';
import { issueLoginToken, type TokenSettings } from './token';

/** Who calls: the identity, when the host vouches for it before any call (CloudBase's WeChat context). */
export type LoginCaller =
  | { identity: Identity }
  /** Otherwise (the own server) the OPENID is what code2Session answers for the code: a code is required. */
  | { origin: Omit<Identity, 'openid' | 'unionid'> };

export interface LoginHooks {
  /** Before anything is written, once the identity is known (the own server's per-user login rate limit). */
  admit?(identity: Identity): Promise<void>;
  /** More fields for a successful answer (the own server's refresh token); its failure fails the login. */
  extend?(user: UserRecord, identity: Identity): Promise<Record<string, string>>;
}

type LoginEvent = v.InferOutput<typeof LoginEventSchema>;

/**
 * A login: the event `{ code?, loginId?, refresh? }` as `unknown`, one audit entry per call with an identity, and
 * every outcome as the envelope. The same on both hosts; only where the identity comes from differs.
 */
export async function runLogin(
  ctx: KitContext,
  caller: LoginCaller,
  rawEvent: unknown,
  hooks: LoginHooks = {},
): Promise<Envelope<LoginResult>> {
  const known = 'identity' in caller ? caller.identity : undefined;
  const withCode = hasField(rawEvent, 'code');
  const refresh = hasField(rawEvent, 'refresh') && (rawEvent as { refresh?: unknown }).refresh === true;
  let audit = known ? new LoginAudit(ctx.store, known, withCode, refresh) : undefined;
  const envelope = await answer('login', async () => {
    const event = parseEvent(LoginEventSchema, rawEvent);
    // Configuration first: a misconfigured host answers CONFIG_ERROR before any call or write.
    const tokens = ctx.config.tokens();
    if (event.refresh) {
      if (event.code !== undefined) throw new AppFailure('INVALID_ARGUMENT', '参数错误：refresh 不能与 code 同时使用');
      if (!known) throw new AppFailure('INVALID_ARGUMENT', '参数错误：刷新请使用 refreshToken');
      audit?.predict({ isNewUser: false });
      return refreshSession(ctx, known, tokens);
    }
    if (known) return loginAs(ctx, known, event, tokens, audit, hooks);
    if (event.code === undefined) throw new AppFailure('INVALID_ARGUMENT', '参数错误：code（code 不能为空）');
    const origin = (caller as { origin: Omit<Identity, 'openid' | 'unionid'> }).origin;
    // The OPENID WeChat answers for the code is the identity.
    const session = await ctx.wechat.code2Session(event.code);
    const identity: Identity = {
      ...origin,
      openid: session.openid,
      ...(session.unionid ? { unionid: session.unionid } : {}),
    };
    audit = new LoginAudit(ctx.store, identity, true);
    return loginAs(ctx, identity, event, tokens, audit, hooks, session);
  });
  await audit?.settle(envelope);
  return envelope;
}

async function loginAs(
  ctx: KitContext,
  identity: Identity,
  event: LoginEvent,
  tokens: TokenSettings | undefined,
  audit: LoginAudit | undefined,
  hooks: LoginHooks,
  sessionFromCode?: WeChatSession,
): Promise<LoginResult> {
  const risk = riskGate(ctx.wechat, identity, ctx.config.riskBlockRank());
  let session = sessionFromCode;
  let known: UserRecord | null | undefined;
  // A ban that outlived 注销 refuses the new account; read once, beside code2Session when there is a code.
  let banKept: Promise<boolean> | undefined;
  const keptBan = () => (banKept ??= ctx.store.isBanKept(identity.openid));
  if (event.code !== undefined && !session) {
    risk?.start(); // beside code2Session: a new user then waits for nothing more than its insert
    // The user's record is read beside code2Session, at no extra latency: the write that follows is then the
    // right one (increment or insert), and a banned user is refused before anything is written.
    [session, known] = await Promise.all([
      ctx.wechat.code2Session(event.code),
      ctx.store.getUser(identity.openid),
      keptBan(),
    ]);
    // The context OPENID is the identity; code2Session is only how we obtain this user's session_key.
    if (session.openid !== identity.openid) {
      throw new AppFailure('WX_CODE_MISMATCH', '登录凭证与当前用户不符，请重新登录', { reason: 'openid mismatch' });
    }
  }
  await hooks.admit?.(identity);
  // The audit entry goes beside the users write, saying what the login will be: with a code, the read beside
  // code2Session tells a new user from a returning one; without one, a returning user is the common case.
  if (known?.status !== 'banned') audit?.predict({ isNewUser: known === null });
  const unionid = identity.unionid ?? session?.unionid;
  const { user, isNewUser } = await ctx.store.recordLogin({
    identity: unionid ? { ...identity, unionid } : identity,
    loginId: event.loginId ?? randomBytes(12).toString('hex'),
    ...(session ? { session } : {}),
    ...(known === undefined ? {} : { known }),
    admitNewUser: async () => {
      if (await keptBan()) throw bannedFailure();
      await risk?.admit();
    },
    now: new Date(),
  });
  if (isNewUser) await refuseIfBanKept(ctx, identity.openid);
  const subject = tokens ? await accountWithId(ctx, user) : user;
  return {
    user: toProfile(subject),
    isNewUser,
    ...(await issueLoginToken(tokens, identity, subject)),
    ...(await hooks.extend?.(subject, identity)),
  };
}

/**
 * A token refresh (the client's token expired or was refused): a new token for the account as it is now. Not a
 * login: loginCount and lastLoginAt stay as they are, and the audit entry says `refresh`. The account must exist
 * and not be banned; a refresh never creates one.
 */
export async function refreshSession(
  ctx: KitContext,
  identity: Identity,
  tokens: TokenSettings | undefined,
): Promise<LoginResult> {
  const user = await ctx.store.getUser(identity.openid);
  if (!user) throw userNotFound();
  if (user.status === 'banned') throw bannedFailure();
  const subject = tokens ? await accountWithId(ctx, user) : user;
  return { user: toProfile(subject), isNewUser: false, ...(await issueLoginToken(tokens, identity, subject)) };
}

/**
 * A new account for an OPENID whose ban outlived its 注销 is refused by the read before the insert, except when that
 * 注销 kept the ban after the read and removed the old account before the insert (the two race). The ban is kept
 * before the old account goes, so a read after the insert always sees it: the new account is then banned too, and
 * the login refused, as if it had come a moment later.
 */
async function refuseIfBanKept(ctx: KitContext, openid: string): Promise<void> {
  if (!(await ctx.store.isBanKept(openid))) return;
  await ctx.store.ban(openid, undefined, new Date());
  throw bannedFailure();
}

/** The user with an accountId to put in the token (older records get one now). */
async function accountWithId(ctx: KitContext, user: UserRecord): Promise<UserRecord> {
  const current = await ctx.store.withAccountId(user);
  if (!current) throw userNotFound('账号不存在，请先登录');
  return current;
}

function hasField(event: unknown, field: string): boolean {
  return typeof event === 'object' && event !== null && field in event;
}
