/**
 * The signed session token the login function returns (`LoginResult.token`) for the developer's own backend: a
 * compact JWS, `{ alg: 'EdDSA', typ: 'JWT', kid }`, signed with the Ed25519 key in the login function's
 * AUTH_TOKEN_PRIVATE_KEY. Verifiers (backend/verify.ts, or the Java/Go recipes in docs/tokens.md) check these claims.
 * Types and constants only: the client imports it with `import type`.
 */

/** The protected header. `kid` is the RFC 7638 JWK thumbprint of the signing key's public half. */
export interface SessionTokenHeader {
  alg: 'EdDSA';
  typ: 'JWT';
  kid: string;
}

/** The payload. It never carries the wx.login code, the session_key or a phone number. */
export interface SessionTokenClaims {
  /** The mini-program's AppID, from the WeChat context of the login. */
  iss: string;
  /** The user's OPENID. */
  sub: string;
  /** The user's UNIONID, when WeChat gave one (Open Platform binding). */
  unionid?: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch: iat + AUTH_TOKEN_TTL_S. */
  exp: number;
  /** The user's session version (`sessionVersion` on the users document, >= 1). Logout and ban increment it. */
  sv: number;
}

/** AUTH_TOKEN_TTL_S: default and allowed range, in seconds. */
export const TOKEN_TTL_DEFAULT_S = 3600;
export const TOKEN_TTL_MIN_S = 60;
export const TOKEN_TTL_MAX_S = 86_400;
/** Verifiers accept at most this much clock difference on `exp`. */
export const TOKEN_MAX_CLOCK_SKEW_S = 60;
