import type { AdminActions, AdminUserView, LoginLogEntry } from '../../../contracts';
import { db } from '../../../server/cloud';
import { AppFailure } from '../../../server/errors';
import { LOGIN_LOGS, type LoginLogDocument, type UserDocument } from '../../../server/user-data';
import { getUser, toProfile, updateUser, updateUserWhere } from '../../../server/users';

type Result<A extends keyof AdminActions> = Promise<AdminActions[A]['result']>;

export async function getUserView(openid: string): Result<'getUser'> {
  return { user: view(await existing(openid)) };
}

/** Bans once: a second ban of a banned user changes nothing (the session version is bumped by the first). */
export async function ban(openid: string, reason: string | undefined): Result<'ban'> {
  const _ = db().command;
  const changes: Record<string, unknown> = {
    status: 'banned',
    bannedAt: new Date(),
    sessionVersion: _.inc(1),
    ...(reason === undefined ? {} : { banReason: reason }),
  };
  const banned = await updateUserWhere({ _id: openid, status: _.neq('banned') }, changes);
  return { user: view(banned ?? (await existing(openid))) };
}

export async function unban(openid: string): Result<'unban'> {
  const _ = db().command;
  const user = await updateUser(openid, { status: 'active', banReason: _.remove(), bannedAt: _.remove() });
  if (!user) throw notFound();
  return { user: view(user) };
}

export async function listLogins(openid: string, limit = 20): Result<'listLogins'> {
  const { data } = (await db()
    .collection(LOGIN_LOGS)
    .where({ openid })
    .orderBy('at', 'desc')
    .limit(limit)
    .get()) as unknown as { data: LoginLogDocument[] };
  return { entries: data.map(toEntry) };
}

/** Deletes login_logs entries older than the cut-off (the retention docs/admin.md describes; a timer runs it daily). */
export async function pruneLogs(olderThanDays: number, now = Date.now()): Result<'pruneLogs'> {
  const cutoff = new Date(now - olderThanDays * 24 * 60 * 60 * 1000);
  const { stats } = (await db()
    .collection(LOGIN_LOGS)
    .where({ at: db().command.lt(cutoff) })
    .remove()) as { stats?: { removed?: number } };
  return { deleted: stats?.removed ?? 0 };
}

async function existing(openid: string): Promise<UserDocument> {
  const user = await getUser(openid);
  if (!user) throw notFound();
  return user;
}

function notFound(): AppFailure {
  return new AppFailure('USER_NOT_FOUND', '用户不存在');
}

/** What an administrator sees: the profile (phone masked), status and session version; no secret. */
function view(user: UserDocument): AdminUserView {
  return {
    ...toProfile(user),
    status: user.status === 'banned' ? 'banned' : 'active',
    sessionVersion: Number(user.sessionVersion ?? 1),
    ...(user.banReason ? { banReason: user.banReason } : {}),
    ...(user.bannedAt ? { bannedAt: new Date(user.bannedAt).toISOString() } : {}),
  };
}

function toEntry(doc: LoginLogDocument): LoginLogEntry {
  const entry: LoginLogEntry = {
    openid: doc.openid,
    at: new Date(doc.at).toISOString(),
    ok: doc.ok,
    withCode: doc.withCode,
  };
  if (doc.errorCode !== undefined) entry.errorCode = doc.errorCode;
  if (doc.isNewUser !== undefined) entry.isNewUser = doc.isNewUser;
  if (doc.clientIp !== undefined) entry.clientIp = doc.clientIp;
  if (doc.source !== undefined) entry.source = doc.source;
  return entry;
}
