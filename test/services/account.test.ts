/**
 * services/account on simulated devices: which phone flow it picks, and the SESSION_EXPIRED recovery that must
 * never call wx.login between receiving open data and sending it.
 */
import type * as AccountService from '../../miniprogram/services/account';
import { createDevice, type Device } from 'devcloud';
import { launchServices } from '../support/services';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

const launch = (device: Device) => launchServices(device);

async function loggedInDevice(): Promise<{ device: Device; account: typeof AccountService; openid: string }> {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('svc') });
  const { account, auth } = launch(device);
  const { user } = await auth.ensureLogin();
  // Agreed to 《用户协议》和《隐私政策》 (server-side, so the device's trail shows only what the test does).
  await t.control.invoke('account', { action: 'recordConsent', version: 1 }, device.user);
  device.trail.length = 0;
  return { device, account, openid: user.openid };
}

test('the code is preferred when the button gives one', async () => {
  const { device, account } = await loggedInDevice();
  const { detail } = await device.getPhoneNumberEvent();
  const user = await account.bindPhone(detail);
  expect(user.phoneMasked).toBe('138****1234');
  expect(device.trail).toEqual(['callFunction:account']);
});

test('without a code, the cloudID is used and a stale session_key does not matter', async () => {
  const { device, account } = await loggedInDevice();
  await device.wx.login(); // WeChat rotates the key; the server still holds the previous one
  const { detail } = await device.getPhoneNumberEvent();
  const user = await account.bindPhone({ cloudID: detail.cloudID, encryptedData: detail.encryptedData, iv: detail.iv });
  expect(user.phoneMasked).toBe('138****1234');
});

test('encryptedData with a live session_key binds the number in one call', async () => {
  const { device, account } = await loggedInDevice();
  const { detail } = await device.getPhoneNumberEvent();
  const user = await account.bindPhone({ encryptedData: detail.encryptedData, iv: detail.iv });
  expect(user.phoneMasked).toBe('138****1234');
  expect(device.trail).toEqual(['callFunction:account']);
});

test('SESSION_EXPIRED: the data is sent before any wx.login, then one fresh login and one retry', async () => {
  const { device, account, openid } = await loggedInDevice();
  await device.wx.login(); // stale server key
  const { detail } = await device.getPhoneNumberEvent();
  device.trail.length = 0;
  await expect(account.bindPhone({ encryptedData: detail.encryptedData, iv: detail.iv })).rejects.toMatchObject({
    code: 'SESSION_EXPIRED',
    message: '登录状态已过期，请重新点击获取',
  });
  // devcloud rotates the key on every new code, so the retry of the same data fails too: the page asks for a tap.
  expect(device.trail).toEqual(['callFunction:account', 'login', 'callFunction:login', 'callFunction:account']);
  const session = (await t.control.documents('sessions')).find((doc) => doc._id === openid);
  expect(session?.sessionKey).toBeDefined();
  // After that fresh login, new data from a new tap binds at once.
  const again = await device.getPhoneNumberEvent();
  expect(
    (await account.bindPhone({ encryptedData: again.detail.encryptedData, iv: again.detail.iv })).phoneMasked,
  ).toBe('138****1234');
});

test('SESSION_EXPIRED with a WeChat that keeps a live key: the one retry after a fresh login succeeds', async () => {
  const keeping = await startTestCloud({ sessionKeyRotation: 'when-expired' });
  try {
    const device = createDevice({ devcloudUrl: keeping.control.url, user: uniqueUser('keep') });
    const { account, auth } = launch(device);
    await auth.ensureLogin();
    await keeping.control.invoke('account', { action: 'recordConsent', version: 1 }, device.user);
    // The server lost its session_key (a logout from another phone): the device's state still looks logged in.
    await keeping.control.invoke('account', { action: 'logout' }, device.user);
    const { detail } = await device.getPhoneNumberEvent();
    device.trail.length = 0;
    const user = await account.bindPhone({ encryptedData: detail.encryptedData, iv: detail.iv });
    expect(user.phoneMasked).toBe('138****1234');
    expect(device.trail).toEqual(['callFunction:account', 'login', 'callFunction:login', 'callFunction:account']);
  } finally {
    await keeping.stop();
  }
});

test('a declined prompt is PHONE_DENIED without any call', async () => {
  const { device, account } = await loggedInDevice();
  const { detail } = await device.getPhoneNumberEvent(false);
  await expect(account.bindPhone(detail)).rejects.toMatchObject({ code: 'PHONE_DENIED' });
  expect(device.trail).toEqual([]);
});

test('only the user saying no is PHONE_DENIED: no permission and other failures are PHONE_UNAVAILABLE', async () => {
  const { account } = launch(createDevice({ devcloudUrl: t.control.url, user: uniqueUser('svc') }));
  const refusal = (errMsg: string, errno?: number) =>
    account.phoneRefusal({ errMsg, ...(errno === undefined ? {} : { errno }) });
  expect(refusal('getPhoneNumber:fail user deny')).toBe('PHONE_DENIED');
  expect(refusal('getRealtimePhoneNumber:fail user deny')).toBe('PHONE_DENIED');
  expect(refusal('getPhoneNumber:fail:user deny')).toBe('PHONE_DENIED');
  expect(refusal('getPhoneNumber:user deny')).toBe('PHONE_DENIED');
  expect(refusal('getPhoneNumber:fail no permission')).toBe('PHONE_UNAVAILABLE');
  expect(refusal('getRealtimePhoneNumber:fail no permission')).toBe('PHONE_UNAVAILABLE');
  expect(refusal('getPhoneNumber:fail operateWXData:fail jsapi has no permission', 102)).toBe('PHONE_UNAVAILABLE');
  expect(refusal('getPhoneNumber:fail system error')).toBe('PHONE_UNAVAILABLE');
  expect(refusal('getPhoneNumber:fail no quota', 1400001)).toBe('PHONE_QUOTA_EXHAUSTED');
  expect(refusal('getPhoneNumber:fail privacy permission is not authorized', 104)).toBe('PRIVACY_DENIED');
  expect(account.phoneRefusal({ errMsg: 'getPhoneNumber:ok', code: 'c0de' })).toBeUndefined();
});

test('no permission is PHONE_UNAVAILABLE without any call, in the words the user reads', async () => {
  const { device, account } = await loggedInDevice();
  const { detail } = await device.getPhoneNumberEvent(true, { noPermission: true });
  await expect(account.bindPhone(detail)).rejects.toMatchObject({
    code: 'PHONE_UNAVAILABLE',
    message: '当前小程序暂不支持绑定手机号',
  });
  expect(device.trail).toEqual([]);
});

test('saveProfile uploads the avatar under the caller folder and caches the new profile', async () => {
  const { device, account, openid } = await loggedInDevice();
  const user = await account.saveProfile({
    nickName: '阿花',
    avatarTempPath: device.chooseAvatarEvent().detail.avatarUrl,
  });
  expect(user.avatarUrl).toMatch(new RegExp(`/avatars/${openid}/`));
  // The server names and records the path first, then the phone uploads, then the save names the file.
  expect(device.trail).toEqual(['callFunction:account', 'uploadFile', 'callFunction:account']);
  expect(device.storage.dump()).toContain('阿花');
});

test('a save that fails after the avatar upload deletes the uploaded file', async () => {
  const { device, account, openid } = await loggedInDevice();
  const before = (await t.cloud!.storage.list()).filter((id) => id.includes(`/avatars/${openid}/`));
  await expect(
    account.saveProfile({ nickName: '赌博', avatarTempPath: device.chooseAvatarEvent().detail.avatarUrl }),
  ).rejects.toMatchObject({ code: 'CONTENT_RISKY' });
  expect(device.trail).toEqual(['callFunction:account', 'uploadFile', 'callFunction:account', 'deleteFile']);
  const after = (await t.cloud!.storage.list()).filter((id) => id.includes(`/avatars/${openid}/`));
  expect(after).toEqual(before);
});

test('USER_NOT_FOUND (account deleted elsewhere) forgets the cached login', async () => {
  const { device, account } = await loggedInDevice();
  await t.control.invoke('account', { action: 'deleteAccount', confirm: true }, device.user);
  await expect(account.saveProfile({ nickName: '还在吗' })).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  expect(device.storage.keys()).toEqual([]);
});

test('logout clears the device even when the server cannot be reached', async () => {
  const { device, account } = await loggedInDevice();
  await t.control.injectDatabaseFault({ times: 5 });
  await expect(account.logout()).rejects.toMatchObject({ code: 'INTERNAL' });
  expect(device.storage.keys()).toEqual([]);
});
