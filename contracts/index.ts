/**
 * The one contract shared by the mini-program and the cloud functions: event and result types, and error codes.
 * The client imports it with `import type` only (WeChat DevTools packages nothing outside miniprogram/), so this
 * file must stay types-only apart from SERVER_ERROR_CODES, which only server code and tests use at runtime.
 */

/** Error codes a cloud function can answer with. Every one has a Chinese message in miniprogram/services/messages.ts. */
export const SERVER_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NO_IDENTITY',
  'CONFIG_ERROR',
  'WX_CODE_INVALID',
  'WX_RATE_LIMITED',
  'WX_RISKY_USER',
  'WX_UNAVAILABLE',
  'WX_CODE_MISMATCH',
  'INTERNAL',
  // account
  'USER_NOT_FOUND', // no users document: log in first (or the account was deleted)
  'NICKNAME_INVALID', // empty or longer than NICKNAME_MAX_LENGTH characters
  'CONTENT_RISKY', // WeChat's content check (security.msgSecCheck) rejected the text
  'AVATAR_INVALID', // the avatar fileID is not a file under the caller's own avatar folder
  'PHONE_CODE_INVALID', // getPhoneNumber code expired or already used (40029)
  'PHONE_QUOTA_EXHAUSTED', // the mini-program's phone-number quota is used up (1400001)
  'OPENAPI_PERMISSION_MISSING', // the function's config.json lacks the cloud-call permission (-604101)
  'SESSION_EXPIRED', // the stored session_key cannot decrypt the data: log in again with a fresh code
  'OPEN_DATA_INVALID', // open data for another appid, too old, or malformed
  'USER_BANNED', // an administrator banned this account: no login, no token, no account action
  // 《用户协议》和《隐私政策》: the user has not agreed to the current version (the server's CONSENT_VERSION); the
  // refused action changed nothing and made no paid call. The client asks again, then records it (recordConsent).
  'CONSENT_REQUIRED',
  // admin
  'FORBIDDEN', // the caller is not an administrator (ADMIN_OPENIDS)
  // the own login server (contracts/http.ts)
  'UNAUTHENTICATED', // no Bearer token, or one that is malformed, expired, of another issuer, or no longer current
  'REFRESH_INVALID', // the refresh token is unknown, expired, or of a session that ended (logout, ban, 注销)
  'REFRESH_REUSED', // a refresh token already rotated was sent again: its whole family is revoked
  'PAYLOAD_TOO_LARGE', // a JSON body over 64 KB, or an avatar over its limit
  'RATE_LIMITED', // too many requests from this IP, or logins of this user, in a minute (Retry-After says when)
] as const;
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** Failures the client detects itself, before or around a cloud call. */
export type ClientErrorCode =
  | 'NETWORK' // wx.cloud.callFunction itself failed (offline, function missing, timeout)
  | 'WX_LOGIN_FAILED' // wx.login failed on the device
  | 'BAD_RESPONSE' // the function answered something that is not our envelope
  | 'PHONE_DENIED' // the user declined the phone-number prompt ("getPhoneNumber:fail user deny")
  | 'PHONE_UNAVAILABLE' // the phone component failed, not by the user: "getPhoneNumber:fail no permission", ...
  | 'PRIVACY_DENIED' // the user disagreed with the 用户隐私保护指引 (errno 104 "<api>:fail privacy permission is not authorized")
  | 'UPLOAD_FAILED' // wx.cloud.uploadFile of the avatar failed
  // the developer's own backend (miniprogram/services/request.ts); a failed wx.request is NETWORK
  | 'TOKEN_UNAVAILABLE' // the login function issues no session token (AUTH_TOKEN_PRIVATE_KEY not set)
  | 'API_NOT_CONFIGURED' // API_BASE_URL in miniprogram/config.ts is empty
  | 'API_UNAUTHORIZED' // the backend answered 401 even with a freshly refreshed token
  | 'API_ERROR'; // the backend answered another non-2xx status

export type ErrorCode = ServerErrorCode | ClientErrorCode;

export interface AppError {
  code: ServerErrorCode;
  message: string;
}

/** Every cloud function answers with this envelope; errors are never thrown across the wire. */
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: AppError };

/** A user as the client sees it. Dates are ISO 8601 strings: callFunction serialises results as JSON. */
export interface UserProfile {
  openid: string;
  unionid?: string;
  nickName?: string;
  /** A cloud:// fileID: <image src> shows it directly. */
  avatarUrl?: string;
  /**
   * The bound phone number, masked (138****1234). No function result carries the full number, and the owner-readable
   * `users` document holds only this: the full number lives in the server-only `phones` collection.
   */
  phoneMasked?: string;
  /** The version of 《用户协议》和《隐私政策》 the user agreed to, and when. */
  consent?: ConsentRecord;
  createdAt: string;
  lastLoginAt: string;
  loginCount: number;
}

export interface LoginEvent {
  /** A fresh wx.login code. Send it when the server needs a new session_key; omit it for a cheap re-login. */
  code?: string;
  /**
   * Picked by the client for one login attempt and sent again when it retries that attempt (after a NETWORK or
   * INTERNAL answer, whose write may have happened): the server counts a login once per loginId. 8-64 characters
   * of [A-Za-z0-9_-]. Optional: without it every call counts.
   */
  loginId?: string;
  /**
   * A token refresh rather than a login: a new token (and the profile) for the existing account, without counting a
   * login (loginCount, lastLoginAt unchanged; the audit entry says `refresh`). USER_NOT_FOUND when there is no
   * account: a refresh never creates one. Not with `code`.
   */
  refresh?: true;
}

export interface LoginResult {
  user: UserProfile;
  isNewUser: boolean;
  /**
   * A signed session token for the developer's own backend (compact JWS, claims in contracts/token.ts), present
   * when the login function has AUTH_TOKEN_PRIVATE_KEY. Send it as `Authorization: Bearer <token>`.
   */
  token?: string;
  /** When `token` expires (ISO 8601): its `exp` claim. */
  tokenExpiresAt?: string;
}

/** A recorded agreement to 《用户协议》和《隐私政策》. `at` is the server's time, as ISO 8601. */
export interface ConsentRecord {
  /** A positive integer: the server's CONSENT_VERSION when the user agreed. It only ever rises. */
  version: number;
  at: string;
}

/** Nicknames are counted in visible characters (code points), after NFC normalisation and trimming. */
export const NICKNAME_MAX_LENGTH = 20;

/** Image types an avatar may have (the extension of the uploaded file). */
export type AvatarExtension = 'jpg' | 'jpeg' | 'png' | 'webp' | 'gif';

/** The `account` function's actions: event fields (besides `action`) and result of each. */
export interface AccountActions {
  /**
   * The version of 《用户协议》和《隐私政策》 the server requires (its CONSENT_VERSION, default 1) and what the caller
   * agreed to. updateProfile, prepareAvatarUpload, bindPhone and bindPhoneLegacy answer CONSENT_REQUIRED until
   * `upToDate`.
   */
  getConsent: {
    event: Record<string, never>;
    result: { currentVersion: number; consent?: ConsentRecord; upToDate: boolean };
  };
  /**
   * Records that the user agreed to 《用户协议》和《隐私政策》 of `version` (the currentVersion the client showed): stored
   * on the users document as `consent: { version, at }`. An older version than the current one is CONSENT_REQUIRED
   * (the texts changed meanwhile: show them again), a newer one INVALID_ARGUMENT; either way nothing is written.
   */
  recordConsent: { event: { version: number }; result: { user: UserProfile } };
  /**
   * Before an avatar upload: the server picks the cloudPath (avatars/<OPENID>/<name>) and records it as the
   * caller's, so the file is tracked (and removed by 注销) even if the save that follows never arrives.
   */
  prepareAvatarUpload: { event: { extension: AvatarExtension }; result: { cloudPath: string } };
  /** Set the nickname and/or the avatar (a fileID the client uploaded under avatars/<OPENID>/). */
  updateProfile: { event: { nickName?: string; avatarFileID?: string }; result: { user: UserProfile } };
  /** Bind the phone number from <button open-type="getPhoneNumber">'s code (phonenumber.getPhoneNumber). */
  bindPhone: { event: { code: string }; result: { user: UserProfile } };
  /** The legacy phone flow: a cloudID (resolved server-side, no session_key) or encryptedData + iv. */
  bindPhoneLegacy: {
    event: { cloudID: string } | { encryptedData: string; iv: string };
    result: { user: UserProfile };
  };
  /** Forget the server-side session_key. */
  logout: { event: Record<string, never>; result: { loggedOut: true } };
  /** 注销: delete every document of the caller and their avatar file. `confirm` must be literally true. */
  deleteAccount: { event: { confirm: true }; result: { deleted: true } };
}
export type AccountAction = keyof AccountActions;
export type AccountEvent = { [A in AccountAction]: { action: A } & AccountActions[A]['event'] }[AccountAction];
export type AccountResult = AccountActions[AccountAction]['result'];

/** One entry of the login audit log (collection login_logs), as the admin function returns it. */
export interface LoginLogEntry {
  openid: string;
  /** ISO 8601. */
  at: string;
  ok: boolean;
  /** The answer's code, when not ok. */
  errorCode?: string;
  withCode: boolean;
  /** A token refresh, not a login (LoginEvent.refresh). */
  refresh?: true;
  /** When ok. */
  isNewUser?: boolean;
  /** CLIENTIP from the WeChat context. */
  clientIp?: string;
  /** SOURCE from the WeChat context (wx_client, wx_devtools, ...). */
  source?: string;
}

/** What the admin function shows of a user: never the full phone number, the session_key or a token. */
export interface AdminUserView extends UserProfile {
  status: 'active' | 'banned';
  banReason?: string;
  bannedAt?: string;
  sessionVersion: number;
}

/**
 * The `admin` function's actions. Only OPENIDs listed in the function's ADMIN_OPENIDS may call it (others get
 * FORBIDDEN); every call, allowed or not, is recorded in admin_logs.
 */
export interface AdminActions {
  getUser: { event: { openid: string }; result: { user: AdminUserView } };
  /** status 'banned' and sessionVersion + 1: the user's tokens stop being current at once. */
  ban: { event: { openid: string; reason?: string }; result: { user: AdminUserView } };
  unban: { event: { openid: string }; result: { user: AdminUserView } };
  /** The user's newest login_logs entries first; limit 1-100 (default 20). */
  listLogins: { event: { openid: string; limit?: number }; result: { entries: LoginLogEntry[] } };
  /** Deletes login_logs entries older than `olderThanDays` (1-3650). */
  pruneLogs: { event: { olderThanDays: number }; result: { deleted: number } };
}
export type AdminAction = keyof AdminActions;
export type AdminEvent = { [A in AdminAction]: { action: A } & AdminActions[A]['event'] }[AdminAction];
export type AdminResult = AdminActions[AdminAction]['result'];

/** Cloud function name -> its event and result. services/cloud.ts types every call from this map. */
export interface CloudFunctions {
  login: { event: LoginEvent; result: LoginResult };
  account: { event: AccountEvent; result: AccountResult };
  admin: { event: AdminEvent; result: AdminResult };
}
export type CloudFunctionName = keyof CloudFunctions;
