/**
 * The simulated phone's privacy agreement (privacy.ts), as WeChat's base library enforces it: pending privacy calls,
 * the listener and its resolve, the agree button's tap, WeChat's own popup without a listener, and the
 * phone-number buttons behind it.
 */
import { createDevice, type Device } from '../phone/device';
import { DevicePrivacy, PRIVACY_NOT_AUTHORIZED, type PrivacyResolution } from '../phone/privacy';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());

function undecided(): Device {
  return createDevice({ devcloudUrl: t.control.url, user: uniqueUser('privacy'), privacy: { agreed: false } });
}

/** The listener a page registers: it keeps each resolve, reporting the exposure as it shows its popup. */
function listen(device: Device): Array<{ resolve: (r: PrivacyResolution) => void; referrer: string }> {
  const calls: Array<{ resolve: (r: PrivacyResolution) => void; referrer: string }> = [];
  device.wx.onNeedPrivacyAuthorization((resolve, { referrer }) => {
    resolve({ event: 'exposureAuthorization' });
    calls.push({ resolve, referrer });
  });
  return calls;
}

const settled = (promise: Promise<unknown>) =>
  Promise.race([
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((r) => setTimeout(() => r('pending'), 50)),
  ]);

test('getPrivacySetting answers needAuthorization and the guideline name; an agreed user is never asked', async () => {
  const setting = await new Promise((resolve) => undecided().wx.getPrivacySetting({ success: resolve }));
  expect(setting).toEqual({
    needAuthorization: true,
    privacyContractName: '《登录示例小程序隐私保护指引》',
    errMsg: 'getPrivacySetting:ok',
  });
  const agreed = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('agreed') });
  const calls = listen(agreed);
  expect((await agreed.chooseAvatar()).detail).toHaveProperty('avatarUrl');
  expect(calls).toEqual([]);
});

test('a call pends until the listener answers; agree counts only after a tap on that button', async () => {
  const device = undecided();
  const calls = listen(device);
  const first = device.chooseAvatar();
  expect(calls.map((c) => c.referrer)).toEqual(['button.chooseAvatar']);
  expect(device.privacy.exposures).toEqual(['button.chooseAvatar']);
  expect(await settled(first)).toBe('pending');
  calls[0]!.resolve({ event: 'agree', buttonId: 'agree-btn' }); // no tap: the base library refuses it
  expect((await first).detail).toEqual({
    errno: PRIVACY_NOT_AUTHORIZED,
    errMsg: 'chooseAvatar:fail privacy permission is not authorized',
  });
  expect(device.privacy.violations).toEqual(['button.chooseAvatar: agree with button agree-btn never tapped']);
  expect(device.privacy.agreed).toBe(false);

  const second = device.chooseAvatar();
  expect(device.privacy.tapAgreeButton('agree-btn')).toEqual({ detail: { errMsg: 'agreePrivacyAuthorization:ok' } });
  calls[1]!.resolve({ event: 'agree', buttonId: 'agree-btn' });
  expect((await second).detail).toHaveProperty('avatarUrl');
  calls[1]!.resolve({ event: 'disagree' });
  expect(device.privacy.violations).toContain('button.chooseAvatar: answered twice');

  // Kept per phone: a relaunch, with a fresh listener, asks nothing.
  const next = device.relaunch();
  expect(next.privacy.agreed).toBe(true);
  expect((await next.getPhoneNumberEvent(true)).detail.code).toBeDefined();
});

test('disagree fails the pending call with errno 104; the last registered listener is the one called', async () => {
  const device = undecided();
  const replaced = listen(device);
  const calls = listen(device);
  const tap = device.getPhoneNumberEvent(true);
  expect(replaced).toEqual([]);
  calls[0]!.resolve({ event: 'disagree' });
  expect((await tap).detail).toEqual({
    errno: 104,
    errMsg: 'getPhoneNumber:fail privacy permission is not authorized',
  });
  expect(device.phoneCharges.getPhoneNumber).toBe(0);
});

test("without a listener WeChat's own popup asks; requirePrivacyAuthorize succeeds or fails with its answer", async () => {
  const device = undecided();
  const required = (): Promise<unknown> =>
    new Promise((resolve, reject) => device.wx.requirePrivacyAuthorize({ success: resolve, fail: reject }));
  const refused = required();
  expect(device.privacy.officialPopup).toEqual({ referrer: 'requirePrivacyAuthorize' });
  device.privacy.answerOfficialPopup(false);
  await expect(refused).rejects.toMatchObject({ errno: 104 });
  expect(device.privacy.officialPopup).toBeUndefined();

  const avatar = device.chooseAvatar();
  const again = required();
  device.privacy.answerOfficialPopup(true); // one answer settles every call waiting on the popup
  await expect(again).resolves.toEqual({ errMsg: 'requirePrivacyAuthorize:ok' });
  expect((await avatar).detail).toHaveProperty('avatarUrl');
  expect(() => device.privacy.answerOfficialPopup(true)).toThrow('no official privacy popup is on screen');
});

test('the nickname input is plain text until the user agrees; openPrivacyContract is counted', async () => {
  const device = undecided();
  expect(device.privacy.nicknameInputType()).toBe('text');
  device.privacy.tapAgreeButton('agree-btn');
  expect(device.privacy.nicknameInputType()).toBe('nickname');
  await new Promise((resolve) => device.wx.openPrivacyContract({ success: resolve }));
  expect(device.privacy.contractOpened).toBe(1);
  device.privacy.forget();
  expect(device.privacy.agreed).toBe(false);
});

test('phone buttons: a code is billed, a decline, an exhausted quota or no permission is not; real time hands only the code', async () => {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('phone') });
  expect((await device.getPhoneNumberEvent(false)).detail).toEqual({ errMsg: 'getPhoneNumber:fail user deny' });
  expect((await device.getPhoneNumberEvent(true, { quotaExhausted: true })).detail).toEqual({
    errMsg: 'getPhoneNumber:fail no quota',
    errno: 1400001,
  });
  expect((await device.getPhoneNumberEvent(true, { noPermission: true, realtime: true })).detail).toEqual({
    errMsg: 'getRealtimePhoneNumber:fail no permission',
  });
  const quick = (await device.getPhoneNumberEvent(true)).detail;
  expect(quick).toMatchObject({ errMsg: 'getPhoneNumber:ok', code: expect.any(String) as string });
  const realtime = (await device.getPhoneNumberEvent(true, { realtime: true })).detail;
  expect(Object.keys(realtime).sort()).toEqual(['code', 'errMsg']);
  expect(realtime.errMsg).toBe('getRealtimePhoneNumber:ok');
  expect(device.phoneCharges).toEqual({ getPhoneNumber: 1, getRealtimePhoneNumber: 1 });
});

test('a DevicePrivacy on its own: the record it is given is the one it changes', () => {
  const record = { agreed: false };
  const privacy = new DevicePrivacy(record, { contractName: '《示例》' });
  privacy.tapAgreeButton('x');
  expect(record).toEqual({ agreed: true });
  expect(privacy.contractName).toBe('《示例》');
});
