import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'crypto';
import { CompactSign } from 'jose';
import type { SessionTokenClaims } from '../contracts/token';
import {
  ACCOUNT_ID_PATTERN,
  TOKEN_AUDIENCE_PATTERN,
  TOKEN_TTL_DEFAULT_S,
  TOKEN_TTL_MAX_S,
  TOKEN_TTL_MIN_S,
} from '../contracts/token';
import { AppFailure } from './errors';
import type { Identity } from './ports';

/**
 * Signed session tokens for the developer's own backend: an EdDSA (Ed25519) compact JWS minted at each login.
 * Signing uses jose 5's Node build, which takes a node:crypto KeyObject and runs on CloudBase's Node 16.13 (jose 6
 * needs the global WebCrypto that Node 16 lacks). Verification lives in verifier/verify.ts. Both hosts sign with it.
 */

export interface TokenSettings {
  privateKey: KeyObject;
  /** RFC 7638 thumbprint (SHA-256) of the public key: verifiers pick the key from their JWKS by it. */
  kid: string;
  ttlSeconds: number;
  /** AUTH_TOKEN_AUDIENCE: the `aud` every token carries, when set. */
  audience?: string;
}

export interface IssuedToken {
  token: string;
  /** ISO 8601, equal to the `exp` claim. */
  tokenExpiresAt: string;
}

const PEM = /^-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----$/;

let cached: { source: string; settings: TokenSettings } | undefined;

/**
 * Reads AUTH_TOKEN_PRIVATE_KEY (Ed25519, PKCS#8 PEM) and AUTH_TOKEN_TTL_S (default 3600, an integer from 60 to
 * 86400). No key (absent or empty): undefined, tokens are off. Anything malformed throws CONFIG_ERROR, so the login
 * calls this before it writes anything or calls WeChat. Messages and log details never contain the key.
 */
export function tokenSettings(env: NodeJS.ProcessEnv = process.env): TokenSettings | undefined {
  const ttlSeconds = parseTtl(env.AUTH_TOKEN_TTL_S);
  const audience = parseAudience(env.AUTH_TOKEN_AUDIENCE);
  const pem = env.AUTH_TOKEN_PRIVATE_KEY ?? '';
  if (!pem.trim()) return undefined;
  const source = `${ttlSeconds}\n${audience ?? ''}\n${pem}`;
  if (cached?.source !== source) {
    const privateKey = parseKey(pem);
    const settings: TokenSettings = { privateKey, kid: thumbprint(privateKey), ttlSeconds };
    if (audience) settings.audience = audience;
    cached = { source, settings };
  }
  return cached.settings;
}

function parseTtl(raw: string | undefined): number {
  if (raw === undefined) return TOKEN_TTL_DEFAULT_S;
  const ttl = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(ttl >= TOKEN_TTL_MIN_S && ttl <= TOKEN_TTL_MAX_S)) {
    throw new AppFailure(
      'CONFIG_ERROR',
      `服务端 AUTH_TOKEN_TTL_S 配置错误：须为 ${TOKEN_TTL_MIN_S} 到 ${TOKEN_TTL_MAX_S} 之间的整数（秒）`,
      { variable: 'AUTH_TOKEN_TTL_S' },
    );
  }
  return ttl;
}

function parseAudience(raw: string | undefined): string | undefined {
  const audience = raw?.trim();
  if (!audience) return undefined;
  if (!TOKEN_AUDIENCE_PATTERN.test(audience)) {
    throw new AppFailure('CONFIG_ERROR', '服务端 AUTH_TOKEN_AUDIENCE 配置错误：须为 1 到 200 个可见 ASCII 字符', {
      variable: 'AUTH_TOKEN_AUDIENCE',
    });
  }
  return audience;
}

function parseKey(raw: string): KeyObject {
  const invalid = (reason: string) =>
    new AppFailure('CONFIG_ERROR', '服务端 AUTH_TOKEN_PRIVATE_KEY 配置错误：须为 Ed25519 私钥（PKCS#8 PEM）', {
      variable: 'AUTH_TOKEN_PRIVATE_KEY',
      reason,
    });
  // Console fields are often single-line: accept the PEM with literal "\n" escapes or spaces for line breaks.
  const body = PEM.exec(raw.trim().replace(/\\n/g, '\n'))?.[1]?.replace(/\s+/g, '');
  if (!body) throw invalid('not a PKCS#8 PEM');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({
      key: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
      format: 'pem',
    });
  } catch {
    throw invalid('unreadable key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw invalid(`key type ${String(privateKey.asymmetricKeyType)}`);
  return privateKey;
}

/**
 * RFC 7638 JWK thumbprint: base64url(SHA-256) of the required members in lexicographic order, no whitespace. For
 * an OKP key that is exactly {"crv","kty","x"}. (jose's calculateJwkThumbprint gives the same; the keys script and
 * the tests check it, but here it would add its JWK code to the bundle for three lines.)
 */
function thumbprint(privateKey: KeyObject): string {
  const { crv, x } = createPublicKey(privateKey).export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv, kty: 'OKP', x });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The user fields a token is minted from. `sessionVersion` missing (older documents) counts as 1. */
export interface TokenSubject {
  openid: string;
  unionid?: string;
  sessionVersion?: number;
  accountId?: string;
}

/** Mints the token for a login, or nothing when tokens are off. The caller's AppID is the issuer. */
export async function issueLoginToken(
  settings: TokenSettings | undefined,
  identity: Identity,
  user: TokenSubject,
  now = Date.now(),
): Promise<IssuedToken | Record<string, never>> {
  if (!settings) return {};
  const sv = user.sessionVersion ?? 1;
  if (!Number.isSafeInteger(sv) || sv < 1) throw new Error(`users/${user.openid} has an invalid sessionVersion`);
  const aid = user.accountId ?? '';
  if (!ACCOUNT_ID_PATTERN.test(aid)) throw new Error(`users/${user.openid} has no valid accountId`);
  const unionid = user.unionid ?? identity.unionid;
  const claims = { iss: identity.appid, sub: user.openid, ...(unionid ? { unionid } : {}), aid, sv };
  return signSessionToken(settings, settings.audience ? { ...claims, aud: settings.audience } : claims, now);
}

/** Signs the claims with `iat` = now and `exp` = iat + TTL (seconds). */
export async function signSessionToken(
  settings: TokenSettings,
  claims: Omit<SessionTokenClaims, 'iat' | 'exp'>,
  now = Date.now(),
): Promise<IssuedToken> {
  if (!claims.iss || !claims.sub) throw new Error('a session token needs an issuer (AppID) and a subject (OPENID)');
  const iat = Math.floor(now / 1000);
  const exp = iat + settings.ttlSeconds;
  const payload: SessionTokenClaims = { ...claims, iat, exp };
  // CompactSign rather than SignJWT: the claims are already complete, and it keeps jose's share of the bundle small.
  const token = await new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: settings.kid })
    .sign(settings.privateKey);
  return { token, tokenExpiresAt: new Date(exp * 1000).toISOString() };
}
