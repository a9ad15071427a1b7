/**
 * cloudbase/token.ts: the settings the login function reads (AUTH_TOKEN_PRIVATE_KEY, AUTH_TOKEN_TTL_S) and the token
 * it signs, checked independently (crypto.verify, thumbprint by hand) and by the project's verifier.
 */
import { generateKeyPairSync } from 'crypto';
import { createTokenVerifier } from '../../verifier/verify';
import { AppFailure } from '../../core/errors';
import { issueLoginToken, signSessionToken, tokenSettings } from '../../core/token';
import { generateTokenKeys, oneLinePem, type TokenKeyPair } from '../../scripts/keys';
import { checkIndependently, thumbprintByHand } from '../support/tokens';

let keys: TokenKeyPair;
beforeAll(async () => {
  keys = await generateTokenKeys();
});

function configError(run: () => unknown): AppFailure {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppFailure);
    expect((error as AppFailure).code).toBe('CONFIG_ERROR');
    return error as AppFailure;
  }
  throw new Error('expected CONFIG_ERROR');
}

describe('AUTH_TOKEN_TTL_S', () => {
  test('defaults to 3600 s', () => {
    expect(tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem })?.ttlSeconds).toBe(3600);
  });

  test.each([
    ['60', 60],
    ['86400', 86400],
    ['900', 900],
  ])('accepts %s', (raw, ttl) => {
    expect(tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem, AUTH_TOKEN_TTL_S: raw })?.ttlSeconds).toBe(ttl);
  });

  test.each(['59', '86401', '0', '-60', '3600.5', '1e3', 'abc', '', ' 3600', '3600s', '0x100', '9999999999', 'NaN'])(
    'refuses %j with CONFIG_ERROR naming the variable',
    (raw) => {
      const failure = configError(() =>
        tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem, AUTH_TOKEN_TTL_S: raw }),
      );
      expect(failure.message).toContain('AUTH_TOKEN_TTL_S');
    },
  );

  test('is validated even without a key: a misconfiguration is reported, not ignored', () => {
    configError(() => tokenSettings({ AUTH_TOKEN_TTL_S: '30' }));
  });
});

describe('AUTH_TOKEN_PRIVATE_KEY', () => {
  test('absent or empty: tokens are off', () => {
    expect(tokenSettings({})).toBeUndefined();
    expect(tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: '' })).toBeUndefined();
    expect(tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: '  ' })).toBeUndefined();
  });

  test('the kid is the RFC 7638 thumbprint of the public key', () => {
    const settings = tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem });
    expect(settings?.kid).toBe(thumbprintByHand(keys.publicKeyPem));
    expect(settings?.kid).toBe(keys.publicJwk.kid); // what jose computes for the JWKS
  });

  test('a single-line PEM (literal \\n, or spaces) from a console field is accepted', () => {
    const kid = thumbprintByHand(keys.publicKeyPem);
    expect(tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: oneLinePem(keys.privateKeyPem) })?.kid).toBe(kid);
    expect(tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem.replace(/\n/g, ' ') })?.kid).toBe(kid);
  });

  test.each<[string, () => string]>([
    ['garbage', () => 'not a key'],
    ['a public key', () => keys.publicKeyPem],
    ['a truncated PEM', () => keys.privateKeyPem.replace(/[A-Za-z0-9+/]{8}\n-----END/, '\n-----END')],
    [
      'an RSA key',
      () =>
        generateKeyPairSync('rsa', { modulusLength: 1024 })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
    ],
    [
      'an EC P-256 key',
      () =>
        generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
    ],
    [
      'an encrypted PKCS#8 key',
      () =>
        generateKeyPairSync('ed25519')
          .privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' })
          .toString(),
    ],
  ])('%s gives CONFIG_ERROR whose message and detail hold no key material', (_name, pem) => {
    const raw = pem();
    const failure = configError(() => tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: raw }));
    const said = JSON.stringify({ message: failure.message, detail: failure.detail });
    expect(said).toContain('AUTH_TOKEN_PRIVATE_KEY');
    const body = raw.split('\n')[1] ?? raw;
    expect(said).not.toContain(body.slice(0, 16));
  });
});

describe('the signed token', () => {
  const identity = { openid: 'o-alice', appid: 'wx-app-1' };
  const accountId = 'ZZZZZZZZZZZZZZZZZZZZZZ';

  test('verifies independently: header, claims, Ed25519 signature over the raw JWS', async () => {
    const settings = tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem, AUTH_TOKEN_TTL_S: '600' })!;
    const now = Date.UTC(2030, 0, 1, 12, 0, 0, 700);
    const issued = await issueLoginToken(settings, identity, { openid: 'o-alice', accountId, sessionVersion: 4 }, now);
    if (!('token' in issued)) throw new Error('no token');
    const decoded = checkIndependently(issued.token, keys.publicKeyPem);
    expect(decoded.signatureValid).toBe(true);
    expect(decoded.header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: thumbprintByHand(keys.publicKeyPem) });
    const iat = Math.floor(now / 1000);
    expect(decoded.payload).toEqual({ iss: 'wx-app-1', sub: 'o-alice', aid: accountId, sv: 4, iat, exp: iat + 600 });
    expect(issued.tokenExpiresAt).toBe(new Date((iat + 600) * 1000).toISOString());
    // and the project's verifier accepts it
    const verify = createTokenVerifier({ issuer: 'wx-app-1', jwks: keys.jwks, now: () => new Date(now) });
    await expect(verify(issued.token)).resolves.toEqual(decoded.payload);
  });

  test('unionid from the document or the context; a missing sessionVersion counts as 1', async () => {
    const settings = tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem })!;
    const fromContext = await issueLoginToken(
      settings,
      { ...identity, unionid: 'u-ctx' },
      { openid: 'o-alice', accountId },
    );
    const fromDoc = await issueLoginToken(settings, identity, { openid: 'o-alice', accountId, unionid: 'u-doc' });
    if (!('token' in fromContext) || !('token' in fromDoc)) throw new Error('no token');
    expect(checkIndependently(fromContext.token, keys.publicKeyPem).payload).toMatchObject({ unionid: 'u-ctx', sv: 1 });
    expect(checkIndependently(fromDoc.token, keys.publicKeyPem).payload).toMatchObject({ unionid: 'u-doc', sv: 1 });
  });

  test('no settings, no token; an invalid stored sessionVersion or accountId is refused rather than signed', async () => {
    expect(await issueLoginToken(undefined, identity, { openid: 'o-alice' })).toEqual({});
    const settings = tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem })!;
    await expect(
      issueLoginToken(settings, identity, { openid: 'o-alice', accountId, sessionVersion: 0 }),
    ).rejects.toThrow();
    await expect(issueLoginToken(settings, identity, { openid: 'o-alice' })).rejects.toThrow();
    await expect(issueLoginToken(settings, identity, { openid: 'o-alice', accountId: 'short' })).rejects.toThrow();
    await expect(signSessionToken(settings, { iss: '', sub: 'o', aid: 'A'.repeat(22), sv: 1 })).rejects.toThrow();
  });
});
