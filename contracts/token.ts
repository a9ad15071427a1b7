/**
 * The signed session token the login function returns (`LoginResult.token`) for the developer's own backend: a
 * compact JWS, `{ alg: 'EdDSA', typ: 'JWT', kid }`, signed with the Ed25519 key in the login function's
 * AUTH_TOKEN_PRIVATE_KEY. Verifiers (verifier/verify.ts, and the Java and Go ones in recipes/, see
 * docs/tokens-java-go.md) check these claims.
 * A token travels only in its canonical compact form: three base64url parts without padding or whitespace, each
 * the exact encoding of its bytes; verifiers refuse any other spelling of the same token.
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
  /**
   * The account the token was issued for: `accountId` on the users document, random per account creation. 注销
   * followed by a new login makes a new account with a new id, so a token of the old one never matches it.
   */
  aid: string;
  /** The user's session version (`sessionVersion` on the users document, >= 1). Logout and ban increment it. */
  sv: number;
  /** The backend the token is meant for, when the login function has AUTH_TOKEN_AUDIENCE. */
  aud?: string;
}

/**
 * What a verifier compares a token with to know it is still current: the user's users document as it is now. A
 * token is current only when `aid` and `sv` are both equal (not `sv >=`: a new account starts at sv 1 again) and the
 * account is not banned.
 */
export interface CurrentSession {
  aid: string;
  sv: number;
  banned?: boolean;
}

/** AUTH_TOKEN_TTL_S: default and allowed range, in seconds. */
export const TOKEN_TTL_DEFAULT_S = 3600;
export const TOKEN_TTL_MIN_S = 60;
export const TOKEN_TTL_MAX_S = 86_400;
/** Verifiers accept at most this much clock difference on `exp`. */
export const TOKEN_MAX_CLOCK_SKEW_S = 60;

/** An account id: 22 base64url characters (16 random bytes). */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** AUTH_TOKEN_AUDIENCE: 1 to 200 visible ASCII characters, e.g. the backend's URL or a name. */
export const TOKEN_AUDIENCE_PATTERN = /^[\x21-\x7e]{1,200}$/;
