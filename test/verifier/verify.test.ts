/**
 * verifier/verify.ts and the example backend (verifier/example-backend.ts, Express): what a developer's server accepts and
 * refuses. Tokens come from the login function's own signer (cloudbase/token.ts) or are forged here with jose.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { importPKCS8, SignJWT, type JWTPayload } from 'jose';
import {
  createTokenVerifier,
  JwksUnavailableError,
  TokenRejectedError,
  type TokenVerifier,
} from '../../verifier/verify';
import { startBackend, type RunningBackend } from '../../verifier/example-backend';
import { signSessionToken, tokenSettings } from '../../core/token';
import { generateTokenKeys, type TokenKeyPair } from '../../scripts/keys';
import { tamper } from '../support/tokens';

const APPID = 'wx1234567890abcdef';
const AID = 'AAAAAAAAAAAAAAAAAAAAAA';
const NOW = Date.UTC(2030, 5, 1, 8, 0, 0);
const at = (ms: number) => () => new Date(ms);

let keys: TokenKeyPair;
let otherKeys: TokenKeyPair;
beforeAll(async () => {
  [keys, otherKeys] = await Promise.all([generateTokenKeys(), generateTokenKeys()]);
});

/** A token as the login function signs it (TTL 3600 unless said), issued at `now`. */
async function loginToken(
  pair = keys,
  options: { now?: number; ttl?: string; claims?: Partial<{ iss: string; sub: string; sv: number; aid: string }> } = {},
): Promise<string> {
  const settings = tokenSettings({
    AUTH_TOKEN_PRIVATE_KEY: pair.privateKeyPem,
    AUTH_TOKEN_TTL_S: options.ttl ?? '3600',
  })!;
  const claims = { iss: APPID, sub: 'o-alice', aid: AID, sv: 1, ...options.claims };
  return (await signSessionToken(settings, claims, options.now ?? NOW)).token;
}

/** A token with any header and payload, signed with `pair`'s private key by jose (for shapes the login never makes). */
async function forged(header: Record<string, unknown>, payload: JWTPayload, pair = keys): Promise<string> {
  const key = await importPKCS8(pair.privateKeyPem, 'EdDSA');
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(key);
}

function verifier(options: Partial<Parameters<typeof createTokenVerifier>[0]> = {}, now = NOW): TokenVerifier {
  return createTokenVerifier({ issuer: APPID, jwks: keys.jwks, now: at(now), ...options });
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TokenRejectedError)) throw new Error(`expected a rejection, got ${String(error)}`);
  return error.reason;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('a login token is accepted and its claims returned', async () => {
  const claims = await verifier()(await loginToken());
  const iat = Math.floor(NOW / 1000);
  expect(claims).toEqual({ iss: APPID, sub: 'o-alice', aid: AID, sv: 1, iat, exp: iat + 3600 });
});

describe('refused', () => {
  test('a changed claim (the signature no longer matches)', async () => {
    const token = await loginToken();
    expect(await reason(verifier()(tamper(token, { sub: 'o-mallory' })))).toBe('signature');
    expect(await reason(verifier()(tamper(token, { sv: 99 })))).toBe('signature');
  });

  test('a changed signature', async () => {
    const token = await loginToken();
    const signature = Buffer.from(token.split('.')[2]!, 'base64url');
    signature[0] = signature[0]! ^ 1;
    const [header, payload] = token.split('.');
    expect(await reason(verifier()(`${header}.${payload}.${signature.toString('base64url')}`))).toBe('signature');
  });

  test('a token signed by a key that is not in the JWKS under that kid', async () => {
    const stranger = await loginToken(otherKeys);
    expect(await reason(verifier()(stranger))).toBe('unknown_key');
    // ...nor under a kid of the JWKS: the signature is then checked with the wrong key
    const [, payload, signature] = stranger.split('.');
    const relabelled = `${b64({ alg: 'EdDSA', typ: 'JWT', kid: keys.publicJwk.kid })}.${payload}.${signature}`;
    expect(await reason(verifier()(relabelled))).toBe('signature');
  });

  test('a token without kid, even though the JWKS has one key of the right type', async () => {
    const token = await forged(
      { typ: 'JWT' },
      { iss: APPID, sub: 'o', aid: AID, sv: 1, iat: NOW / 1000, exp: NOW / 1000 + 60 },
    );
    expect(await reason(verifier()(token))).toBe('unknown_key');
  });

  test('alg none (an unsecured JWT)', async () => {
    const [, payload] = (await loginToken()).split('.');
    const header = b64({ alg: 'none', typ: 'JWT', kid: keys.publicJwk.kid });
    expect(await reason(verifier()(`${header}.${payload}.${b64('not a signature')}`))).toBe('algorithm');
    // Without its signature part it is not even a compact JWS of ours.
    expect(await reason(verifier()(`${header}.${payload}.`))).toBe('malformed');
    expect(await reason(verifier()(`${header}.${payload}`))).toBe('malformed');
  });

  test('HS256 keyed with the public key (the classic algorithm confusion)', async () => {
    const payload = { iss: APPID, sub: 'o-mallory', aid: AID, sv: 1, iat: NOW / 1000, exp: NOW / 1000 + 600 };
    const header = { alg: 'HS256', typ: 'JWT', kid: keys.publicJwk.kid };
    for (const secret of [
      Buffer.from(keys.publicKeyPem),
      Buffer.from(String(keys.publicJwk.x), 'base64url'),
      Buffer.from(JSON.stringify(keys.publicJwk)),
    ]) {
      const token = await new SignJWT(payload).setProtectedHeader(header).sign(secret);
      expect(await reason(verifier()(token))).toBe('algorithm');
    }
  });

  test('a typ other than JWT', async () => {
    const token = await forged(
      { typ: 'at+jwt', kid: keys.publicJwk.kid },
      { iss: APPID, sub: 'o', aid: AID, sv: 1, iat: NOW / 1000, exp: NOW / 1000 + 60 },
    );
    expect(await reason(verifier()(token))).toBe('algorithm');
  });

  test('another issuer (AppID); several expected AppIDs are allowed', async () => {
    const token = await loginToken(keys, { claims: { iss: 'wx-other-app' } });
    expect(await reason(verifier()(token))).toBe('issuer');
    await expect(verifier({ issuer: [APPID, 'wx-other-app'] })(token)).resolves.toMatchObject({ iss: 'wx-other-app' });
  });

  test('malformed claims: sv missing, zero, fractional or a string; sub empty; unionid not a string; aid missing or not an account id', async () => {
    const base = { iss: APPID, sub: 'o', aid: AID, iat: NOW / 1000, exp: NOW / 1000 + 60 };
    const header = { typ: 'JWT', kid: keys.publicJwk.kid };
    await expect(verifier()(await forged(header, { ...base, sv: 1 }))).resolves.toMatchObject({ sub: 'o' });
    const noAid = Object.fromEntries(Object.entries(base).filter(([key]) => key !== 'aid'));
    for (const payload of [
      base,
      { ...noAid, sv: 1 },
      { ...base, sv: 1, aid: 'short' },
      { ...base, sv: 1, aid: 42 },
      { ...base, sv: 0 },
      { ...base, sv: 1.5 },
      { ...base, sv: '1' },
      { ...base, sv: 1, sub: '' },
      { ...base, sv: 1, unionid: 42 },
    ]) {
      expect(await reason(verifier()(await forged(header, payload as JWTPayload)))).toBe('malformed');
    }
    expect(await reason(verifier()('not.a.token'))).toBe('malformed');
    expect(await reason(verifier()(''))).toBe('malformed');
  });

  test('a lifetime longer than the login function issues, or an iat in the future', async () => {
    const header = { typ: 'JWT', kid: keys.publicJwk.kid };
    const now = NOW / 1000;
    const long = await forged(header, { iss: APPID, sub: 'o', aid: AID, sv: 1, iat: now, exp: now + 86_401 });
    expect(await reason(verifier()(long))).toBe('claims');
    const future = await forged(header, { iss: APPID, sub: 'o', aid: AID, sv: 1, iat: now + 120, exp: now + 600 });
    expect(await reason(verifier()(future))).toBe('claims');
  });
});

describe('expiry and clock skew', () => {
  const ttl = 600;
  const expiresAt = Math.floor(NOW / 1000) * 1000 + ttl * 1000;

  test.each([
    ['before exp', -1_000, true],
    ['1 s after exp', 1_000, true],
    ['59 s after exp', 59_000, true],
    ['61 s after exp', 61_000, false],
    ['an hour after exp', 3_600_000, false],
  ])('%s: %s', async (_when, offset, accepted) => {
    const token = await loginToken(keys, { ttl: String(ttl) });
    const outcome = verifier({}, expiresAt + offset)(token);
    if (accepted) await expect(outcome).resolves.toMatchObject({ sub: 'o-alice' });
    else expect(await reason(outcome)).toBe('expired');
  });

  test('a smaller tolerance is honoured; more than 60 s is refused at setup', async () => {
    const token = await loginToken(keys, { ttl: String(ttl) });
    expect(await reason(verifier({ clockToleranceS: 5 }, expiresAt + 10_000)(token))).toBe('expired');
    expect(() => verifier({ clockToleranceS: 61 })).toThrow(RangeError);
  });
});

describe('keys: JWKS with several keys, and from a URL', () => {
  test('during a rotation both keys verify, each picked by its kid; after it the old one is unknown', async () => {
    const rotating = verifier({ jwks: { keys: [otherKeys.publicJwk, keys.publicJwk] } });
    await expect(rotating(await loginToken(keys))).resolves.toMatchObject({ sub: 'o-alice' });
    await expect(rotating(await loginToken(otherKeys))).resolves.toMatchObject({ sub: 'o-alice' });
    expect(await reason(verifier({ jwks: otherKeys.jwks })(await loginToken(keys)))).toBe('unknown_key');
  });

  let jwksServer: Server;
  let jwksUrl = '';
  let served: unknown = null;
  let fetches = 0;
  beforeAll(async () => {
    jwksServer = createServer((_req, res) => {
      fetches += 1;
      if (served === null) res.writeHead(500).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  test('a JWKS URL is fetched once and cached; the local JWKS is tried first', async () => {
    served = otherKeys.jwks;
    fetches = 0;
    const both = createTokenVerifier({ issuer: APPID, jwks: keys.jwks, jwksUrl, now: at(NOW) });
    await expect(both(await loginToken(keys))).resolves.toBeTruthy();
    expect(fetches).toBe(0);
    await expect(both(await loginToken(otherKeys))).resolves.toBeTruthy();
    await expect(both(await loginToken(otherKeys))).resolves.toBeTruthy();
    expect(fetches).toBe(1);
  });

  test('an unreachable JWKS URL is a server problem (JwksUnavailableError), not a bad token', async () => {
    served = null;
    const remoteOnly = createTokenVerifier({ issuer: APPID, jwksUrl, now: at(NOW) });
    await expect(remoteOnly(await loginToken())).rejects.toBeInstanceOf(JwksUnavailableError);
  });
});

test('currentSession: only the same account (aid) at the same session version (sv), not banned, is current', async () => {
  const OTHER_AID = 'BBBBBBBBBBBBBBBBBBBBBB';
  let current: { aid: string; sv: number; banned?: boolean } | null = { aid: AID, sv: 2 };
  const seen: string[] = [];
  const verify = verifier({
    currentSession: async (sub) => {
      seen.push(sub);
      return current;
    },
  });
  const token = (sv: number, aid = AID) => loginToken(keys, { claims: { sv, aid } });
  await expect(verify(await token(2))).resolves.toMatchObject({ sv: 2, aid: AID });
  expect(await reason(verify(await token(1)))).toBe('revoked'); // before a logout or a ban
  expect(await reason(verify(await token(3)))).toBe('revoked'); // never `sv >=`
  // 注销 and a new account of the same OPENID: sv starts at 1 again, with another aid.
  current = { aid: OTHER_AID, sv: 1 };
  expect(await reason(verify(await token(1)))).toBe('revoked');
  expect(await reason(verify(await token(2)))).toBe('revoked');
  await expect(verify(await token(1, OTHER_AID))).resolves.toMatchObject({ aid: OTHER_AID });
  current = { aid: OTHER_AID, sv: 1, banned: true };
  expect(await reason(verify(await token(1, OTHER_AID)))).toBe('revoked');
  current = null; // no account at all
  expect(await reason(verify(await token(1, OTHER_AID)))).toBe('revoked');
  expect(new Set(seen)).toEqual(new Set(['o-alice']));
});

test('isCurrent gets sub, sv and aid; a verifier with both hooks needs both to agree', async () => {
  const seen: Array<[string, number, string]> = [];
  const verify = verifier({
    currentSession: () => ({ aid: AID, sv: 1 }),
    isCurrent: async (sub, sv, aid) => {
      seen.push([sub, sv, aid]);
      return sub !== 'o-blocked';
    },
  });
  await expect(verify(await loginToken(keys))).resolves.toMatchObject({ sub: 'o-alice' });
  expect(await reason(verify(await loginToken(keys, { claims: { sub: 'o-blocked' } })))).toBe('revoked');
  expect(seen).toEqual([
    ['o-alice', 1, AID],
    ['o-blocked', 1, AID],
  ]);
});

describe('the example backend (Express middleware), over HTTP', () => {
  let backend: RunningBackend;
  beforeAll(async () => {
    // Real clock here: the tokens below are issued now.
    backend = await startBackend({ issuer: APPID, jwks: keys.jwks });
  });
  afterAll(() => backend.close());

  const me = (authorization?: string) =>
    fetch(`${backend.url}/api/me`, { headers: authorization ? { authorization } : {} });

  test('GET /api/me with a valid token answers the verified claims', async () => {
    const token = await loginToken(keys, { now: Date.now() });
    const response = await me(`Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ iss: APPID, sub: 'o-alice', sv: 1 });
  });

  test('no token: 401 with a bare Bearer challenge', async () => {
    for (const header of [undefined, 'Basic abc', 'Bearer', 'Bearer a b']) {
      const response = await me(header);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(await response.json()).toEqual({
        error: { code: 'UNAUTHORIZED', reason: 'missing_token', message: expect.any(String) as string },
      });
    }
  });

  test('an expired or tampered token: 401 invalid_token with the reason', async () => {
    const expired = await loginToken(keys, { now: Date.now() - 3_700_000 });
    const tampered = tamper(await loginToken(keys, { now: Date.now() }), { sub: 'o-mallory' });
    for (const [token, why] of [
      [expired, 'expired'],
      [tampered, 'signature'],
    ] as const) {
      const response = await me(`Bearer ${token}`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/);
      expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED', reason: why } });
    }
  });

  test('an unreachable JWKS URL: 503, not 401', async () => {
    const down = await startBackend({ issuer: APPID, jwksUrl: 'http://127.0.0.1:9/jwks.json' });
    try {
      const token = await loginToken(keys, { now: Date.now() });
      const response = await fetch(`${down.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(503);
    } finally {
      await down.close();
    }
  });
});
