/**
 * @jest-environment jsdom
 *
 * The profile page as a user sees it, on simulated devices reaching devcloud: avatar and nickname, phone number,
 * logout and 注销, each checked on screen and in the database.
 */
import { createDevice, type Device } from 'devcloud';
import { startChildCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { gesture, openPage, text, until, type RenderedPage } from '../support/pages';
import { tickConsent } from '../support/privacy';

let t: TestCloud;
beforeAll(async () => {
  t = await startChildCloud();
}, 60_000);
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

/**
 * A logged-in user's phone, on the profile page, with 《用户协议》和《隐私政策》 ticked (test/pages/consent.test.ts
 * covers the page without it).
 */
async function profileOf(
  options: { confirmModals?: boolean } = {},
): Promise<{ device: Device; page: RenderedPage; openid: string }> {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('p'), ...options });
  await openPage(device, 'login');
  const page = await openPage(device, 'profile');
  expect(page.data.status).toBe('ready');
  await tickConsent(page);
  const { openid } = await t.control.user(device.user);
  return { device, page, openid };
}

/** After a user action: wait until the page is no longer busy. */
const actionDone = (page: RenderedPage) => until(page, (data) => data.busy === false);

async function userDoc(openid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents('users')).find((doc) => doc._id === openid);
}

test('choosing an avatar and a nickname, then 保存, saves both and the login page shows them', async () => {
  const { device, page, openid } = await profileOf();
  const chosen = device.chooseAvatarEvent();
  await gesture(page, '.avatar-btn', 'chooseavatar', chosen.detail);
  // simulate's built-in <image> keeps no attributes: what shows is the image element (not the placeholder) and
  // the page data its src is bound to.
  expect(page.querySelector('.avatar-placeholder')).toBeFalsy();
  expect(page.data.avatarUrl).toBe(chosen.detail.avatarUrl);

  await gesture(page, '.nickname-form', 'submit', { value: { nickName: ' 小红 ' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');
  expect(page.data.nickName).toBe('小红');
  const doc = await userDoc(openid);
  expect(doc).toMatchObject({ nickName: '小红' });
  expect(String(doc?.avatarUrl)).toMatch(new RegExp(`^cloud://.+/avatars/${openid}/.+\\.jpg$`));
  expect(device.calls.uploadFile).toBe(1);

  const login = await openPage(device.relaunch(), 'login');
  expect(text(login, '.nickname')).toBe('小红');
  expect(login.querySelector('.avatar')).toBeTruthy();
  expect(login.querySelector('.avatar-placeholder')).toBeFalsy();
  expect(login.data.avatarUrl).toBe(doc?.avatarUrl);
});

test('a new user can save only an avatar, leaving the nickname empty', async () => {
  const { device, page, openid } = await profileOf();
  await gesture(page, '.avatar-btn', 'chooseavatar', device.chooseAvatarEvent().detail);
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');
  const doc = await userDoc(openid);
  expect(String(doc?.avatarUrl)).toMatch(/^cloud:\/\//);
  expect(doc?.nickName).toBeUndefined();
});

test('a nickname the content check rejects shows the reason and saves nothing', async () => {
  const { page, openid } = await profileOf();
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '赌博大师' } });
  await actionDone(page);
  expect(text(page, '.error-message')).toBe('昵称包含不合规内容，请修改后再试');
  expect(text(page, '.notice')).toBeUndefined();
  expect((await userDoc(openid))?.nickName).toBeUndefined();
});

test('a nickname that is too long is refused with its rule', async () => {
  const { page, openid } = await profileOf();
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '长'.repeat(21) } });
  await actionDone(page);
  expect(text(page, '.error-message')).toBe('昵称需为 1 到 20 个字符');
  expect((await userDoc(openid))?.nickName).toBeUndefined();
});

test('绑定手机号 with consent shows the masked number', async () => {
  const { device, page, openid } = await profileOf();
  const { detail } = await device.getPhoneNumberEvent(true);
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await actionDone(page);
  expect(text(page, '.phone')).toBe('138****1234');
  expect(page.querySelector('.phone-btn')).toBeFalsy();
  expect(await userDoc(openid)).toMatchObject({ phoneMasked: '138****1234' });
  expect((await t.control.documents('phones')).find((doc) => doc._id === openid)?.phoneNumber).toBe('13800001234');
});

test('declining the phone prompt says so and stores nothing', async () => {
  const { device, page, openid } = await profileOf();
  const { detail } = await device.getPhoneNumberEvent(false);
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await actionDone(page);
  expect(text(page, '.error-message')).toBe('你已取消授权手机号');
  expect((await userDoc(openid))?.phoneMasked).toBeUndefined();
  expect((await t.control.documents('phones')).some((doc) => doc._id === openid)).toBe(false);
});

test('a mini-program that may not use the phone component says so, not that the user declined', async () => {
  const { device, page, openid } = await profileOf();
  const { detail } = await device.getPhoneNumberEvent(true, { noPermission: true });
  expect(detail.errMsg).toBe('getPhoneNumber:fail no permission');
  const mark = device.trail.length;
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await until(page, (data) => data.phoneUnavailable !== '');
  expect(text(page, '.phone-unavailable')).toBe('当前小程序暂不支持绑定手机号');
  expect(page.querySelector('.phone-btn')).toBeFalsy(); // no button that can only fail again
  expect(text(page, '.error-message')).toBeUndefined();
  expect(device.trail.slice(mark)).toEqual([]);
  expect(device.phoneCharges.getPhoneNumber).toBe(0);
  expect((await userDoc(openid))?.phoneMasked).toBeUndefined();
});

test('an expired phone code asks the user to tap again', async () => {
  const { device, page } = await profileOf();
  const { detail } = await device.getPhoneNumberEvent(true);
  await t.control.injectCloudCallFault({ api: 'phonenumber.getPhoneNumber', errcode: 40029 });
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await actionDone(page);
  expect(text(page, '.error-message')).toBe('手机号授权已过期，请重新点击获取');
});

test('退出登录 forgets the login on the device and the session on the server', async () => {
  const { device, page, openid } = await profileOf();
  await gesture(page, '.logout-btn', 'tap');
  await actionDone(page);
  expect(page.data.status).toBe('loggedOut');
  expect(text(page, '.done')).toBe('你已退出登录');
  expect(text(page, '.notice')).toBeUndefined(); // said once
  expect(device.storage.keys()).toEqual([]);
  expect((await t.control.documents('sessions')).some((doc) => doc._id === openid)).toBe(false);
  expect(await userDoc(openid)).toBeDefined();
});

test('注销账号 asks first; confirmed, it deletes the account', async () => {
  const { device, page, openid } = await profileOf({ confirmModals: true });
  await gesture(page, '.delete-btn', 'tap');
  await until(page, (data) => data.status === 'deleted' || data.errorMessage !== '');
  expect(text(page, '.done')).toBe('账号已注销，所有资料已删除');
  expect(text(page, '.notice')).toBeUndefined(); // said once
  expect(await userDoc(openid)).toBeUndefined();
  expect(device.storage.keys()).toEqual([]);
});

test('after 注销, 重新登录 starts again from the login page, as a new user', async () => {
  const { device, page, openid } = await profileOf({ confirmModals: true });
  await gesture(page, '.delete-btn', 'tap');
  await until(page, (data) => data.status === 'deleted');
  expect(text(page, '.relogin-btn')).toBe('重新登录');
  await gesture(page, '.relogin-btn', 'tap');
  expect(device.navigations).toEqual(['/pages/login/login']); // wx.reLaunch: nothing of the old account stays

  const login = await openPage(device, 'login');
  expect(login.data.status).toBe('ready');
  expect(text(login, '.login-count')).toBe('累计登录 1 次');
  expect((await t.control.user(device.user)).openid).toBe(openid); // same WeChat user, a new account
  expect(await userDoc(openid)).toMatchObject({ loginCount: 1 });
});

test('注销账号 cancelled in the dialog deletes nothing', async () => {
  const { device, page, openid } = await profileOf({ confirmModals: false });
  const calls = device.calls.callFunction;
  await gesture(page, '.delete-btn', 'tap');
  await new Promise((resolve) => setTimeout(resolve, 200));
  // A confirmed 注销 would have called the account function as soon as the dialog answered: no call was made.
  expect(device.calls.callFunction).toBe(calls);
  expect(page.data.status).toBe('ready');
  expect(await userDoc(openid)).toBeDefined();
});
