/**
 * devcloud's simulated device (device.ts): the `wx` object pages and services use, backed by the WeChat fake and the
 * function runtime, with per-device storage. The login function behind callFunction is the built one.
 */
import { existsSync, readFileSync } from 'fs';
import { mkdtemp, rm } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { createDevice, DeviceStorage, type Device } from '../phone/device';
import type { DevCloud } from '../hub';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

let t: TestCloud;
let cloud: DevCloud;
let dir: string;
beforeAll(async () => {
  if (!existsSync(join(__dirname, '..', '..', 'cloudfunctions', 'login', 'index.js')))
    throw new Error('cloudfunctions/login/index.js is missing: run npm run build');
  dir = await mkdtemp(join(tmpdir(), 'devcloud-device-'));
  t = await startTestCloud();
  cloud = t.cloud!;
});
afterAll(async () => {
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

function newDevice(options: { storage?: DeviceStorage; confirmModals?: boolean } = {}): Device {
  return createDevice({ devcloudUrl: cloud.url, user: uniqueUser('device'), ...options });
}

/** Settles a promise into what it resolved or rejected with, so both can be asserted. */
async function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

interface LoginEnvelope {
  ok: boolean;
  data?: { isNewUser: boolean; user: { openid: string; loginCount: number } };
  error?: { code: string };
}

describe('wx.login and wx.checkSession', () => {
  test('wx.login gives a code the login function accepts, once', async () => {
    const device = newDevice();
    const { openid } = cloud.user(device.user);
    const { code, errMsg } = await device.wx.login();
    expect(errMsg).toBe('login:ok');
    expect(code).toMatch(/^[0-9a-f]{32}$/);
    const first = await device.wx.cloud.callFunction({ name: 'login', data: { code } });
    expect(first.errMsg).toBe('cloud.callFunction:ok');
    expect(first.requestID).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.result).toMatchObject({ ok: true, data: { isNewUser: true, user: { openid, loginCount: 1 } } });
    const session = (await t.control.documents('sessions')).find((doc) => doc._id === openid);
    expect(session?.sessionKey).toBe(cloud.wechat.currentSessionKey(openid));
    // The same code again: WeChat says it was used.
    const again = await device.wx.cloud.callFunction({ name: 'login', data: { code } });
    expect((again.result as LoginEnvelope).ok).toBe(false);
    expect((again.result as LoginEnvelope).error?.code).toBe('WX_CODE_INVALID');
  });

  test('a code from one device is refused when another user sends it', async () => {
    const alice = newDevice();
    const bob = newDevice();
    const { code } = await alice.wx.login();
    const result = (await bob.wx.cloud.callFunction({ name: 'login', data: { code } })).result as LoginEnvelope;
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('WX_CODE_MISMATCH');
  });

  test('wx.checkSession resolves while the session is alive and fails after expireSession', async () => {
    const device = newDevice();
    const before = await outcome(device.wx.checkSession());
    expect(before).toMatchObject({
      ok: false,
      error: { errMsg: expect.stringMatching(/^checkSession:fail /) as string },
    });
    await device.wx.login();
    expect(await device.wx.checkSession()).toEqual({ errMsg: 'checkSession:ok' });
    await t.control.expireSession(device.user);
    const after = await outcome(device.wx.checkSession());
    expect(after.ok).toBe(false);
    if (after.ok) return;
    expect((after.error as { errMsg: string }).errMsg).toMatch(/^checkSession:fail .+/);
    await device.wx.login();
    expect(await device.wx.checkSession()).toEqual({ errMsg: 'checkSession:ok' });
  });
});

describe('storage', () => {
  test('get/set/remove/clear, with "" for a missing key, values stored as copies', () => {
    const { wx } = newDevice();
    expect(wx.getStorageSync('missing')).toBe('');
    const profile = { nickname: '小明', tags: ['a'], n: 1 };
    wx.setStorageSync('profile', profile);
    wx.setStorageSync('count', 0);
    wx.setStorageSync('flag', false);
    wx.setStorageSync('text', 'hello');
    profile.tags.push('changed after set');
    expect(wx.getStorageSync('profile')).toEqual({ nickname: '小明', tags: ['a'], n: 1 });
    expect(wx.getStorageSync('count')).toBe(0);
    expect(wx.getStorageSync('flag')).toBe(false);
    expect(wx.getStorageSync('text')).toBe('hello');
    wx.setStorageSync('text', 'again');
    expect(wx.getStorageSync('text')).toBe('again');
    wx.removeStorageSync('text');
    expect(wx.getStorageSync('text')).toBe('');
    wx.removeStorageSync('never-set'); // no error
    wx.clearStorageSync();
    for (const key of ['profile', 'count', 'flag']) expect(wx.getStorageSync(key)).toBe('');
  });

  test('values survive relaunch(); counters and records start fresh', async () => {
    const device = newDevice();
    device.wx.setStorageSync('auth', { openid: 'o1' });
    await device.wx.login();
    await device.wx.showToast({ title: 'hi' });
    const next = device.relaunch();
    expect(next.user).toBe(device.user);
    expect(next.wx.getStorageSync('auth')).toEqual({ openid: 'o1' });
    expect(next.calls).toEqual({ login: 0, checkSession: 0, callFunction: 0, uploadFile: 0 });
    expect(next.toasts).toEqual([]);
    expect(next.invocations).toEqual([]);
    // Still one storage: writes after the relaunch are seen by both launches.
    next.wx.setStorageSync('later', 2);
    expect(device.wx.getStorageSync('later')).toBe(2);
  });

  test('a DeviceStorage with a file persists to JSON and reloads from it', () => {
    const file = join(dir, 'storage.json');
    const storage = new DeviceStorage(file);
    const device = newDevice({ storage });
    device.wx.setStorageSync('auth', { openid: 'o2', since: '2024-01-01' });
    device.wx.setStorageSync('n', 3);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      auth: JSON.stringify({ openid: 'o2', since: '2024-01-01' }),
      n: '3',
    });
    const reloaded = new DeviceStorage(file);
    expect(reloaded.get('auth')).toEqual({ openid: 'o2', since: '2024-01-01' });
    expect(reloaded.get('n')).toBe(3);
    expect(reloaded.keys().sort()).toEqual(['auth', 'n']);
    device.wx.removeStorageSync('n');
    expect(new DeviceStorage(file).get('n')).toBe('');
    device.wx.clearStorageSync();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({});
    expect(new DeviceStorage(join(dir, 'absent.json')).keys()).toEqual([]);
  });
});

describe('callback and promise styles', () => {
  test('success then complete on success; the promise resolves with the same result', async () => {
    const device = newDevice();
    const order: string[] = [];
    let fromSuccess: { code: string } | undefined;
    const result = await new Promise<{ code: string }>((resolve, reject) => {
      void device.wx.login({
        success: (r) => {
          order.push('success');
          fromSuccess = r;
        },
        fail: () => order.push('fail'),
        complete: () => {
          order.push('complete');
          if (fromSuccess) resolve(fromSuccess);
          else reject(new Error('complete without success'));
        },
      });
    });
    expect(order).toEqual(['success', 'complete']);
    expect(result.code).toMatch(/^[0-9a-f]{32}$/);
  });

  test('fail then complete on failure, and the promise rejects with the same error', async () => {
    const device = newDevice();
    const seen: Array<[string, unknown]> = [];
    const promise = device.wx.checkSession({
      success: () => seen.push(['success', null]),
      fail: (error) => seen.push(['fail', error]),
      complete: (value) => seen.push(['complete', value]),
    });
    const settled = await outcome(promise);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled.ok).toBe(false);
    expect(seen.map(([name]) => name)).toEqual(['fail', 'complete']);
    if (settled.ok) return;
    expect(seen[0]![1]).toBe(settled.error);
    expect(seen[1]![1]).toBe(settled.error);
  });

  test('callFunction of a missing function rejects with errCode, through the promise and through fail', async () => {
    const device = newDevice();
    const rejected = await outcome(device.wx.cloud.callFunction({ name: 'nosuchfunction', data: {} }));
    expect(rejected).toMatchObject({
      ok: false,
      error: { errCode: -501000, errMsg: expect.stringContaining('nosuchfunction') as string },
    });
    const failed = await new Promise<unknown>((resolve) => {
      void device.wx.cloud.callFunction({ name: 'nosuchfunction', fail: resolve });
    });
    expect(failed).toMatchObject({ errCode: -501000 });
    expect((failed as { errMsg: string }).errMsg).toMatch(/^cloud\.callFunction:fail -501000 /);
    expect(device.calls.callFunction).toBe(2);
    expect(device.invocations.map((report) => report.error?.errCode)).toEqual([-501000, -501000]);
  });
});

describe('avatar, phone number and the rest of wx', () => {
  test('uploadFile of a chooseAvatar temp path stores those bytes under a cloud:// fileID', async () => {
    const device = newDevice();
    const bytes = Buffer.from('\x89PNG fake avatar bytes', 'latin1');
    const { detail } = device.chooseAvatarEvent(bytes);
    expect(detail.avatarUrl).toMatch(/^http:\/\/tmp\/[0-9a-f]{16}\.jpg$/);
    const uploaded = await device.wx.cloud.uploadFile({
      cloudPath: `avatars/${device.user}.jpg`,
      filePath: detail.avatarUrl,
    });
    expect(uploaded.statusCode).toBe(200);
    expect(uploaded.errMsg).toBe('cloud.uploadFile:ok');
    expect(uploaded.fileID).toMatch(new RegExp(`^cloud://${cloud.envId}\\..+/avatars/${device.user}\\.jpg$`));
    expect(await cloud.storage.read(uploaded.fileID)).toEqual(bytes);

    const missing = await outcome(device.wx.cloud.uploadFile({ cloudPath: 'a.jpg', filePath: 'http://tmp/none.jpg' }));
    expect(missing).toMatchObject({
      ok: false,
      error: { errMsg: expect.stringMatching(/^cloud\.uploadFile:fail /) as string },
    });
    expect(device.calls.uploadFile).toBe(2);
  });

  test('getPhoneNumber: a declined button has no code; an accepted one has a working phone code', async () => {
    const device = newDevice();
    const { openid } = cloud.user(device.user, { phoneNumber: '13700007777' });
    const declined = await device.getPhoneNumberEvent(false);
    expect(declined.detail.errMsg).toBe('getPhoneNumber:fail user deny');
    expect(declined.detail.code).toBeUndefined();
    const accepted = await device.getPhoneNumberEvent();
    expect(accepted.detail.errMsg).toBe('getPhoneNumber:ok');
    expect(typeof accepted.detail.code).toBe('string');
    const reply = cloud.wechat.phoneNumberFor(accepted.detail.code).body;
    expect(reply).toMatchObject({ errcode: 0, phone_info: { purePhoneNumber: '13700007777' } });
    expect(cloud.wechat.sessionAlive(openid)).toBe(false); // the phone button is not a login
  });

  test('device.calls counts what the mini-program asked of WeChat; invocations keep the runtime reports', async () => {
    const device = newDevice();
    await device.wx.login();
    await device.wx.checkSession();
    await device.wx.checkSession();
    await device.wx.cloud.callFunction({ name: 'login', data: {} });
    await device.wx.cloud.callFunction({ name: 'login', data: {} });
    expect(device.calls).toEqual({ login: 1, checkSession: 2, callFunction: 2, uploadFile: 0 });
    expect(device.invocations).toHaveLength(2);
    expect(device.invocations.map((report) => report.functionName)).toEqual(['login', 'login']);
    expect(device.invocations[1]!.cold).toBe(false);
    const results = device.invocations.map((report) => (report.result as LoginEnvelope).data?.user.loginCount);
    expect(results).toEqual([1, 2]);
  });

  test('toasts are recorded; showModal answers as configured', async () => {
    const agreeing = newDevice();
    await agreeing.wx.showToast({ title: '登录成功' });
    expect(agreeing.toasts).toEqual(['登录成功']);
    expect(await agreeing.wx.showModal()).toMatchObject({ confirm: true, cancel: false });
    const refusing = newDevice({ confirmModals: false });
    expect(await refusing.wx.showModal()).toMatchObject({ confirm: false, cancel: true });
  });
});
