/**
 * The own login server's HTTP contract (server/): the same use cases as the cloud functions, as JSON over HTTPS.
 * Every answer is the envelope `{ ok: true, data }` or `{ ok: false, error: { code, message } }`, with the status
 * below. The mini-program (BACKEND 'server' in miniprogram/config.ts) imports these types with `import type`.
 */
import type {
  AccountEvent,
  AccountResult,
  AdminEvent,
  AdminResult,
  LoginResult,
  ServerErrorCode,
  UserProfile,
} from '.';

/** POST /api/login {code, loginId?}: the cloud login's result, and a refresh token. */
export interface ServerLoginResult extends LoginResult {
  token: string;
  tokenExpiresAt: string;
  /** Opaque; send it to POST /api/refresh. Stored by the server as a hash only. */
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

/** POST /api/refresh {refreshToken}: a new access token and a new refresh token; the old one stops working. */
export interface RefreshResult {
  user: UserProfile;
  token: string;
  tokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

/** Route -> request body and `data` of the answer. */
export interface ServerRoutes {
  'POST /api/login': { body: { code: string; loginId?: string }; data: ServerLoginResult };
  'POST /api/refresh': { body: { refreshToken: string }; data: RefreshResult };
  /** Bearer. The account function's events; updateProfile takes only {nickName} here (the avatar has its route). */
  'POST /api/account': { body: AccountEvent; data: AccountResult };
  /** Bearer; multipart/form-data as wx.uploadFile sends it, field `file`: JPEG, PNG or WebP. */
  'POST /api/avatar': { body: 'multipart/form-data'; data: { user: UserProfile } };
  /** Bearer of an OPENID in ADMIN_OPENIDS. The admin function's events. */
  'POST /api/admin': { body: AdminEvent; data: AdminResult };
  /** Bearer. */
  'GET /api/me': { body: undefined; data: { user: UserProfile } };
}

/** The HTTP status of each error code; every code not listed (a refusal of the request's content) is 422. */
export const HTTP_STATUS_BY_CODE: Partial<Record<ServerErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  REFRESH_INVALID: 401,
  REFRESH_REUSED: 401,
  USER_BANNED: 403,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  WX_RATE_LIMITED: 429,
  WX_UNAVAILABLE: 503,
  INTERNAL: 500,
  CONFIG_ERROR: 500, // a server fault, not the request's
};

export function httpStatusOf(code: ServerErrorCode): number {
  return HTTP_STATUS_BY_CODE[code] ?? 422;
}

/** JSON bodies above this are PAYLOAD_TOO_LARGE (413). */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;
/** The avatar limit by default (AVATAR_MAX_BYTES). */
export const AVATAR_MAX_BYTES_DEFAULT = 1024 * 1024;
