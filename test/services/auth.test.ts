/**
 * The client's login state (miniprogram/services/auth.ts) on simulated devices: the real service code, a `wx`
 * backed by devcloud, and the built login function behind wx.cloud.callFunction.
 */
import { createDevice, type Device } from 'devcloud';
import { launchServices } from '../support/services';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

import type * as CloudService from '../../miniprogram/services/cloud';

type CloudModule = typeof CloudService;

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

/** Launch the mini-program on a device: a fresh copy of the service modules, with that device's `wx`. */
const launch = (device: Device) => launchServices(device);

function newDevice(user = uniqueUser()): Device {
  return createDevice({ devcloudUrl: t.control.url, user });
}

test('concurrent ensureLogin calls share one login', async () => {
  const device = newDevice();
  const { auth } = launch(device);
  const states = await Promise.all(Array.from({ length: 5 }, () => auth.ensureLogin()));
  expect(device.calls.login).toBe(1);
  expect(device.calls.callFunction).toBe(1);
  expect(new Set(states.map((state) => state.user.openid)).size).toBe(1);
  expect(states[0]?.user.loginCount).toBe(1);
});

test('the login state is cached in storage, without any secret', async () => {
  const device = newDevice();
  const { auth } = launch(device);
  const state = await auth.ensureLogin();
  expect(auth.currentUser()).toEqual(state.user);
  const stored = device.storage.dump();
  expect(stored).toContain(state.user.openid);
  const session = (await t.control.documents('sessions')).find((doc) => doc._id === state.user.openid);
  expect(typeof session?.sessionKey).toBe('string');
  expect(stored).not.toContain(String(session?.sessionKey));
  expect(stored).not.toMatch(/session_?key/i);
});

test('a relaunch with a live session makes zero cloud calls', async () => {
  const first = newDevice();
  const before = await launch(first).auth.ensureLogin();
  const relaunched = first.relaunch();
  const state = await launch(relaunched).auth.ensureLogin();
  expect(relaunched.calls.callFunction).toBe(0);
  expect(relaunched.calls.login).toBe(0);
  expect(relaunched.calls.checkSession).toBe(1);
  expect(state.user).toEqual(before.user);
});

test('a relaunch with a dead session logs in again with one cloud call', async () => {
  const first = newDevice();
  await launch(first).auth.ensureLogin();
  await t.control.expireSession(first.user);
  const relaunched = first.relaunch();
  const state = await launch(relaunched).auth.ensureLogin();
  expect(relaunched.calls.callFunction).toBe(1);
  expect(relaunched.calls.login).toBe(1);
  expect(state.user.loginCount).toBe(2);
});

test('WX_CODE_INVALID from the function is retried once with a fresh code', async () => {
  const device = newDevice();
  const { auth } = launch(device);
  await t.control.injectWeChatFault({ api: 'jscode2session', errcode: 40163 });
  const state = await auth.ensureLogin();
  expect(state.user.loginCount).toBe(1);
  expect(device.calls.login).toBe(2);
  expect(device.calls.callFunction).toBe(2);
});

test('WX_CODE_INVALID twice fails with that code after one retry, and nothing is cached', async () => {
  const device = newDevice();
  const { auth, cloud } = launch(device);
  await t.control.injectWeChatFault({ api: 'jscode2session', errcode: 40029, times: 2 });
  const failure = await auth.ensureLogin().catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(cloud.ClientError);
  expect((failure as InstanceType<CloudModule['ClientError']>).code).toBe('WX_CODE_INVALID');
  expect(device.calls.callFunction).toBe(2);
  expect(auth.currentUser()).toBeUndefined();
});

test('other errors reach the caller with their code and are not retried', async () => {
  const device = newDevice();
  const { auth } = launch(device);
  await t.control.injectWeChatFault({ api: 'jscode2session', errcode: 45011 });
  await expect(auth.ensureLogin()).rejects.toMatchObject({
    code: 'WX_RATE_LIMITED',
    message: '登录太频繁了，请稍后再试',
  });
  expect(device.calls.callFunction).toBe(1);
  // The next attempt is a new login, not a replay of the failed one.
  await expect(auth.ensureLogin()).resolves.toMatchObject({ user: { loginCount: 1 } });
});

test('a failed callFunction becomes NETWORK', async () => {
  const device = newDevice();
  const { cloud } = launch(device);
  await expect(cloud.callCloud('nonexistent' as 'login', {})).rejects.toMatchObject({ code: 'NETWORK' });
});

test('refreshLogin counts a login without a WeChat call and updates the cache', async () => {
  const device = newDevice();
  const { auth } = launch(device);
  await auth.ensureLogin();
  await t.control.resetStats();
  const state = await auth.refreshLogin();
  expect(state.user.loginCount).toBe(2);
  expect(auth.currentUser()?.loginCount).toBe(2);
  expect((await t.control.stats()).wechat.jscode2session).toBe(0);
  expect(device.calls.login).toBe(1);
});

test('a logout while a login is in flight is not undone when that login finishes', async () => {
  const device = newDevice();
  const { auth } = launch(device);
  const login = auth.ensureLogin();
  auth.clearLogin();
  const state = await login;
  expect(state.user.loginCount).toBe(1);
  expect(auth.currentUser()).toBeUndefined();
});

test('loginAgain waits for a login in flight, then sends a fresh code', async () => {
  const first = newDevice();
  await launch(first).auth.ensureLogin();
  const relaunched = first.relaunch();
  const { auth } = launch(relaunched);
  const cached = auth.ensureLogin(); // answering from the cache, via wx.checkSession
  const fresh = auth.loginAgain();
  await cached;
  const state = await fresh;
  expect(relaunched.trail).toEqual(['checkSession', 'login', 'callFunction:login']);
  expect(state.user.loginCount).toBe(2);
  expect(auth.currentUser()?.loginCount).toBe(2);
});

test('clearLogin forgets the device state', async () => {
  const device = newDevice();
  const { auth } = launch(device);
  await auth.ensureLogin();
  auth.clearLogin();
  expect(auth.currentUser()).toBeUndefined();
  expect(device.storage.keys()).toEqual([]);
});

describe('h. storage that cannot be read is "no cached state"', () => {
  test('getStorageSync throwing: ensureLogin logs in with a code, on every launch, and never rejects', async () => {
    const device = newDevice();
    const broken = () => {
      throw new Error('getStorageSync:fail data is corrupted');
    };
    device.wx.getStorageSync = broken;
    const { auth } = launch(device);
    expect((await auth.ensureLogin()).user.loginCount).toBe(1);
    expect(auth.currentUser()).toBeUndefined();
    const relaunched = device.relaunch();
    relaunched.wx.getStorageSync = broken;
    expect((await launch(relaunched).auth.ensureLogin()).user.loginCount).toBe(2);
    expect(relaunched.calls.login).toBe(1);
  });

  test('setStorageSync throwing (storage full) still logs in for this launch', async () => {
    const device = newDevice();
    device.wx.setStorageSync = () => {
      throw new Error('setStorageSync:fail exceed storage max size 10M');
    };
    const { auth } = launch(device);
    expect((await auth.ensureLogin()).user.loginCount).toBe(1);
  });
});

describe('unclear failures are retried once with the same loginId', () => {
  test('a login whose reply was lost is counted once when the client retries it', async () => {
    const device = newDevice();
    const realCall = device.wx.cloud.callFunction;
    let lost = 0;
    device.wx.cloud.callFunction = async (options: Parameters<typeof realCall>[0]) => {
      const reply = await realCall(options);
      if (lost === 0) {
        lost += 1;
        throw { errMsg: 'cloud.callFunction:fail timeout' }; // the function ran and counted; the phone never heard
      }
      return reply;
    };
    const { auth } = launch(device);
    const { user } = await auth.ensureLogin();
    expect(user.loginCount).toBe(1);
    expect(device.calls.callFunction).toBe(2);
    expect((await t.control.documents('users')).find((doc) => doc._id === user.openid)?.loginCount).toBe(1);
  });
});
