/**
 * @jest-environment jsdom
 *
 * 「我的后端」 on the login page: the real page calls the example backend (verifier/example-backend.ts, in a child process)
 * through the simulated device's wx.request with the session token the login function signed on devcloud.
 */
import { createDevice, type Device } from 'devcloud';
import { startChildBackend, startChildCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { gesture, openPage, text, until, type RenderedPage } from '../support/pages';
import { nodeTokenKeys, tamper } from '../support/tokens';

let apiBase = '';
jest.doMock('../../miniprogram/config', () => ({ CLOUD_ENV_ID: 'test-env', API_BASE_URL: apiBase }));

const keys = nodeTokenKeys();
let t: TestCloud;
let backend: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  t = await startChildCloud({ functionEnv: { login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem } } });
  const { appid, envId, url } = await t.control.info();
  backend = await startChildBackend({
    issuers: appid,
    jwks: keys.jwks,
    revocation: { envId, serviceUrl: `${url}/admin` },
  });
}, 60_000);
afterAll(async () => {
  await backend?.stop();
  await t?.stop();
});
beforeEach(() => {
  apiBase = backend.url;
});

const STORAGE_KEY = 'loginkit.auth.v1';
type Stored = { token: string; tokenExpiresAt: string } & Record<string, unknown>;

async function askBackend(page: RenderedPage): Promise<void> {
  await gesture(page, '.backend-btn', 'tap');
  await until(page, (data) => data.backendStatus !== 'loading');
}

function newDevice(): Device {
  return createDevice({ devcloudUrl: t.control.url, user: uniqueUser() });
}

test('without API_BASE_URL the section is not there', async () => {
  apiBase = '';
  const page = await openPage(newDevice(), 'login');
  expect(page.data.status).toBe('ready');
  expect(page.querySelector('.backend')).toBeFalsy();
});

test('the backend verifies the token and answers who is logged in', async () => {
  const device = newDevice();
  const page = await openPage(device, 'login');
  expect(text(page, '.backend-title')).toBe('我的后端');
  await askBackend(page);
  const { openid } = await t.control.user(device.user);
  expect(text(page, '.backend-result')).toBe(`后端已验证：${openid}（会话版本 1）`);
  const { token } = device.storage.get(STORAGE_KEY) as Stored;
  expect(device.requests).toEqual([
    { method: 'GET', url: `${backend.url}/api/me`, header: { Authorization: `Bearer ${token}` }, outcome: 200 },
  ]);
  expect(device.calls.callFunction).toBe(1); // the launch login brought the token: no extra cloud call
});

test('a tampered token: the backend says 401, the page refreshes the token once, retries, and succeeds', async () => {
  const device = newDevice();
  const page = await openPage(device, 'login');
  const stored = device.storage.get(STORAGE_KEY) as Stored;
  device.storage.set(STORAGE_KEY, { ...stored, token: tamper(stored.token, { sv: 9 }) });
  await askBackend(page);
  expect(page.data.backendStatus).toBe('ok');
  expect(text(page, '.backend-result')).toContain('（会话版本 1）');
  expect(device.requests.map((r) => r.outcome)).toEqual([401, 200]);
  expect(device.calls.callFunction).toBe(2);
  expect(device.calls.login).toBe(1); // the refresh is a login without a code
});

test('an expired token is refreshed before the request: no 401 at all', async () => {
  const device = newDevice();
  const page = await openPage(device, 'login');
  const stored = device.storage.get(STORAGE_KEY) as Stored;
  device.storage.set(STORAGE_KEY, { ...stored, tokenExpiresAt: new Date(Date.now() - 1000).toISOString() });
  await askBackend(page);
  expect(page.data.backendStatus).toBe('ok');
  expect(device.requests.map((r) => r.outcome)).toEqual([200]);
  expect(device.calls.callFunction).toBe(2);
});

test('a backend that keeps refusing: one refresh, one retry, then a message in Chinese', async () => {
  const other = await startChildBackend({ issuers: 'wx-not-this-app', jwks: keys.jwks });
  try {
    apiBase = other.url;
    const device = newDevice();
    const page = await openPage(device, 'login');
    await askBackend(page);
    expect(page.data.backendErrorCode).toBe('API_UNAUTHORIZED');
    expect(text(page, '.backend-error')).toBe('身份验证未通过，请重新登录后再试');
    expect(device.requests.map((r) => r.outcome)).toEqual([401, 401]);

    // The message asks for a new login, and the button does one (a fresh wx.login), then asks again.
    expect(text(page, '.backend-relogin-btn')).toBe('重新登录');
    const logins = device.calls.login;
    await gesture(page, '.backend-relogin-btn', 'tap');
    await until(page, (data) => data.backendStatus === 'error');
    expect(device.calls.login).toBe(logins + 1);
    expect(device.requests.map((r) => r.outcome)).toEqual([401, 401, 401, 401]);
    expect(text(page, '.backend-relogin-btn')).toBe('重新登录');
  } finally {
    await other.stop();
  }
});

test('a backend outside the request whitelist: the network message, and the token is not sent', async () => {
  apiBase = 'https://api.example.com';
  const device = newDevice();
  const page = await openPage(device, 'login');
  await askBackend(page);
  expect(page.data.backendErrorCode).toBe('NETWORK');
  expect(text(page, '.backend-error')).toBe('网络异常，请检查网络后重试');
  expect(page.querySelector('.backend-relogin-btn')).toBeFalsy(); // logging in again would not help
  expect(device.requests.map((r) => r.outcome)).toEqual(['request:fail url not in domain list']);
});
