import { randomBytes } from 'crypto';
import { AppFailure, describeError } from '../core/errors';
import { log } from '../core/log';
import { maskPhone } from '../core/phone';
import type { Identity, LoginInput, UserRecord, WeChatSession } from '../core/ports';
import { bannedFailure } from '../core/profile';
import { pseudonymOf } from '../core/pseudonym';
import { db } from './cloud';
import { BANS, SESSIONS, USERS, type OwnedFile, type SessionDocument, type UserDocument } from './user-data';

export type { UserDocument } from './user-data';

export interface LoginRecord {
  user: UserDocument;
  isNewUser: boolean;
}

/** Rounds of "increment, else insert" before giving up: each lost round means a concurrent delete/create. */
const SETTLE_ROUNDS = 3;

/**
 * Counts a login: the user's document gets loginCount + 1 (or is created with 1), exactly once per loginId.
 *
 * No transaction. The increment is conditional on `lastLoginId != loginId`, so it is idempotent per attempt, and
 * the insert carries the loginId, so an increment that lands after our own insert does not count twice. A login
 * with a code reads the user beside code2Session (no extra latency), then makes one write to users, beside the
 * session_key write: one database round trip after code2Session for a new or a returning user. Without a code, a
 * returning user costs exactly one round trip (the increment); a new user pays the insert after it.
 *
 * What a failed login leaves: the users document is unchanged, unless the database applied our write and only its
 * reply was lost; then the client's retry with the same loginId finds the login counted and does not count it again.
 * The sessions document may hold the new session_key, which is true data: WeChat has just issued it.
 * A banned user's login writes nothing to users (and, when the read beside code2Session shows the ban, nothing at all).
 */
export async function recordLogin(input: LoginInput): Promise<LoginRecord> {
  const { identity: caller, loginId, known, now } = input;
  if (known?.status === 'banned') throw bannedFailure();
  // The session_key is written beside the users write, for a login that is admitted. A login refused after the
  // write started (a ban that lands meanwhile, a kept ban, the risk gate: found on the slow path) removes it again,
  // so that no session is left without its account.
  let sessionStored: Promise<void> | undefined;
  const storeSession = (): void => {
    if (sessionStored || !input.session) return;
    sessionStored = storeSessionKey(caller, input.session, now);
    // Awaited below; handled now so that a failure while the users write is pending is not an unhandled rejection.
    sessionStored.catch(() => undefined);
  };
  const admitNewUser = () => input.admitNewUser();
  try {
    let record: LoginRecord | undefined;
    if (known === null) {
      await admitNewUser();
      storeSession();
      record = await tryInsert(caller, loginId, now);
    } else {
      storeSession();
      const returning = await incrementLogin(caller, loginId, now);
      if (returning) record = { user: returning, isNewUser: false };
      else if (known === undefined) {
        // Nothing read beforehand: most likely a new user (or a banned one, or a retry: the slow path tells).
        await admitNewUser();
        record = await tryInsert(caller, loginId, now);
      }
    }
    record ??= await settleLogin(caller, loginId, now, admitNewUser);
    await sessionStored;
    return record;
  } catch (error) {
    if (sessionStored && isLoginRefusal(error)) await forgetSession(caller.openid, sessionStored);
    throw error;
  }
}

/** A refusal of this user's login (not a fault, which a retry repeats and whose session_key it overwrites). */
function isLoginRefusal(error: unknown): boolean {
  return error instanceof AppFailure && LOGIN_REFUSALS.has(error.code);
}

const LOGIN_REFUSALS = new Set(['USER_BANNED', 'USER_NOT_FOUND', 'WX_RISKY_USER']);

/** Removes the session_key a refused login wrote (after its write settled, so that the removal comes last). */
async function forgetSession(openid: string, written: Promise<void>): Promise<void> {
  await written.catch(() => undefined);
  await db().collection(SESSIONS).doc(openid).remove();
}

/** The insert of a new user, or undefined when it did not happen (a duplicate, or a fault: the slow path tells). */
async function tryInsert(caller: Identity, loginId: string, now: Date): Promise<LoginRecord | undefined> {
  return insertUser(caller, loginId, now).then(
    (user) => ({ user, isNewUser: true }),
    () => undefined,
  );
}

/**
 * The slow path, when the write did not answer "done": a first login racing another one, a retry of a login whose
 * write was applied but whose reply was lost, a guess proved wrong, or a database fault. Every step is idempotent
 * for this loginId, so repeating them converges.
 */
async function settleLogin(
  caller: Identity,
  loginId: string,
  now: Date,
  admitNewUser: () => Promise<void>,
): Promise<LoginRecord> {
  let lastError: unknown;
  for (let round = 0; round < SETTLE_ROUNDS; round += 1) {
    // The caller has just tried the increment: the first round starts by looking at what is there.
    const counted = round === 0 ? null : await incrementLogin(caller, loginId, now);
    if (counted) return { user: counted, isNewUser: false };
    const existing = await getUser(caller.openid);
    if (existing?.status === 'banned') throw bannedFailure();
    // Our own earlier attempt counted it (the reply was lost): report it as that attempt would have.
    if (existing?.lastLoginId === loginId) return { user: existing, isNewUser: Number(existing.loginCount) === 1 };
    if (existing) continue; // changed between the two reads: count again
    await admitNewUser();
    try {
      return { user: await insertUser(caller, loginId, now), isNewUser: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new Error('login did not settle');
}

/**
 * The session_key write runs beside the login's own writes and never fails the login: the identity comes from the
 * WeChat context, not from the key. A key that could not be stored only means a later open-data decryption answers
 * SESSION_EXPIRED, which the client handles by logging in with a fresh code. One retry, as the write is idempotent.
 */
async function storeSessionKey(caller: Identity, session: WeChatSession, now: Date): Promise<void> {
  const fields: Omit<SessionDocument, '_id'> = { appid: caller.appid, sessionKey: session.sessionKey, updatedAt: now };
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    try {
      await db().collection(SESSIONS).doc(caller.openid).set({ data: fields });
      return;
    } catch (error) {
      if (attempt === 2) log.warn('login', 'SESSION_NOT_STORED', describeError(error));
    }
  }
}

/** A users document as the use cases see it (core/ports.ts UserRecord); the document rides along as `stored`. */
export function toRecord(doc: UserDocument): UserRecord {
  const record: UserRecord = {
    openid: doc._id,
    createdAt: toDate(doc.createdAt),
    lastLoginAt: toDate(doc.lastLoginAt),
    loginCount: Number(doc.loginCount),
    sessionVersion: Number(doc.sessionVersion ?? 1),
    status: doc.status === 'banned' ? 'banned' : 'active',
    stored: doc,
  };
  const phoneMasked = doc.phoneMasked ?? (doc.phoneNumber ? maskPhone(doc.phoneNumber) : undefined);
  const optional = {
    accountId: doc.accountId,
    unionid: doc.unionid,
    nickName: doc.nickName,
    avatarUrl: doc.avatarUrl,
    phoneMasked,
    countryCode: doc.countryCode,
    lastLoginId: doc.lastLoginId,
    banReason: doc.banReason,
  };
  for (const [key, value] of Object.entries(optional) as Array<[keyof typeof optional, string | undefined]>) {
    if (value) record[key] = value;
  }
  if (doc.consent) record.consent = { version: Number(doc.consent.version), at: toDate(doc.consent.at) };
  if (doc.updatedAt) record.updatedAt = toDate(doc.updatedAt);
  if (doc.bannedAt) record.bannedAt = toDate(doc.bannedAt);
  return record;
}

/** The document behind a record this store made. */
export function documentOf(user: UserRecord): UserDocument {
  return (user.stored as UserDocument | undefined) ?? { ...(user as unknown as UserDocument), _id: user.openid };
}

function newUserDocument(identity: Identity, loginId: string, now: Date): UserDocument {
  const user: UserDocument = {
    _id: identity.openid,
    _openid: identity.openid,
    status: 'active',
    createdAt: now,
    lastLoginAt: now,
    loginCount: 1,
    lastLoginId: loginId,
    sessionVersion: 1,
    accountId: newAccountId(),
  };
  if (identity.unionid) user.unionid = identity.unionid;
  return user;
}

async function insertUser(identity: Identity, loginId: string, now: Date): Promise<UserDocument> {
  const user = newUserDocument(identity, loginId, now);
  await db().collection(USERS).add({ data: user });
  return user;
}

/** loginCount + 1, unless this loginId was already counted or the user is banned. Null when nothing matches. */
async function incrementLogin(identity: Identity, loginId: string, now: Date): Promise<UserDocument | null> {
  const _ = db().command;
  const changes: Record<string, unknown> = { loginCount: _.inc(1), lastLoginAt: now, lastLoginId: loginId };
  if (identity.unionid) changes.unionid = identity.unionid;
  return updateUserWhere({ _id: identity.openid, lastLoginId: _.neq(loginId), status: _.neq('banned') }, changes);
}

/**
 * CloudBase's Query.updateAndReturn (action database.modifyAndReturnDoc) updates and returns the document in one
 * round trip. wx-server-sdk 4.x carries it in the @cloudbase/database query it wraps but does not re-export it;
 * when a future SDK drops it, or the service refuses the action, we fall back to update + get (two round trips,
 * same result unless raced).
 */
interface InternalQuery {
  updateAndReturn(
    data: Record<string, unknown>,
  ): Promise<{ updated?: number; doc?: unknown; code?: string; message?: string }>;
}

/**
 * Applies `changes` (plain fields are set, db.command values applied) to the user's document and returns it as it
 * is afterwards, or null when the user has no document: an update never creates one.
 */
export async function updateUser(openid: string, changes: Record<string, unknown>): Promise<UserDocument | null> {
  return updateUserWhere({ _id: openid }, changes);
}

/**
 * updateUser with conditions besides the _id (a plain query, or a db.command.or/and of queries): null when the
 * document is missing or the conditions fail. `openid` names the document for the two-round-trip fallback.
 */
export async function updateUserWhere(
  query: object,
  changes: Record<string, unknown>,
  openid = (query as { _id?: string })._id ?? '',
): Promise<UserDocument | null> {
  const users = db().collection(USERS);
  const internal = (users.where(query) as unknown as { _query?: InternalQuery })._query;
  if (!updateAndReturnRefused && internal && typeof internal.updateAndReturn === 'function') {
    try {
      const reply = await internal.updateAndReturn(changes);
      if (reply.code) throw Object.assign(new Error(reply.message ?? reply.code), { code: reply.code });
      // updateAndReturn answers updated: 0 with the document when nothing changed (same values): still found.
      return (reply.doc as UserDocument | undefined) ?? null;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Nothing was applied: the same update goes the two-round-trip way, now and for the rest of this instance.
      updateAndReturnRefused = true;
      log.warn('users', 'UPDATE_AND_RETURN_REFUSED', { ...describeError(error), outcome: 'update + get from now on' });
    }
  }
  const { stats } = (await users.where(query).update({ data: changes })) as { stats?: { updated?: number } };
  return stats?.updated ? getUser(openid) : null;
}

/** Set once the service refused database.modifyAndReturnDoc: this instance then always updates and reads. */
let updateAndReturnRefused = false;

/** The service's codes for "failed this time" (the caller's retry may succeed), not "this action is refused". */
const TRANSIENT_DATABASE_CODES = new Set([
  'DATABASE_REQUEST_FAILED',
  'DATABASE_TIMEOUT',
  'DATABASE_TRANSACTION_CONFLICT',
  'SYS_ERR',
  'SERVER_BUSY',
]);

/**
 * A refusal is the service answering with a code of its own (INVALID_ACTION, a permission code, ...) that is not a
 * transient one. A network failure (Node's ECONNRESET and friends) or a transient code may have left the update
 * applied or may pass on a retry: it is rethrown, as any other database failure.
 */
function isRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(code)) return false;
  return !/^E[A-Z]+$/.test(code) && !TRANSIENT_DATABASE_CODES.has(code);
}

/**
 * Whether this OPENID was banned when it deleted its account (BANS): a new account for it is refused until an
 * administrator unbans the OPENID.
 */
export async function banOutlivedAccount(openid: string): Promise<boolean> {
  try {
    const { data } = (await db().collection(BANS).doc(pseudonymOf(openid)).get()) as unknown as { data: unknown };
    return data !== null && data !== undefined;
  } catch (error) {
    // A project that has not created the collection yet has kept no ban: logins go on, and the log says why.
    if (Number((error as { errCode?: unknown } | null)?.errCode) !== COLLECTION_NOT_EXIST) throw error;
    log.warn('login', 'COLLECTION_MISSING', { collection: BANS });
    return false;
  }
}

/** DATABASE_COLLECTION_NOT_EXIST, as wx-server-sdk reports it. */
const COLLECTION_NOT_EXIST = -502005;

export async function getUser(openid: string): Promise<UserDocument | null> {
  return ((await db().collection(USERS).doc(openid).get()) as unknown as { data: UserDocument | null }).data;
}

/** The caller's stored session_key, if a login with a code ever stored one. */
export async function getSessionKey(openid: string): Promise<string | undefined> {
  const { data } = (await db().collection(SESSIONS).doc(openid).get()) as unknown as { data: SessionDocument | null };
  return data?.sessionKey;
}

/**
 * Logout: the server forgets the session_key and bumps sessionVersion, so that tokens minted before it stop being
 * current. Idempotent for the session; the version only ever grows.
 */
export async function logoutUser(openid: string): Promise<void> {
  await Promise.all([
    db().collection(SESSIONS).doc(openid).remove(),
    updateUser(openid, { sessionVersion: db().command.inc(1), updatedAt: new Date() }),
  ]);
}

/** A files-map entry's key: the file name, with the '.' a field name may not hold replaced. */
export function fileKey(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\./g, '_');
}

/** The entries of the user's files map, with their keys. */
export function ownedFiles(user: UserDocument): Array<{ key: string; file: OwnedFile }> {
  return Object.entries(user.files ?? {}).map(([key, file]) => ({ key, file }));
}

/** 16 random bytes, base64url: 22 characters (contracts/token.ts ACCOUNT_ID_PATTERN). */
export function newAccountId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A users document the kit did not create, or created before accountId existed, made whole once: an accountId, and
 * a createdAt when it has none a Date can be read from (the last login's time, else now: when the kit first met
 * it). Each fix is conditional on its absence, so concurrent logins agree on the one that landed. Null when gone.
 */
export async function adoptLegacyDocument(user: UserDocument): Promise<UserDocument | null> {
  const createdAtMissing = validDate(user.createdAt) === undefined;
  if (user.accountId && !createdAtMissing) return user;
  const _ = db().command;
  const fixes: Record<string, unknown> = {};
  const unchanged: Record<string, unknown> = { _id: user._id };
  if (!user.accountId) {
    fixes.accountId = newAccountId();
    unchanged.accountId = _.exists(false);
  }
  if (createdAtMissing) {
    fixes.createdAt = validDate(user.lastLoginAt) ?? new Date();
    unchanged.createdAt = user.createdAt === undefined ? _.exists(false) : user.createdAt;
  } else {
    unchanged.createdAt = user.createdAt;
  }
  const updated = await updateUserWhere(unchanged, fixes, user._id);
  return updated ?? getUser(user._id);
}

function validDate(value: unknown): Date | undefined {
  if (!(value instanceof Date) && typeof value !== 'string' && typeof value !== 'number') return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function isDuplicateKey(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : JSON.stringify(error);
  return /duplicate|E11000/i.test(text);
}

function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}
