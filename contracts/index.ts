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
] as const;
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** Failures the client detects itself, before or around a cloud call. */
export type ClientErrorCode =
  | 'NETWORK' // wx.cloud.callFunction itself failed (offline, function missing, timeout)
  | 'WX_LOGIN_FAILED' // wx.login failed on the device
  | 'BAD_RESPONSE'; // the function answered something that is not our envelope

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
  avatarUrl?: string;
  createdAt: string;
  lastLoginAt: string;
  loginCount: number;
}

export interface LoginEvent {
  /** A fresh wx.login code. Send it when the server needs a new session_key; omit it for a cheap re-login. */
  code?: string;
}

export interface LoginResult {
  user: UserProfile;
  isNewUser: boolean;
}

/** Cloud function name -> its event and result. services/cloud.ts types every call from this map. */
export interface CloudFunctions {
  login: { event: LoginEvent; result: LoginResult };
}
export type CloudFunctionName = keyof CloudFunctions;
