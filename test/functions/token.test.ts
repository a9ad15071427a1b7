/**
 * The login function's session token, run as built (cloudfunctions/login/index.js) on devcloud with the real
 * wx-server-sdk: present on every successful login when AUTH_TOKEN_PRIVATE_KEY is set, claims that match the users
 * document, nothing secret inside, and configuration errors that write nothing.
 */
import type { Envelope, LoginResult } from '../../contracts';
import { createTokenVerifier } from '../../verifier/verify';
import { generateTokenKeys, type TokenKeyPair } from '../../scripts/keys';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { checkIndependently, thumbprintByHand } from '../support/tokens';

const TTL_S = 900;
let keys: TokenKeyPair;
let t: TestCloud;
beforeAll(async () => {
  keys = await generateTokenKeys();
  t = await startTestCloud({
    functionEnv: { login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem, AUTH_TOKEN_TTL_S: String(TTL_S) } },
  });
});
afterAll(() => t.stop());

interface UserDoc {
  _id: string;
  unionid?: string;
  sessionVersion?: number;
  accountId?: string;
  status?: string;
}

async function login(cloud: TestCloud, user: string, event: Record<string, unknown> = {}) {
  const report = await cloud.control.invoke('login', event, user);
  expect(report.error).toBeUndefined();
  return report.result as Envelope<LoginResult>;
}

function data(result: Envelope<LoginResult>): LoginResult {
  if (!result.ok) throw new Error(`login failed: ${result.error.code}`);
  return result.data;
}

async function userDoc(cloud: TestCloud, openid: string): Promise<UserDoc | undefined> {
  return (await cloud.control.documents<UserDoc>('users')).find((doc) => doc._id === openid);
}

/** The revocation lookup a developer's backend makes: the users document as it is now (docs/tokens.md). */
async function sessionNow(sub: string) {
  const user = await userDoc(t, sub);
  return user && { aid: user.accountId ?? '', sv: user.sessionVersion ?? 1, banned: user.status === 'banned' };
}

/** What a verifier on the developer's backend sees. */
async function verified(token: string) {
  const { appid } = await t.control.info();
  return createTokenVerifier({ issuer: appid, jwks: keys.jwks })(token);
}

/** Checks a login's token: independently and with the project's verifier; returns the decoded payload. */
async function checkToken(result: LoginResult, before: number, after: number) {
  expect(typeof result.token).toBe('string');
  const decoded = checkIndependently(result.token!, keys.publicKeyPem);
  expect(decoded.signatureValid).toBe(true);
  expect(decoded.header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: thumbprintByHand(keys.publicKeyPem) });
  const { iat, exp } = decoded.payload as { iat: number; exp: number };
  expect(iat).toBeGreaterThanOrEqual(Math.floor(before / 1000));
  expect(iat).toBeLessThanOrEqual(Math.ceil(after / 1000));
  expect(exp).toBe(iat + TTL_S);
  expect(result.tokenExpiresAt).toBe(new Date(exp * 1000).toISOString());
  expect(await verified(result.token!)).toEqual(decoded.payload);
  return decoded.payload;
}

test('a login without a code carries a token whose claims match the users document', async () => {
  const name = uniqueUser();
  const { openid } = await t.control.user(name);
  const { appid } = await t.control.info();
  const before = Date.now();
  const result = data(await login(t, name));
  const payload = await checkToken(result, before, Date.now());
  const doc = await userDoc(t, openid);
  expect(doc?.accountId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(payload).toEqual({
    iss: appid,
    sub: openid,
    aid: doc?.accountId,
    sv: doc?.sessionVersion ?? 1,
    iat: expect.any(Number) as number,
    exp: expect.any(Number) as number,
  });
});

test('a login with a code carries one too, with the UNIONID; no code, session_key or phone number inside', async () => {
  const name = uniqueUser();
  const { openid, unionid } = await t.control.user(name, { unionid: true, phoneNumber: '13912345678' });
  // bind the phone number first, so the users document holds it when the token is minted
  data(await login(t, name));
  await t.control.invoke('account', { action: 'recordConsent', version: 1 }, name);
  const { code: phoneCode } = await t.control.phoneNumberDetail(name);
  const bound = (await t.control.invoke('account', { action: 'bindPhone', code: phoneCode }, name)).result;
  expect(bound).toMatchObject({ ok: true });

  const code = await t.control.loginCode(name);
  const before = Date.now();
  const result = data(await login(t, name, { code }));
  const payload = await checkToken(result, before, Date.now());
  const doc = await userDoc(t, openid);
  expect(payload).toMatchObject({ sub: openid, unionid, aid: doc?.accountId, sv: doc?.sessionVersion ?? 1 });
  expect(Object.keys(payload).sort()).toEqual(['aid', 'exp', 'iat', 'iss', 'sub', 'sv', 'unionid']);

  const session = (await t.control.documents('sessions')).find((s) => s._id === openid);
  const sessionKey = String(session?.sessionKey);
  expect(sessionKey.length).toBeGreaterThan(10);
  const decodedText = JSON.stringify(payload);
  for (const secret of [code, sessionKey, '13912345678', '12345678', phoneCode]) {
    expect(decodedText).not.toContain(secret);
    expect(result.token).not.toContain(secret);
    expect(result.token).not.toContain(Buffer.from(secret).toString('base64url'));
  }
});

test('a token minted after the session version moved carries the new sv', async () => {
  const name = uniqueUser();
  const { openid } = await t.control.user(name);
  data(await login(t, name));
  // What a logout or an admin ban does to the users document (the account function's increment).
  await t.cloud!.database.handle('database.modifyDocument', {
    collectionName: 'users',
    query: JSON.stringify({ _id: openid }),
    data: JSON.stringify({ $set: { sessionVersion: { $numberInt: '3' } } }),
    merge: true,
  });
  const again = data(await login(t, name));
  expect(checkIndependently(again.token!, keys.publicKeyPem).payload.sv).toBe(3);
  expect((await userDoc(t, openid))?.sessionVersion).toBe(3);
  // and a backend that knows the current version refuses the older token
  const { appid } = await t.control.info();
  const strict = createTokenVerifier({ issuer: appid, jwks: keys.jwks, currentSession: sessionNow });
  await expect(strict(again.token!)).resolves.toMatchObject({ sv: 3 });
});

test('after a logout (account function) a new token carries the next sv, and the old one is no longer current', async () => {
  const name = uniqueUser();
  const { openid } = await t.control.user(name);
  const before = data(await login(t, name));
  const svBefore = Number(checkIndependently(before.token!, keys.publicKeyPem).payload.sv);
  expect(svBefore).toBe((await userDoc(t, openid))?.sessionVersion ?? 1);
  expect((await t.control.invoke('account', { action: 'logout' }, name)).result).toMatchObject({ ok: true });
  const current = (await userDoc(t, openid))?.sessionVersion;
  expect(current).toBe(svBefore + 1);
  const after = data(await login(t, name));
  expect(checkIndependently(after.token!, keys.publicKeyPem).payload.sv).toBe(current);
  // A backend whose isCurrent reads the users document refuses the token minted before the logout.
  const { appid } = await t.control.info();
  const verify = createTokenVerifier({ issuer: appid, jwks: keys.jwks, currentSession: sessionNow });
  await expect(verify(before.token!)).rejects.toMatchObject({ reason: 'revoked' });
  await expect(verify(after.token!)).resolves.toMatchObject({ sub: openid, sv: current });
});

test('a token from before 注销 is never current again, for the old account or a new one of the same user', async () => {
  const name = uniqueUser();
  const { openid } = await t.control.user(name);
  const { appid } = await t.control.info();
  const verify = createTokenVerifier({ issuer: appid, jwks: keys.jwks, currentSession: sessionNow });
  const first = data(await login(t, name));
  // sv 2 after a logout, minted before 注销: the case where `sv >=` accepted it against the new account's sv 1.
  expect((await t.control.invoke('account', { action: 'logout' }, name)).result).toMatchObject({ ok: true });
  const second = data(await login(t, name));
  await expect(verify(second.token!)).resolves.toMatchObject({ sv: 2 });
  const oldAccount = (await userDoc(t, openid))?.accountId;
  const deleted = await t.control.invoke('account', { action: 'deleteAccount', confirm: true }, name);
  expect(deleted.result).toMatchObject({ ok: true });
  for (const token of [first.token!, second.token!]) {
    await expect(verify(token)).rejects.toMatchObject({ reason: 'revoked' }); // no account at all
  }
  const reborn = data(await login(t, name));
  expect(reborn.isNewUser).toBe(true);
  const doc = await userDoc(t, openid);
  expect(doc?.sessionVersion).toBe(1);
  expect(doc?.accountId).not.toBe(oldAccount);
  for (const token of [first.token!, second.token!]) {
    await expect(verify(token)).rejects.toMatchObject({ reason: 'revoked' });
  }
  await expect(verify(reborn.token!)).resolves.toMatchObject({ sub: openid, aid: doc?.accountId, sv: 1 });
});

test('a users document from before accountId gets one at its next login, and its token carries it', async () => {
  const name = uniqueUser();
  const { openid } = await t.control.user(name);
  data(await login(t, name));
  await t.cloud!.database.handle('database.modifyDocument', {
    collectionName: 'users',
    query: JSON.stringify({ _id: openid }),
    data: JSON.stringify({ $unset: { accountId: '' } }),
    merge: true,
  });
  const results = await Promise.all([login(t, name), login(t, name), login(t, name, { refresh: true })]);
  const doc = await userDoc(t, openid);
  expect(doc?.accountId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  for (const result of results) {
    expect(checkIndependently(data(result).token!, keys.publicKeyPem).payload.aid).toBe(doc?.accountId);
  }
});

test('AUTH_TOKEN_AUDIENCE: every token names it; a verifier for another audience, or for none, refuses it', async () => {
  const aud = 'https://api.example.com';
  const scoped = await startTestCloud({
    functionEnv: { login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem, AUTH_TOKEN_AUDIENCE: aud } },
  });
  try {
    const name = uniqueUser();
    const { appid } = await scoped.control.info();
    const token = data(await login(scoped, name)).token!;
    expect(checkIndependently(token, keys.publicKeyPem).payload.aud).toBe(aud);
    const verifierFor = (audience?: string) =>
      createTokenVerifier({ issuer: appid, jwks: keys.jwks, ...(audience ? { audience } : {}) });
    await expect(verifierFor(aud)(token)).resolves.toMatchObject({ aud });
    await expect(verifierFor('https://other.example.com')(token)).rejects.toMatchObject({ reason: 'audience' });
    await expect(verifierFor()(token)).rejects.toMatchObject({ reason: 'audience' });
    // and a token without an audience is refused by a verifier that requires one
    const plain = data(await login(t, name)).token!;
    await expect(verifierFor(aud)(plain)).rejects.toMatchObject({ reason: 'audience' });
  } finally {
    await scoped.stop();
  }
});

test('the token never reaches the log', async () => {
  const name = uniqueUser();
  const result = data(await login(t, name, { code: await t.control.loginCode(name) }));
  const logs = (await t.control.logs()).map((entry) => entry.line).join('\n');
  expect(logs).not.toContain(result.token!.split('.')[2]!);
  expect(logs).not.toContain(keys.privateKeyPem.split('\n')[1]!);
});

describe('configuration', () => {
  test('no AUTH_TOKEN_PRIVATE_KEY: logins work as before, without a token', async () => {
    const bare = await startTestCloud();
    try {
      const name = uniqueUser();
      for (const event of [{}, { code: await bare.control.loginCode(name) }]) {
        const result = data(await login(bare, name, event));
        expect(result).not.toHaveProperty('token');
        expect(result).not.toHaveProperty('tokenExpiresAt');
      }
    } finally {
      await bare.stop();
    }
  });

  test.each([
    ['AUTH_TOKEN_TTL_S', '59'],
    ['AUTH_TOKEN_TTL_S', 'one hour'],
    ['AUTH_TOKEN_TTL_S', '86401'],
    ['AUTH_TOKEN_AUDIENCE', 'has spaces'],
    ['AUTH_TOKEN_PRIVATE_KEY', 'not a key'],
  ])('%s=%j: CONFIG_ERROR, nothing written, no WeChat call', async (variable, value) => {
    const base = { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem };
    const broken = await startTestCloud({ functionEnv: { login: { ...base, [variable]: value } } });
    try {
      const name = uniqueUser();
      await broken.control.user(name);
      for (const event of [{}, { code: await broken.control.loginCode(name) }]) {
        const result = await login(broken, name, event);
        expect(result).toMatchObject({ ok: false, error: { code: 'CONFIG_ERROR' } });
        if (!result.ok) expect(result.error.message).toContain(variable);
      }
      expect(await broken.control.documents('users')).toEqual([]);
      expect(await broken.control.documents('sessions')).toEqual([]);
      expect((await broken.control.stats()).wechat.jscode2session ?? 0).toBe(0);
      const logs = (await broken.control.logs()).map((entry) => entry.line).join('\n');
      expect(logs).toContain('CONFIG_ERROR');
      expect(logs).not.toContain(keys.privateKeyPem.split('\n')[1]!);
    } finally {
      await broken.stop();
    }
  });
});
