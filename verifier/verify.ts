/**
 * Verifies the session tokens the kit's login function signs (contracts/token.ts), for any Node >= 18 server.
 * Self-contained on purpose: copy this file (and express.ts for the middleware) into your server; it needs only
 * `jose` (v5), never wx-server-sdk.
 *
 * What a token must satisfy to be accepted:
 *  - it is in canonical compact form: three base64url parts, no padding, no whitespace, each part the exact encoding
 *    of its bytes (no other spelling of the same token passes, so a deny-list or cache keyed on the string holds);
 *  - header alg is exactly EdDSA (no `none`, no HS256 keyed with the public key: the algorithm is pinned, never
 *    read from the token) and typ JWT;
 *  - its kid names a key of your JWKS (local object, or fetched from a URL and cached), whose signature verifies;
 *  - iss is one of your AppIDs; exp has not passed, with at most 60 s of clock skew; iat is not in the future;
 *    exp - iat is at most the longest lifetime the login function allows (86400 s);
 *  - sub is a non-empty string (the OPENID), aid an account id, sv an integer >= 1, unionid a string when present;
 *  - aud equals your `audience` when you configure one, and is absent when you do not (RFC 7519 4.1.3: a token
 *    meant for another backend is refused);
 *  - optionally, currentSession(sub) (or isCurrent) says the token is still current: the same account (aid) and the
 *    same session version (sv), compared for equality, and not banned. Logout and bans increment sv; 注销 removes
 *    the account, and a new one of the same OPENID has another aid.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type KeyLike,
} from 'jose';
import type { CurrentSession, SessionTokenClaims } from '../contracts/token';

/** The verified claims: the token contract's payload (contracts/token.ts, types only: nothing of the kit runs here). */
export type SessionClaims = SessionTokenClaims;

export interface TokenVerifierOptions {
  /** The AppID(s) of your mini-program(s): the `iss` a token must carry. */
  issuer: string | readonly string[];
  /** Your public keys as a JWKS object (e.g. the jwks.json `npm run keys` writes). */
  jwks?: JSONWebKeySet;
  /** A URL serving your JWKS: fetched on first use, cached, refetched (at most every 30 s) for an unknown kid. */
  jwksUrl?: string | URL;
  /** Accepted clock difference in seconds, 0 to 60 (default 60). */
  clockToleranceS?: number;
  /**
   * The backend the tokens are meant for (the login function's AUTH_TOKEN_AUDIENCE). Set: `aud` must be one of
   * these. Unset: a token that names an audience is refused.
   */
  audience?: string | readonly string[];
  /**
   * Immediate revocation, the recommended way: the user's account as it is now (from the users document:
   * `{ aid: accountId, sv: sessionVersion ?? 1, banned: status === 'banned' }`), or null when there is none. The
   * verifier compares aid and sv for equality itself. Called only for tokens that passed every other check.
   */
  currentSession?: (sub: string) => CurrentSession | null | undefined | Promise<CurrentSession | null | undefined>;
  /**
   * Immediate revocation, your own rule: resolve true only when `aid` is the user's current accountId AND `sv` equals
   * the current sessionVersion (never `sv >=`: a re-registered account starts at sv 1 again) and the user is not
   * banned. Prefer currentSession, which makes those comparisons for you. Both may be given: both must agree.
   */
  isCurrent?: (sub: string, sv: number, aid: string) => boolean | Promise<boolean>;
  /** For tests: the time to verify at. */
  now?: () => Date;
}

/** Why a token was refused. A missing token is the caller's to report (see express.ts). */
export type RejectionReason =
  | 'malformed' // not a compact JWS with a JSON payload, or a required claim missing or of the wrong type
  | 'algorithm' // alg is not EdDSA, or typ is not JWT
  | 'unknown_key' // no key in the JWKS for the token's kid (or no kid at all)
  | 'signature' // the signature does not verify
  | 'expired' // exp is past, beyond the clock tolerance
  | 'issuer' // iss is not one of the expected AppIDs
  | 'audience' // aud is not your audience (or the token names one and you configured none)
  | 'claims' // iat in the future or a lifetime longer than the login function allows
  | 'revoked'; // not the user's current session (currentSession or isCurrent said no)

/** The token is not acceptable: answer 401. */
export class TokenRejectedError extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

/** The JWKS URL could not be fetched or parsed: a server-side problem (answer 503, not 401). */
export class JwksUnavailableError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'JwksUnavailableError';
  }
}

/** currentSession or isCurrent failed (its database did not answer): the token is not accepted, and not the caller's fault. */
export class RevocationUnavailableError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RevocationUnavailableError';
  }
}

export type TokenVerifier = (token: string) => Promise<SessionClaims>;

/** The longest lifetime the login function issues (AUTH_TOKEN_TTL_S at most 86400). */
const MAX_TOKEN_LIFETIME_S = 86_400;
const MAX_CLOCK_TOLERANCE_S = 60;
/** Far above a real token (about 400 characters): a longer string is refused before it is decoded. */
const MAX_TOKEN_LENGTH = 4096;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ACCOUNT_ID = /^[A-Za-z0-9_-]{22}$/;

type KeyGetter = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike>;

/** Builds a verifier once (it caches the JWKS) and use it for every request. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const issuers = typeof options.issuer === 'string' ? [options.issuer] : [...options.issuer];
  if (issuers.length === 0 || issuers.some((issuer) => typeof issuer !== 'string' || !issuer)) {
    throw new TypeError('createTokenVerifier: `issuer` must name your AppID(s)');
  }
  const tolerance = options.clockToleranceS ?? MAX_CLOCK_TOLERANCE_S;
  if (!(tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE_S)) {
    throw new RangeError(`createTokenVerifier: clockToleranceS must be 0 to ${MAX_CLOCK_TOLERANCE_S}`);
  }
  const audiences = options.audience === undefined ? [] : [options.audience].flat();
  if (audiences.some((audience) => typeof audience !== 'string' || !audience)) {
    throw new TypeError('createTokenVerifier: `audience` must be non-empty strings');
  }
  const getKey = keyGetter(options);
  const now = options.now ?? (() => new Date());

  return async (token) => {
    if (!isCanonicalCompact(token)) throw new TokenRejectedError('malformed', 'not a canonical compact JWS');
    const currentDate = now();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: ['EdDSA'],
        typ: 'JWT',
        issuer: issuers,
        clockTolerance: tolerance,
        currentDate,
        requiredClaims: ['iss', 'sub', 'iat', 'exp', 'sv', 'aid'],
        ...(audiences.length > 0 ? { audience: audiences } : {}),
      }));
    } catch (error) {
      throw rejection(error);
    }
    const claims = readClaims(payload);
    const nowS = currentDate.getTime() / 1000;
    if (claims.iat > nowS + tolerance) throw new TokenRejectedError('claims', 'token issued in the future');
    if (claims.exp - claims.iat > MAX_TOKEN_LIFETIME_S) {
      throw new TokenRejectedError('claims', 'token lifetime longer than the login function issues');
    }
    if (audiences.length === 0 && claims.aud !== undefined) {
      throw new TokenRejectedError('audience', 'token meant for another audience');
    }
    const { currentSession, isCurrent } = options;
    if (currentSession && !isSameSession(claims, await revocationCheck(() => currentSession(claims.sub)))) {
      throw new TokenRejectedError('revoked', 'session revoked');
    }
    if (isCurrent && !(await revocationCheck(() => isCurrent(claims.sub, claims.sv, claims.aid)))) {
      throw new TokenRejectedError('revoked', 'session revoked');
    }
    return claims;
  };
}

/** A revocation hook's answer; its failure is RevocationUnavailableError (never "current"). */
async function revocationCheck<T>(check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    throw new RevocationUnavailableError('cannot check whether the session is current', error);
  }
}

/** Equality, never `>=`: an older sv is a logout or a ban ago, and another aid is another account. */
function isSameSession(claims: SessionClaims, current: CurrentSession | null | undefined): boolean {
  return !!current && current.banned !== true && current.aid === claims.aid && current.sv === claims.sv;
}

/** Each part must be the exact base64url encoding of its bytes: no padding, no `+/`, no spare bits set. */
function isCanonicalCompact(token: unknown): token is string {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return false;
  return token.split('.').every((part) => Buffer.from(part, 'base64url').toString('base64url') === part);
}

/** Keys by kid: the local JWKS first, then the remote one (which refetches on an unknown kid, for rotations). */
function keyGetter(options: TokenVerifierOptions): KeyGetter {
  const local = options.jwks ? createLocalJWKSet(options.jwks) : undefined;
  const remote = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;
  if (!local && !remote) throw new TypeError('createTokenVerifier: give `jwks` and/or `jwksUrl`');
  return async (header, token) => {
    // A token without kid would otherwise match any single key of the right type: the contract says select by kid.
    if (typeof header.kid !== 'string' || !header.kid) throw new errors.JWKSNoMatchingKey();
    if (local) {
      try {
        return await local(header, token);
      } catch (error) {
        if (!remote || !(error instanceof errors.JWKSNoMatchingKey)) throw error;
      }
    }
    if (!remote) throw new errors.JWKSNoMatchingKey();
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new JwksUnavailableError(`JWKS ${String(options.jwksUrl)} unavailable`, error);
    }
  };
}

function rejection(error: unknown): Error {
  if (error instanceof JwksUnavailableError) return error;
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'token expired');
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('algorithm', 'algorithm not allowed');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new TokenRejectedError('issuer', 'unexpected issuer');
    if (error.claim === 'aud') return new TokenRejectedError('audience', 'unexpected audience');
    if (error.claim === 'typ') return new TokenRejectedError('algorithm', 'unexpected token type');
    return new TokenRejectedError('malformed', `invalid claim ${error.claim}`);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenRejectedError('unknown_key', 'no key for this kid');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRejectedError('signature', 'signature verification failed');
  }
  if (error instanceof errors.JOSEError) return new TokenRejectedError('malformed', 'malformed token');
  // Not jose's: a bug or the JWKS getter's own failure. Let the server log it and answer 5xx.
  return error instanceof Error ? error : new Error(String(error));
}

function readClaims(payload: Record<string, unknown>): SessionClaims {
  const { iss, sub, unionid, iat, exp, sv, aid, aud } = payload;
  const malformed = (what: string) => new TokenRejectedError('malformed', `invalid claim ${what}`);
  if (typeof iss !== 'string') throw malformed('iss');
  if (typeof sub !== 'string' || !sub) throw malformed('sub');
  if (typeof iat !== 'number' || typeof exp !== 'number') throw malformed('iat/exp');
  if (typeof sv !== 'number' || !Number.isSafeInteger(sv) || sv < 1) throw malformed('sv');
  if (typeof aid !== 'string' || !ACCOUNT_ID.test(aid)) throw malformed('aid');
  if (aud !== undefined && (typeof aud !== 'string' || !aud)) throw malformed('aud');
  if (unionid !== undefined && (typeof unionid !== 'string' || !unionid)) throw malformed('unionid');
  return { iss, sub, ...(unionid ? { unionid } : {}), iat, exp, aid, sv, ...(aud ? { aud } : {}) };
}
