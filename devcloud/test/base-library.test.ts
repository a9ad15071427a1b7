/**
 * A simulated phone on an older base library (phone/base-library.ts): its SDKVersion, the APIs it lacks, what
 * wx.canIUse answers, and the global `wx` pages see after useDevice().
 */
import { compareVersions } from '../phone/base-library';
import { createDevice } from '../phone/device';
import { installForwardingWx, useDevice } from '../phone/wx-global';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());

const phone = (baseLibrary?: string, agreed = false) =>
  createDevice({
    devcloudUrl: 'http://127.0.0.1:9',
    user: 'old-phone',
    privacy: { agreed },
    ...(baseLibrary ? { baseLibrary } : {}),
  });

test('versions compare part by part as numbers', () => {
  expect(compareVersions('2.9.0', '2.10.0')).toBe(-1);
  expect(compareVersions('2.32.3', '2.32.3')).toBe(0);
  expect(compareVersions('3.0', '2.32.3')).toBe(1);
});

test('SDKVersion comes from getAppBaseInfo and getSystemInfoSync; a current library by default', () => {
  expect(phone('2.21.2').wx.getSystemInfoSync().SDKVersion).toBe('2.21.2');
  expect(phone('2.30.0').wx.getAppBaseInfo().SDKVersion).toBe('2.30.0');
  expect(phone().wx.canIUse('button.open-type.agreePrivacyAuthorization')).toBe(true);
});

test('below 2.32.3 the privacy APIs are missing and nothing waits for an agreement', async () => {
  const device = phone('2.30.0');
  expect(typeof (device.wx as Record<string, unknown>).getPrivacySetting).toBe('undefined');
  expect(typeof (device.wx as Record<string, unknown>).onNeedPrivacyAuthorization).toBe('undefined');
  expect(device.wx.canIUse('getPrivacySetting')).toBe(false);
  expect((await device.chooseAvatar()).detail).toHaveProperty('avatarUrl');
});

test('below 2.20.1 there is no getAppBaseInfo, only getSystemInfoSync', () => {
  const device = phone('2.19.0');
  expect(typeof (device.wx as Record<string, unknown>).getAppBaseInfo).toBe('undefined');
  expect(device.wx.canIUse('getAppBaseInfo')).toBe(false);
  expect(device.wx.canIUse('login')).toBe(true);
});

test('component features by version; tapping a button the library lacks is a mistake the test hears of', async () => {
  const device = phone('2.21.1', true);
  expect(device.wx.canIUse('button.open-type.chooseAvatar')).toBe(false);
  expect(device.wx.canIUse('input.type.nickname')).toBe(false);
  expect(device.wx.canIUse('button.open-type.getPhoneNumber')).toBe(true);
  await expect(device.chooseAvatar()).rejects.toThrow(/needs base library 2\.21\.2; this phone runs 2\.21\.1/);
  await expect(device.getPhoneNumberEvent(true, { realtime: true })).rejects.toThrow(/getRealtimePhoneNumber/);
  expect(phone('2.24.4').wx.canIUse('button.open-type.getRealtimePhoneNumber')).toBe(true);
});

test("the global wx answers typeof as the phone in use does, and gets the APIs back on a newer phone's turn", () => {
  const saved = (globalThis as { wx?: unknown }).wx;
  try {
    installForwardingWx();
    const global = () => (globalThis as unknown as { wx: Record<string, unknown> }).wx;
    useDevice(phone('2.30.0'));
    expect(typeof global().requirePrivacyAuthorize).toBe('undefined');
    expect((global().getSystemInfoSync as () => { SDKVersion: string })().SDKVersion).toBe('2.30.0');
    useDevice(phone());
    expect(typeof global().requirePrivacyAuthorize).toBe('function');
  } finally {
    (globalThis as { wx?: unknown }).wx = saved;
  }
});

test('before 2.21.2 the phone button hands the open data only, no code', async () => {
  const old = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('old'), baseLibrary: '2.21.1' });
  await old.wx.login(); // the open data is encrypted with the session's key
  const { detail } = await old.getPhoneNumberEvent(true);
  expect(detail.code).toBeUndefined();
  expect(detail).toMatchObject({ errMsg: 'getPhoneNumber:ok', encryptedData: expect.any(String) as string });
  const current = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('new'), baseLibrary: '2.21.2' });
  expect((await current.getPhoneNumberEvent(true)).detail.code).toEqual(expect.any(String));
});
