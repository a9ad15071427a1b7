import type { UserProfile } from '../contracts';
import { db } from './cloud';
import type { Identity } from './identity';
import { maskPhone } from './phone';
import type { WeChatSession } from './wechat';

/** Collections this kit owns. Security rules for them ship in database-rules/. */
export const USERS = 'users';
/** Server-only: holds each user's latest session_key. Its rule denies every client read and write. */
export const SESSIONS = 'sessions';

/** A `users` document as stored. `_id` and `_openid` are both the caller's OPENID. */
export interface UserDocument {
  _id: string;
  _openid: string;
  unionid?: string;
  nickName?: string;
  avatarUrl?: string;
  /**
   * The full number. Functions only ever return it masked; the document itself is readable by its own user
   * (database-rules/users.json), so the only person who could read it in full is the number's owner.
   */
  phoneNumber?: string;
  /** Old avatar fileIDs whose deletion failed: account deletion removes them too. */
  orphanedFiles?: string[];
  countryCode?: string;
  createdAt: Date;
  updatedAt?: Date;
  lastLoginAt: Date;
  loginCount: number;
}

export interface SessionDocument {
  _id: string;
  appid: string;
  sessionKey: string;
  updatedAt: Date;
}

export interface LoginRecord {
  user: UserDocument;
  isNewUser: boolean;
}

/** How many times a login transaction is retried on a write conflict (concurrent logins of one user). */
const TRANSACTION_ATTEMPTS = 8;

/**
 * A login without a new session_key. Returning users cost one database round trip: an atomic
 * increment that returns the updated document. A new user costs a second one (the insert); when two first logins
 * race, the loser's insert hits the unique _id and it increments the winner's document instead, so exactly one
 * document exists and every login is counted.
 */
export async function recordLogin(identity: Identity, now = new Date()): Promise<LoginRecord> {
  const returning = await incrementLogin(identity, now);
  if (returning) return { user: returning, isNewUser: false };
  try {
    const user = newUserDocument(identity, now);
    await db().collection(USERS).add({ data: user });
    return { user, isNewUser: true };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const winner = await incrementLogin(identity, now);
    if (!winner) throw error; // deleted between the two calls: surface as INTERNAL rather than invent a user
    return { user: winner, isNewUser: false };
  }
}

/**
 * A login that also stores a fresh session_key. Both writes go in one transaction so a failed login writes
 * nothing: never a new key without the login, nor a counted login without its key. Concurrent logins of one user
 * conflict at commit and the SDK retries them, so every login is counted once.
 */
export async function recordLoginWithSession(
  identity: Identity,
  session: WeChatSession,
  now = new Date(),
): Promise<LoginRecord> {
  const unionid = identity.unionid ?? session.unionid;
  const caller: Identity = unionid ? { ...identity, unionid } : identity;
  return (await db().runTransaction(async (transaction: TransactionLike) => {
    const users = transaction.collection(USERS);
    const existing = (await users.doc(caller.openid).get()).data as UserDocument | null;
    const user = existing ? loggedInAgain(existing, caller, now) : newUserDocument(caller, now);
    const { _id, ...userFields } = user;
    await users.doc(_id).set({ data: userFields });
    const sessionFields: Omit<SessionDocument, '_id'> = {
      appid: caller.appid,
      sessionKey: session.sessionKey,
      updatedAt: now,
    };
    await transaction.collection(SESSIONS).doc(caller.openid).set({ data: sessionFields });
    return { user, isNewUser: !existing };
  }, TRANSACTION_ATTEMPTS)) as LoginRecord;
}

export function toProfile(user: UserDocument): UserProfile {
  const profile: UserProfile = {
    openid: user._id,
    createdAt: toDate(user.createdAt).toISOString(),
    lastLoginAt: toDate(user.lastLoginAt).toISOString(),
    loginCount: Number(user.loginCount),
  };
  if (user.unionid) profile.unionid = user.unionid;
  if (user.nickName) profile.nickName = user.nickName;
  if (user.avatarUrl) profile.avatarUrl = user.avatarUrl;
  if (user.phoneNumber) profile.phoneMasked = maskPhone(user.phoneNumber);
  return profile;
}

function newUserDocument(identity: Identity, now: Date): UserDocument {
  const user: UserDocument = {
    _id: identity.openid,
    _openid: identity.openid,
    createdAt: now,
    lastLoginAt: now,
    loginCount: 1,
  };
  if (identity.unionid) user.unionid = identity.unionid;
  return user;
}

function loggedInAgain(existing: UserDocument, identity: Identity, now: Date): UserDocument {
  const user: UserDocument = { ...existing, lastLoginAt: now, loginCount: Number(existing.loginCount) + 1 };
  if (identity.unionid) user.unionid = identity.unionid;
  return user;
}

/** The subset of the SDK's transaction object we use (its own typings say `any`). */
interface TransactionLike {
  collection(name: string): {
    doc(id: string): {
      get(): Promise<{ data: unknown }>;
      set(options: { data: Record<string, unknown> }): Promise<unknown>;
      remove(): Promise<unknown>;
    };
  };
}

/**
 * CloudBase's Query.updateAndReturn (action database.modifyAndReturnDoc) increments and returns the document in
 * one round trip. wx-server-sdk 4.x carries it in the @cloudbase/database query it wraps but does not re-export
 * it; when a future SDK drops it we fall back to update + get (two round trips, same result).
 */
interface InternalQuery {
  updateAndReturn(
    data: Record<string, unknown>,
  ): Promise<{ updated?: number; doc?: unknown; code?: string; message?: string }>;
}

async function incrementLogin(identity: Identity, now: Date): Promise<UserDocument | null> {
  const changes: Record<string, unknown> = { loginCount: db().command.inc(1), lastLoginAt: now };
  if (identity.unionid) changes.unionid = identity.unionid;
  return updateUser(identity.openid, changes);
}

/**
 * Applies `changes` (plain fields are set, db.command values applied) to the user's document and returns it as it
 * is afterwards, or null when the user has no document: an update never creates one.
 */
export async function updateUser(openid: string, changes: Record<string, unknown>): Promise<UserDocument | null> {
  const database = db();
  const query = database.collection(USERS).where({ _id: openid }) as unknown as { _query?: InternalQuery };
  const internal = query._query;
  if (internal && typeof internal.updateAndReturn === 'function') {
    const reply = await internal.updateAndReturn(changes);
    if (reply.code) throw Object.assign(new Error(reply.message ?? reply.code), { code: reply.code });
    // updateAndReturn answers updated: 0 with the document when nothing changed (same values): still found.
    return (reply.doc as UserDocument | undefined) ?? null;
  }
  await database.collection(USERS).doc(openid).update({ data: changes });
  return getUser(openid);
}

export async function getUser(openid: string): Promise<UserDocument | null> {
  return ((await db().collection(USERS).doc(openid).get()) as unknown as { data: UserDocument | null }).data;
}

/** The caller's stored session_key, if a login with a code ever stored one. */
export async function getSessionKey(openid: string): Promise<string | undefined> {
  const { data } = (await db().collection(SESSIONS).doc(openid).get()) as unknown as { data: SessionDocument | null };
  return data?.sessionKey;
}

/** Logout: the server forgets the session_key. Idempotent. */
export async function removeSession(openid: string): Promise<void> {
  await db().collection(SESSIONS).doc(openid).remove();
}

/**
 * Every collection that holds a user's documents, keyed by OPENID. Account deletion removes from each, so a new
 * collection with user data must be listed here (the deletion test checks every collection devcloud knows).
 */
export const USER_DATA_COLLECTIONS = [USERS, SESSIONS] as const;

/** Deletes the user's documents from every collection, all or nothing. */
export async function deleteUserData(openid: string): Promise<void> {
  await db().runTransaction(async (transaction: TransactionLike) => {
    for (const collection of USER_DATA_COLLECTIONS) await transaction.collection(collection).doc(openid).remove();
  }, TRANSACTION_ATTEMPTS);
}

function isDuplicateKey(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : JSON.stringify(error);
  return /duplicate|E11000/i.test(text);
}

function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}
