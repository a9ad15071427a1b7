/**
 * Everything the kit keeps about a user, in one place: the collections and their document shapes, and which files
 * a user owns. 注销 (account deletion), login, the account and admin functions, and the tests' invariants all read
 * from here, so a new kind of user data is added once and deleted with the rest.
 */

/** Each user's account: `_id` and `_openid` are the OPENID. Owner-readable (database-rules/users.json). */
export const USERS = 'users';
/** Server-only: each user's latest session_key. Its rule denies every client read and write. */
export const SESSIONS = 'sessions';
/** Server-only: one document per login call that had an identity (the login audit log). */
export const LOGIN_LOGS = 'login_logs';
/**
 * Server-only: one document per admin function call (who did what to whom), written before the action runs. The
 * operator's record, kept after 注销 with the user's OPENID replaced by its pseudonym (USER_REFERENCING_COLLECTIONS).
 */
export const ADMIN_LOGS = 'admin_logs';
/**
 * Server-only: bans that outlive 注销. A banned user may delete their account (their right under PIPL); the ban
 * stays as one document keyed by the OPENID's pseudonym, holding nothing else of them but when, so that a new
 * account of the same WeChat user is refused (USER_BANNED) until an administrator unbans that OPENID.
 */
export const BANS = 'bans';
/**
 * Server-only: each user's full phone number (database-rules/phones.json denies every client read and write). The
 * owner-readable users document keeps only the masked number: minimisation, so that a leaked client session, a
 * permissive rule change or a debugging screenshot of the users document never shows the full number.
 */
export const PHONES = 'phones';

/** How a collection holds a user's documents: one keyed by OPENID, or any number with an `openid` field. */
export interface UserOwnedCollection {
  name: string;
  key: '_id' | 'openid';
  /**
   * An audit trail: written for refused calls too (a refused login is logged), so "a refused event changes
   * nothing" does not apply to it. Still the user's data: 注销 removes it.
   */
  audit?: true;
}

/**
 * Collections holding the user's documents, removed by 注销 in this order. USERS comes last: while it exists the
 * deletion is not complete, and a retry finds it and carries on.
 */
export const USER_OWNED_COLLECTIONS: readonly UserOwnedCollection[] = [
  { name: SESSIONS, key: '_id' },
  { name: PHONES, key: '_id' },
  { name: LOGIN_LOGS, key: 'openid', audit: true },
  { name: USERS, key: '_id' },
];

/**
 * Collections that name users in records the operator keeps (not the user's own data): 注销 replaces the user's
 * OPENID in `openidFields` by its pseudonym and removes `dropFields` (free text about them, e.g. a ban reason).
 */
export interface UserReferencingCollection {
  name: string;
  openidFields: readonly string[];
  dropFields: readonly string[];
}

export const USER_REFERENCING_COLLECTIONS: readonly UserReferencingCollection[] = [
  { name: ADMIN_LOGS, openidFields: ['target', 'admin'], dropFields: ['reason'] },
];

/**
 * A file the user owns. Recorded before it is used (prepareAvatarUpload records the path before the upload;
 * updateProfile records an unannounced fileID before it sets it), and forgotten only after it is deleted, so a
 * file is never untracked.
 */
export interface OwnedFile {
  /** The cloudPath, avatars/<OPENID>/<name>. */
  path: string;
  /** The full fileID, once the client has named it (the bucket is only known from a fileID or the environment). */
  fileID?: string;
  /**
   * Orders the user's avatars: an avatar is set only over an older one (lower rank), and files ranked below the
   * current avatar can never become it again, so they are swept without racing a save in flight.
   */
  rank: string;
  at: Date;
}

/** A `users` document as stored. */
export interface UserDocument {
  _id: string;
  _openid: string;
  unionid?: string;
  nickName?: string;
  /** The current avatar's fileID; `files` holds it too. */
  avatarUrl?: string;
  /** The rank of the current avatar's file (see OwnedFile.rank). */
  avatarRank?: string;
  /** Every file the user owns, keyed by fileKey(path). */
  files?: Record<string, OwnedFile>;
  /** Bumped whenever a file is added: 注销 removes the document only if no file was added since it swept them. */
  filesVersion?: number;
  /** Before files were tracked in `files`: replaced avatars whose deletion failed. Swept like `files`. */
  orphanedFiles?: string[];
  /** The bound number, masked (138****1234): the full one is in PHONES, which no client can read. */
  phoneMasked?: string;
  countryCode?: string;
  /**
   * Legacy: the full number, as documents written before PHONES existed hold it. Read only to mask it; the next
   * bindPhone moves the number to PHONES and removes this field.
   */
  phoneNumber?: string;
  /** The version of 《用户协议》和《隐私政策》 the user agreed to (recordConsent), and when. */
  consent?: { version: number; at: Date };
  createdAt: Date;
  updatedAt?: Date;
  lastLoginAt: Date;
  loginCount: number;
  /** The loginId of the last counted login: a retry of that login is not counted again. */
  lastLoginId?: string;
  /** Bumped by logout (and bans): tokens carry it as `sv`, and only the current one is honoured. */
  sessionVersion?: number;
  /**
   * Random per account creation (ACCOUNT_ID_PATTERN): tokens carry it as `aid`, so a token of an account deleted by
   * 注销 never matches the next account of the same OPENID. Missing on documents older than it: the next login with
   * tokens on adds one.
   */
  accountId?: string;
  /** 'banned' by an administrator: no login, no token, no account action. Missing means 'active'. */
  status?: 'active' | 'banned';
  banReason?: string;
  bannedAt?: Date;
}

/** One login_logs document: never the code, the session_key or a token. */
export interface LoginLogDocument {
  _id: string;
  openid: string;
  at: Date;
  ok: boolean;
  errorCode?: string;
  withCode: boolean;
  /** A token refresh (login with `refresh: true`): not counted as a login. */
  refresh?: true;
  isNewUser?: boolean;
  clientIp?: string;
  source?: string;
}

export interface AdminLogDocument {
  _id: string;
  /** The administrator's OPENID (or 'timer' for a scheduled call); its pseudonym once that user deleted their account. */
  admin: string;
  action: string;
  /** The OPENID acted upon, when the action names one; its pseudonym (pseudonymOf) once that user is deleted. */
  target?: string;
  at: Date;
  /**
   * 'attempted': written before the action ran, and no outcome recorded after it (the function stopped, or the
   * completing write failed): the action may have taken effect. 'completed': `ok` and `errorCode` say how it ended.
   */
  state: 'attempted' | 'completed';
  ok?: boolean;
  errorCode?: string;
  completedAt?: Date;
  /** The ban reason, for a ban. Removed by the target's 注销. */
  reason?: string;
  /** Set by 注销: OPENIDs in this entry were replaced by their pseudonym. */
  pseudonymized?: true;
}

/** A BANS document: `_id` is pseudonymOf(OPENID). */
export interface BanDocument {
  _id: string;
  bannedAt?: Date;
  /** When the banned user deleted their account. */
  deletedAt: Date;
}

/** A PHONES document: `_id` is the OPENID. */
export interface PhoneDocument {
  _id: string;
  phoneNumber: string;
  countryCode: string;
  updatedAt: Date;
}

export interface SessionDocument {
  _id: string;
  appid: string;
  sessionKey: string;
  updatedAt: Date;
}
