/**
 * What the use cases (login, account, admin) need from the host they run on. Two hosts implement these ports:
 * CloudBase (cloudbase/: the cloud database, cloud.openapi, cloud storage) and the self-hosted login server
 * (server/: SQL, WeChat's HTTPS API with an access_token, images in the database). The use cases never know which.
 */
import type { AvatarExtension, LoginLogEntry } from '../contracts';
import type { TokenSettings } from './token';

/** Who is calling, as the host vouches for it: never taken from the request body. */
export interface Identity {
  openid: string;
  appid: string;
  unionid?: string;
  /** The CloudBase environment the function runs in (names its storage bucket). */
  env?: string;
  /** The caller's IP (CloudBase's CLIENTIP; on the own server, the connection or a trusted proxy's header). */
  clientIp?: string;
  /** How the call came (wx_client, wx_devtools, ... on CloudBase; 'server' on the own server). */
  source?: string;
}

/** A user's account, whatever the storage. Dates are Dates. */
export interface UserRecord {
  openid: string;
  /** Random per account creation: tokens carry it as `aid`. Missing only on records older than it. */
  accountId?: string;
  unionid?: string;
  nickName?: string;
  /** What <image src> shows: a cloud:// fileID on CloudBase, a URL of the own server. */
  avatarUrl?: string;
  /** The bound number, masked (138****1234): the full one is server-only. */
  phoneMasked?: string;
  countryCode?: string;
  consent?: { version: number; at: Date };
  createdAt: Date;
  updatedAt?: Date;
  lastLoginAt: Date;
  loginCount: number;
  lastLoginId?: string;
  /** Bumped by logout and bans: tokens carry it as `sv`. */
  sessionVersion: number;
  status: 'active' | 'banned';
  banReason?: string;
  bannedAt?: Date;
  /** The store's own form of the record (a CloudBase document): handed back to the same store untouched. */
  readonly stored?: unknown;
}

/** What code2Session yields. session_key stays inside server code: it is never returned or logged. */
export interface WeChatSession {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

export interface LoginInput {
  identity: Identity;
  /** Counted once: a retry of the same attempt carries the same id. */
  loginId: string;
  /** A fresh code2Session result: its session_key is stored for later open-data decryption. */
  session?: WeChatSession;
  /** The record as read beside code2Session (null: none); undefined when not read. A guess, not a lock. */
  known?: UserRecord | null;
  /** Awaited before a new account is created; refuses it by throwing (a kept ban, the risk check). */
  admitNewUser(): Promise<void>;
  now: Date;
}

export interface LoginOutcome {
  user: UserRecord;
  isNewUser: boolean;
}

export interface PhoneNumber {
  phoneNumber: string;
  countryCode: string;
}

/** One login_logs entry: never the code, the session_key or a token. */
export interface LoginLogRecord {
  openid: string;
  at: Date;
  ok: boolean;
  errorCode?: string;
  withCode: boolean;
  refresh?: true;
  isNewUser?: boolean;
  clientIp?: string;
  source?: string;
}

/** One admin_logs entry, written as 'attempted' before the action and completed after. */
export interface AdminLogRecord {
  admin: string;
  action: string;
  target?: string;
  reason?: string;
  at: Date;
  state: 'attempted' | 'completed';
  ok?: boolean;
  errorCode?: string;
  completedAt?: Date;
  pseudonymized?: true;
}

export type AdminLogOutcome = Pick<AdminLogRecord, 'ok' | 'errorCode' | 'completedAt' | 'target' | 'pseudonymized'> & {
  state: 'completed';
};

/**
 * The accounts and everything kept about them. Every method is one atomic step as far as the use cases are
 * concerned: how a store makes it so (conditional writes on CloudBase, transactions in SQL) is its own business.
 */
export interface AccountStore {
  getUser(openid: string): Promise<UserRecord | null>;
  /** Whether this OPENID was banned when it deleted its account: a new account is refused until an unban. */
  isBanKept(openid: string): Promise<boolean>;
  /** Counts a login (loginCount + 1, exactly once per loginId) or creates the account; refuses a banned user. */
  recordLogin(input: LoginInput): Promise<LoginOutcome>;
  /** The record with an accountId (older records get one, once); null when the account is gone. */
  withAccountId(user: UserRecord): Promise<UserRecord | null>;
  getSessionKey(openid: string): Promise<string | undefined>;
  setConsent(openid: string, consent: { version: number; at: Date }): Promise<UserRecord | null>;
  /**
   * Sets fields of this incarnation of the account only: one that 注销 removed and a login created again under the
   * same OPENID is another account, and the write does not land there (null).
   */
  updateProfile(user: UserRecord, changes: { nickName: string; updatedAt: Date }): Promise<UserRecord | null>;
  /** The full number server-only, the masked one on the account; nothing is left when the account is gone (null). */
  savePhone(openid: string, phone: PhoneNumber, now: Date): Promise<UserRecord | null>;
  /** Forgets the session_key and bumps the session version: every token issued before stops being current. */
  logout(openid: string): Promise<void>;
  /**
   * 注销, complete and idempotent: every record and file of the user goes; a banned user's ban is kept under the
   * OPENID's pseudonym; the operator's records name the user by pseudonym only. Throws when it could not finish:
   * the retry carries on.
   */
  deleteAccount(identity: Identity): Promise<void>;
  /** Bans once (status banned, session version + 1, reason); null when there is no account. */
  ban(openid: string, reason: string | undefined, now: Date): Promise<UserRecord | null>;
  /** Lifts the ban, and a ban kept after 注销 for this OPENID; null when there is no account. */
  unban(openid: string): Promise<UserRecord | null>;
  listLogins(openid: string, limit: number): Promise<LoginLogEntry[]>;
  /** Deletes login log entries older than the cut-off; how many. */
  pruneLogins(cutoff: Date): Promise<number>;
  /** Writes (or replaces) one login log entry by its id. */
  putLoginLog(id: string, entry: LoginLogRecord): Promise<void>;
  /** Writes (or replaces) one admin log entry by its id. */
  putAdminLog(id: string, entry: AdminLogRecord): Promise<void>;
  /** Adds the outcome to an admin log entry written before. */
  completeAdminLog(id: string, outcome: AdminLogOutcome): Promise<void>;
}

/** A failure answered by WeChat itself (its errcode, or the cloud's own code for a cloud call). */
export class WeChatCallError extends Error {
  constructor(
    readonly api: string,
    readonly errcode: number,
  ) {
    super(`${api} answered ${errcode}`);
    this.name = 'WeChatCallError';
  }
}

export interface PhoneInfo {
  phoneNumber?: string;
  purePhoneNumber?: string;
  countryCode?: string | number;
  watermark?: { appid?: string; timestamp?: number };
}

/**
 * WeChat's server API as the use cases call it. Adapters throw WeChatCallError for an errcode (the use cases map
 * it), and AppFailure('WX_UNAVAILABLE') when WeChat could not be reached. code2Session throws contract failures
 * itself (core/code2session.ts, shared by both hosts).
 */
export interface WeChatPort {
  code2Session(code: string): Promise<WeChatSession>;
  /** phonenumber.getPhoneNumber: the openid makes WeChat check that the code was issued to that user. */
  getPhoneNumber(input: { code: string; openid: string }): Promise<{ phoneInfo?: PhoneInfo }>;
  /** security.msgSecCheck, version 2. */
  msgSecCheck(input: { openid: string; scene: number; content: string; nickname?: string }): Promise<{
    result?: { suggest?: string };
  }>;
  /** riskControl.getUserRiskRank. */
  getUserRiskRank(input: { appid: string; openid: string; scene: number; clientIp: string }): Promise<{
    riskRank?: number;
  }>;
  /** The legacy phone flow's cloudID (CloudBase only: cloud.getOpenData). */
  resolveCloudID?(cloudID: string): Promise<{ data?: PhoneInfo } | undefined>;
}

/**
 * Avatars uploaded by the phone to the host's file storage and then named by the client (CloudBase: wx.cloud.
 * uploadFile, then updateProfile {avatarFileID}). A host without it refuses those actions.
 */
export interface AvatarFiles {
  /** Picks and records the path the phone uploads to, before the upload (so the file is always tracked). */
  reserve(user: UserRecord, extension: AvatarExtension): Promise<string>;
  /** A well-formed reference to a file of the caller's own (no I/O). */
  isOwn(fileID: string): boolean;
  /** The file exists in this host's storage and is the caller's: its path, or AVATAR_INVALID. */
  check(fileID: string): Promise<string>;
  /** Does the account know this file (its avatar, or one it recorded)? */
  tracks(user: UserRecord, fileID: string): boolean;
  /** Deletes an upload that no account tracks (best effort). */
  forget(fileID: string): Promise<void>;
  /** Sets it as the avatar with the other changes in one write, over an older avatar only; null when gone. */
  set(user: UserRecord, fileID: string, path: string, changes: Record<string, unknown>): Promise<UserRecord | null>;
  /** Deletes files the current avatar superseded. Never fails the save. */
  sweep(user: UserRecord): Promise<void>;
}

/** An avatar image the host stores itself (the own server: POST /api/avatar), judged by its content. */
export interface AvatarImage {
  bytes: Buffer;
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
}

export interface AvatarImages {
  /** Stores the image, sets it as the avatar and deletes the previous one, in one step; null when gone. */
  replace(user: UserRecord, image: AvatarImage, now: Date): Promise<UserRecord | null>;
}

/** Settings, read where each use case needs them. Invalid values throw AppFailure('CONFIG_ERROR'). */
export interface KitConfig {
  tokens(): TokenSettings | undefined;
  consentVersion(): number;
  /** RISK_BLOCK_RANK: undefined means the registration risk check is off. */
  riskBlockRank(): number | undefined;
  adminOpenids(): readonly string[];
  logRetentionDays(): number;
}

/** Everything a use case runs with. */
export interface KitContext {
  store: AccountStore;
  wechat: WeChatPort;
  config: KitConfig;
  /** Present on hosts where the phone uploads avatars to file storage itself. */
  avatarFiles?: AvatarFiles;
  /** Present on hosts that store avatar images they receive. */
  avatarImages?: AvatarImages;
}
