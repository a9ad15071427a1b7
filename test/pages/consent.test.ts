/**
 * @jest-environment jsdom
 *
 * The profile page's consent to 《用户协议》和《隐私政策》 and its phone-number billing guard, on simulated phones
 * reaching devcloud: the unchecked box gates saving and binding, the recorded version, asking again when the
 * server's CONSENT_VERSION rises, one tap = one billed call, an exhausted quota, and the real-time variant.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { createDevice, type Device } from 'devcloud';
import { startChildCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { gesture, openPage, text, until, type RenderedPage } from '../support/pages';
import { tickConsent } from '../support/privacy';

let t: TestCloud;
beforeAll(async () => {
  t = await startChildCloud();
}, 60_000);
afterAll(() => t.stop());
afterEach(async () => {
  jest.dontMock(CONFIG);
  await t.control.clearFaults();
});

const CONFIG = join(__dirname, '..', '..', 'miniprogram', 'config');
const MUST_AGREE = '请先阅读并勾选同意《用户协议》和《隐私政策》';

async function profileOf(): Promise<{ device: Device; page: RenderedPage; openid: string }> {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('c') });
  await openPage(device, 'login');
  const page = await openPage(device, 'profile');
  expect(page.data.status).toBe('ready');
  const { openid } = await t.control.user(device.user);
  return { device, page, openid };
}

async function userDoc(openid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents('users')).find((doc) => doc._id === openid);
}

const actionDone = (page: RenderedPage) => until(page, (data) => data.busy === false);

/** Account actions the device sent since `from` in its trail. */
function accountCalls(device: Device, from = 0): number {
  return device.trail.slice(from).filter((call) => call === 'callFunction:account').length;
}

/** Cloud calls made for this user, by api (phonenumber.getPhoneNumber is the billed exchange of the code). */
async function cloudCalls(openid: string, api: string): Promise<number> {
  const calls = await t.control.recordedCalls();
  return calls.filter((call) => call.target === 'cloudCall' && call.openid === openid && call.action === api).length;
}

test('a new user sees the box unchecked; saving without ticking it says so and sends nothing', async () => {
  const { device, page, openid } = await profileOf();
  expect(page.data.consentChecked).toBe(false);
  expect(text(page, '.consent')).toBe('我已阅读并同意《用户协议》和《隐私政策》');
  expect(text(page, '.consent-hint')).toBe('保存头像、昵称和绑定手机号前，请先勾选同意');
  const before = await userDoc(openid);
  const mark = device.trail.length;

  await gesture(page, '.avatar-btn', 'chooseavatar', device.chooseAvatarEvent().detail);
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '未勾选' } });
  await actionDone(page);
  expect(text(page, '.error-message')).toBe(MUST_AGREE);
  expect(accountCalls(device, mark)).toBe(0);
  expect(device.calls.uploadFile).toBe(0);
  expect(await userDoc(openid)).toEqual(before);
});

test('ticking the box records the consent version; then the save goes through', async () => {
  const { device, page, openid } = await profileOf();
  const started = Date.now();
  await tickConsent(page);
  await until(page, (data) => data.consentUpToDate === true);
  const consent = (await userDoc(openid))?.consent as { version: number; at: string };
  expect(consent.version).toBe(1);
  expect(Date.parse(consent.at)).toBeGreaterThanOrEqual(started - 1000);
  expect(page.querySelector('.consent-hint')).toBeFalsy();

  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '已同意' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');
  expect(await userDoc(openid)).toMatchObject({ nickName: '已同意', consent });

  // The next launch shows the consent as given: nothing to tick again for the same version.
  const again = await openPage(device.relaunch(), 'profile');
  expect(again.data.consentChecked).toBe(true);
});

test('unticking the box stops the next save, even after an earlier consent', async () => {
  const { page, openid } = await profileOf();
  await tickConsent(page);
  await until(page, (data) => data.consentUpToDate === true);
  await tickConsent(page, false);
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '又取消' } });
  await actionDone(page);
  expect(text(page, '.error-message')).toBe(MUST_AGREE);
  expect((await userDoc(openid))?.nickName).toBeUndefined();
});

test('《用户协议》 and 《隐私政策》 open their pages, which say they are placeholders', async () => {
  const { device, page } = await profileOf();
  await gesture(page, '.agreement-link', 'tap');
  await gesture(page, '.privacy-policy-link', 'tap');
  expect(device.navigations).toEqual(['/pages/agreement/agreement', '/pages/privacy-policy/privacy-policy']);
  const agreement = await openPage(device, 'agreement');
  expect(text(agreement, '.doc-title')).toBe('用户协议');
  expect(text(agreement, '.doc-placeholder')).toBe('【示例文本，请替换】');
  const policy = await openPage(device, 'privacy-policy');
  expect(text(policy, '.doc-title')).toBe('隐私政策');
  const appJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'miniprogram', 'app.json'), 'utf8')) as {
    pages: string[];
  };
  expect(appJson.pages).toEqual(
    expect.arrayContaining(['pages/agreement/agreement', 'pages/privacy-policy/privacy-policy']),
  );
});

test('binding the phone needs the box: without it no bind and no phone-number cloud call', async () => {
  const { device, page, openid } = await profileOf();
  const wxml = readFileSync(join(__dirname, '..', '..', 'miniprogram', 'pages', 'profile', 'profile.wxml'), 'utf8');
  // simulate keeps no attributes on built-in components: the template disables the button while unticked.
  for (const [button] of wxml.matchAll(/<button[^>]*class="phone-btn"[^>]*>/g)) {
    expect(button).toMatch(/disabled="\{\{[^}]*!consentChecked[^}]*\}\}"/);
  }
  const mark = device.trail.length;
  const { detail } = await device.getPhoneNumberEvent(true);
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await actionDone(page);
  expect(text(page, '.error-message')).toBe(MUST_AGREE);
  expect(accountCalls(device, mark)).toBe(0);
  expect(await cloudCalls(openid, 'phonenumber.getPhoneNumber')).toBe(0);
  expect((await userDoc(openid))?.phoneMasked).toBeUndefined();
});

test('when CONSENT_VERSION rises, the page asks again and records the new version', async () => {
  const { page, openid } = await profileOf();
  await tickConsent(page);
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '第一版' } });
  await actionDone(page);
  expect(await userDoc(openid)).toMatchObject({ nickName: '第一版', consent: { version: 1 } });

  const checksBefore = await cloudCalls(openid, 'security.msgSecCheck');
  await t.control.setFunctionEnv('account', { CONSENT_VERSION: '2' });
  try {
    await gesture(page, '.nickname-form', 'submit', { value: { nickName: '第二版' } });
    await actionDone(page);
    await until(page, (data) => data.consentVersion === 2);
    expect(text(page, '.error-message')).toBe('《用户协议》和《隐私政策》已更新，请重新阅读并勾选同意后再试');
    expect(page.data.consentChecked).toBe(false);
    expect(await userDoc(openid)).toMatchObject({ nickName: '第一版', consent: { version: 1 } });
    expect(await cloudCalls(openid, 'security.msgSecCheck')).toBe(checksBefore);

    await tickConsent(page);
    await gesture(page, '.nickname-form', 'submit', { value: { nickName: '第二版' } });
    await actionDone(page);
    expect(text(page, '.notice')).toBe('已保存');
    expect(await userDoc(openid)).toMatchObject({ nickName: '第二版', consent: { version: 2 } });
  } finally {
    await t.control.setFunctionEnv('account', { CONSENT_VERSION: '' });
  }
});

test('rapid taps on 绑定手机号: one bind, one phone-number cloud call', async () => {
  const { device, page, openid } = await profileOf();
  await tickConsent(page);
  await until(page, (data) => data.consentUpToDate === true);
  const mark = device.trail.length;
  const first = await device.getPhoneNumberEvent(true);
  const second = await device.getPhoneNumberEvent(true);
  await gesture(page, '.phone-btn', 'getphonenumber', first.detail);
  expect(page.data.phoneBinding).toBe(true); // the button is disabled from the first event on
  await gesture(page, '.phone-btn', 'getphonenumber', second.detail);
  await until(page, (data) => data.phoneBinding === false && data.busy === false);
  await until(page, () => device.invocations.length === device.calls.callFunction); // every call answered
  expect(accountCalls(device, mark)).toBe(1);
  expect(text(page, '.phone')).toBe('138****1234');
  expect(await cloudCalls(openid, 'phonenumber.getPhoneNumber')).toBe(1);
  expect(await userDoc(openid)).toMatchObject({ phoneMasked: '138****1234' });
});

test('declining the phone prompt costs nothing', async () => {
  const { device, page, openid } = await profileOf();
  await tickConsent(page);
  const { detail } = await device.getPhoneNumberEvent(false);
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await actionDone(page);
  expect(text(page, '.error-message')).toBe('你已取消授权手机号');
  expect(device.phoneCharges.getPhoneNumber).toBe(0);
  expect(await cloudCalls(openid, 'phonenumber.getPhoneNumber')).toBe(0);
});

test('an exhausted quota (cloud call errcode 1400001): the page says so and goes on without a phone', async () => {
  const { device, page, openid } = await profileOf();
  await tickConsent(page);
  await t.control.injectCloudCallFault({ api: 'phonenumber.getPhoneNumber', errcode: 1400001 });
  await gesture(page, '.phone-btn', 'getphonenumber', (await device.getPhoneNumberEvent(true)).detail);
  await actionDone(page);
  // Said once, where the phone number would be.
  expect(text(page, '.phone-unavailable')).toBe('手机号绑定暂不可用，请稍后再试');
  expect(text(page, '.error-message')).toBeUndefined();
  expect(page.querySelector('.phone-btn')).toBeFalsy();
  expect((await t.control.documents('phones')).some((doc) => doc._id === openid)).toBe(false);

  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '没手机号' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');
  expect(await userDoc(openid)).toMatchObject({ nickName: '没手机号' });
});

test('an exhausted quota seen on the tap (errno 1400001): no code, no call, the same message', async () => {
  const { device, page, openid } = await profileOf();
  await tickConsent(page);
  const { detail } = await device.getPhoneNumberEvent(true, { quotaExhausted: true });
  expect(detail).toMatchObject({ errno: 1400001 });
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await until(page, (data) => data.phoneUnavailable !== '');
  expect(text(page, '.phone-unavailable')).toBe('手机号绑定暂不可用，请稍后再试');
  expect(text(page, '.error-message')).toBeUndefined();
  expect(device.phoneCharges.getPhoneNumber).toBe(0);
  expect(await cloudCalls(openid, 'phonenumber.getPhoneNumber')).toBe(0);
});

test("with PHONE_NUMBER_VERIFICATION 'realtime' the page offers getRealtimePhoneNumber, bound the same way", async () => {
  const actual = jest.requireActual<Record<string, unknown>>(CONFIG);
  jest.doMock(CONFIG, () => ({ ...actual, PHONE_NUMBER_VERIFICATION: 'realtime' }));
  const { device, page, openid } = await profileOf();
  expect(page.data.realtimePhone).toBe(true);
  await tickConsent(page);
  const { detail } = await device.getPhoneNumberEvent(true, { realtime: true });
  expect(detail.errMsg).toBe('getRealtimePhoneNumber:ok');
  // The event only reaches the page through the real-time button's bindgetrealtimephonenumber.
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await gesture(page, '.phone-btn', 'getrealtimephonenumber', detail);
  await actionDone(page);
  expect(text(page, '.phone')).toBe('138****1234');
  expect(device.phoneCharges).toEqual({ getPhoneNumber: 0, getRealtimePhoneNumber: 1 });
  expect(await cloudCalls(openid, 'phonenumber.getPhoneNumber')).toBe(1);
  expect((await t.control.documents('phones')).find((doc) => doc._id === openid)?.phoneNumber).toBe('13800001234');
});
