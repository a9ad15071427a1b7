/**
 * The client's session token (services/auth getToken) and its calls to the developer's backend (services/request)
 * on simulated devices: the real service code, the built login function on devcloud signing tokens, and the
 * example backend (verifier/example-backend.ts) verifying them over HTTP through the device's wx.request.
 */
import { createDevice, type Device } from 'devcloud';
import { startBackend, type RunningBackend } from '../../verifier/example-backend';
import { generateTokenKeys, type TokenKeyPair } from '../../scripts/keys';
import { launchServices, type ClientServices } from '../support/services';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { tamper } from '../support/tokens';

import type * as RequestService from '../../miniprogram/services/request';

type RequestModule = typeof RequestService;

let keys: TokenKeyPair;
let t: TestCloud;
let backend: RunningBackend;
interface UserDoc {
  _id: string;
  accountId?: string;
  sessionVersion?: number;
  status?: string;
  loginCount?: number;
}
const userDoc = async (openid: string) =>
  (await t.control.documents<UserDoc>('users')).find((doc) => doc._id === openid);

beforeAll(async () => {
  keys = await generateTokenKeys();
  t = await startTestCloud({ functionEnv: { login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem } } });
  backend = await startBackend({
    issuer: t.cloud!.appid,
    jwks: keys.jwks,
    // The revocation lookup a developer's backend makes: the user's document as it is now.
    currentSession: async (sub) => {
      const user = await userDoc(sub);
      return user && { aid: user.accountId ?? '', sv: user.sessionVersion ?? 1, banned: user.status === 'banned' };
    },
  });
});
afterAll(async () => {
  await backend.close();
  await t.stop();
});
afterEach(() => jest.restoreAllMocks());

/** A launch of the mini-program on `device`, with config.ts's API_BASE_URL set to `apiBase`. */
function launch(device: Device, apiBase = backend.url): ClientServices {
  return launchServices(device, { CLOUD_ENV_ID: 'test-env', API_BASE_URL: apiBase });
}

function newDevice(user = uniqueUser()): Device {
  return createDevice({ devcloudUrl: t.control.url, user });
}

const STORAGE_KEY = 'loginkit.auth.v1';
type StoredState = { token?: string; tokenExpiresAt?: string } & Record<string, unknown>;
const stored = (device: Device) => device.storage.get(STORAGE_KEY) as StoredState;

/** Bumps the user's session version in the database (what a logout or ban does). */
async function revokeSessions(device: Device, version: number): Promise<void> {
  const { openid } = await t.control.user(device.user);
  await t.cloud!.database.handle('database.modifyDocument', {
    collectionName: 'users',
    query: JSON.stringify({ _id: openid }),
    data: JSON.stringify({ $set: { sessionVersion: { $numberInt: String(version) } } }),
    merge: true,
  });
}

describe('getToken', () => {
  test('concurrent callers share one login without a code; the token is kept with the login state', async () => {
    const device = newDevice();
    const { auth } = launch(device);
    await t.control.resetStats();
    const tokens = await Promise.all(Array.from({ length: 6 }, () => auth.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(device.calls.callFunction).toBe(1);
    expect(device.calls.login).toBe(0); // no wx.login: the identity comes from the WeChat context
    const stats = await t.control.stats();
    expect(stats.wechat.jscode2session ?? 0).toBe(0);
    expect(stored(device).token).toBe(tokens[0]);
    expect(auth.currentUser()?.loginCount).toBe(1);
  });

  test('a returning user with less than 5 minutes left refreshes in one database round trip, not counted as a login', async () => {
    const device = newDevice();
    await launch(device).auth.ensureLogin();
    const { auth } = launch(device.relaunch());
    // 4 minutes left: not enough
    device.storage.set(STORAGE_KEY, {
      ...stored(device),
      tokenExpiresAt: new Date(Date.now() + 240_000).toISOString(),
    });
    await t.control.resetStats();
    await auth.getToken();
    // One round trip: the read of the account, with the audit entry (marked as a refresh) written beside it.
    expect((await t.control.stats()).database.byAction).toEqual({
      'database.getDocument': 1,
      'database.modifyDocument': 1,
    });
    const { openid } = await t.control.user(device.user);
    expect((await userDoc(openid))?.loginCount).toBe(1);
    const entries = (await t.control.documents<{ openid: string; refresh?: boolean }>('login_logs')).filter(
      (entry) => entry.openid === openid,
    );
    expect(entries.map((entry) => entry.refresh ?? false).sort()).toEqual([false, true]);
  });

  test('the token from the launch login is reused while more than 5 minutes remain', async () => {
    const device = newDevice();
    const { auth } = launch(device);
    const state = await auth.ensureLogin();
    expect(state.token).toBeTruthy();
    expect(await auth.getToken()).toBe(state.token);
    expect(device.calls.callFunction).toBe(1);
  });

  test('a getToken during the launch login waits for it instead of logging in again', async () => {
    const device = newDevice();
    const { auth } = launch(device);
    const [state, token] = await Promise.all([auth.ensureLogin(), auth.getToken()]);
    expect(token).toBe(state.token);
    expect(device.calls.callFunction).toBe(1);
  });

  test('with less than 5 minutes left it refreshes, once for concurrent callers', async () => {
    const device = newDevice();
    const { auth } = launch(device);
    await auth.ensureLogin();
    const now = Date.now();
    const realNow = Date.now.bind(Date);
    // 56 minutes later on this phone: the 60-minute token has 4 minutes left.
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 56 * 60_000);
    const before = device.calls.callFunction;
    const tokens = await Promise.all([auth.getToken(), auth.getToken(), auth.getToken()]);
    expect(device.calls.callFunction - before).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(Date.parse(stored(device).tokenExpiresAt!)).toBeGreaterThan(now + 30 * 60_000);
  });

  test('a phone clock an hour fast neither refreshes on every call nor trusts a stale token', async () => {
    const realNow = Date.now.bind(Date);
    let phoneAhead = 3_600_000;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + phoneAhead);
    const device = newDevice();
    const { auth } = launch(device);
    const token = await auth.getToken();
    expect(await auth.getToken()).toBe(token);
    expect(device.calls.callFunction).toBe(1);
    phoneAhead += 56 * 60_000; // 56 minutes later on the phone: 4 left by the server's clock, so a refresh
    await auth.getToken();
    expect(device.calls.callFunction).toBe(2);
  });

  test('no token from the login function: TOKEN_UNAVAILABLE', async () => {
    const bare = await startTestCloud();
    try {
      const device = createDevice({ devcloudUrl: bare.control.url, user: uniqueUser() });
      const { auth, request } = launch(device);
      await expect(auth.getToken()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
      await expect(request.requestApi({ path: '/api/me' })).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
      expect(device.requests).toEqual([]);
    } finally {
      await bare.stop();
    }
  });

  test('clearLogin (logout) forgets the token with the rest of the state', async () => {
    const device = newDevice();
    const { auth } = launch(device);
    await auth.getToken();
    auth.clearLogin();
    expect(device.storage.keys()).toEqual([]);
  });
});

describe('requestApi', () => {
  test('sends the token as a Bearer header to API_BASE_URL and returns what the backend says', async () => {
    const device = newDevice();
    const { request, auth } = launch(device);
    const { statusCode, data } = await request.requestApi<{ sub: string; sv: number }>({ path: '/api/me' });
    expect(statusCode).toBe(200);
    const { openid } = await t.control.user(device.user);
    expect(data).toMatchObject({ sub: openid, sv: 1, iss: t.cloud!.appid });
    expect(device.requests).toEqual([
      {
        method: 'GET',
        url: `${backend.url}/api/me`,
        header: { Authorization: `Bearer ${await auth.getToken()}` },
        outcome: 200,
      },
    ]);
  });

  test('a 401 (a revoked session) refreshes the token once and retries once', async () => {
    const device = newDevice();
    const { request, auth } = launch(device);
    const first = await auth.getToken();
    await revokeSessions(device, 2);
    const { data } = await request.requestApi<{ sv: number }>({ path: '/api/me' });
    expect(data.sv).toBe(2);
    expect(device.requests.map((r) => r.outcome)).toEqual([401, 200]);
    expect(device.requests[0]?.header.Authorization).toBe(`Bearer ${first}`);
    expect(device.requests[1]?.header.Authorization).not.toBe(`Bearer ${first}`);
    expect(device.calls.callFunction).toBe(2);
  });

  test('a tampered stored token: 401, then a fresh token works', async () => {
    const device = newDevice();
    const { request, auth } = launch(device);
    const token = await auth.getToken();
    device.storage.set(STORAGE_KEY, { ...stored(device), token: tamper(token, { sv: 7 }) });
    await expect(request.requestApi({ path: '/api/me' })).resolves.toMatchObject({ statusCode: 200 });
    expect(device.requests.map((r) => r.outcome)).toEqual([401, 200]);
  });

  test('concurrent 401s cause one refresh', async () => {
    const device = newDevice();
    const { request, auth } = launch(device);
    await auth.getToken();
    await revokeSessions(device, 5);
    const before = device.calls.callFunction;
    await Promise.all([1, 2, 3].map(() => request.requestApi({ path: '/api/me' })));
    expect(device.calls.callFunction - before).toBe(1);
    expect(device.requests.filter((r) => r.outcome === 401)).toHaveLength(3);
    expect(device.requests.filter((r) => r.outcome === 200)).toHaveLength(3);
  });

  test('still 401 after the refresh: API_UNAUTHORIZED, after exactly one refresh and one retry', async () => {
    const strict = await startBackend({ issuer: 'wx-some-other-app', jwks: keys.jwks });
    try {
      const device = newDevice();
      const { request } = launch(device, strict.url);
      const failure = (await request.requestApi({ path: '/api/me' }).catch((e: unknown) => e)) as InstanceType<
        RequestModule['ApiError']
      >;
      expect(failure).toBeInstanceOf(request.ApiError);
      expect(failure).toMatchObject({
        code: 'API_UNAUTHORIZED',
        statusCode: 401,
        message: '身份验证未通过，请重新登录后再试',
      });
      expect(failure.body).toMatchObject({ error: { reason: 'issuer' } });
      expect(device.requests.map((r) => r.outcome)).toEqual([401, 401]);
      expect(device.calls.callFunction).toBe(2); // the first token, and one refresh
    } finally {
      await strict.close();
    }
  });

  test('another error status: API_ERROR with the status; no retry', async () => {
    const device = newDevice();
    const { request } = launch(device);
    await expect(request.requestApi({ path: '/api/nothing-here' })).rejects.toMatchObject({
      code: 'API_ERROR',
      statusCode: 404,
      message: '服务器开小差了，请稍后重试',
    });
    expect(device.requests).toHaveLength(1);
  });

  test('an unreachable backend: NETWORK', async () => {
    const device = newDevice();
    const { request } = launch(device, 'http://127.0.0.1:9');
    await expect(request.requestApi({ path: '/api/me' })).rejects.toMatchObject({
      code: 'NETWORK',
      message: '网络异常，请检查网络后重试',
    });
  });

  test('a host outside the request whitelist: NETWORK, and the token never leaves the phone', async () => {
    const device = newDevice();
    const { request } = launch(device, 'https://api.example.com');
    await expect(request.requestApi({ path: '/api/me' })).rejects.toMatchObject({ code: 'NETWORK' });
    expect(device.requests.map((r) => r.outcome)).toEqual(['request:fail url not in domain list']);
  });

  test('API_BASE_URL empty: API_NOT_CONFIGURED, and no cloud call or request', async () => {
    const device = newDevice();
    const { request } = launch(device, '');
    await expect(request.requestApi({ path: '/api/me' })).rejects.toMatchObject({ code: 'API_NOT_CONFIGURED' });
    expect(device.calls.callFunction).toBe(0);
    expect(device.requests).toEqual([]);
  });
});
