/**
 * @jest-environment jsdom
 *
 * The login page as a user sees it: rendered by miniprogram-simulate from its real .ts/.wxml/.wxss (WXML
 * compiled by WeChat's own compiler), on a simulated device whose wx reaches devcloud over HTTP.
 */
import { createDevice, type DatabaseFault, type Device, type Fault } from 'devcloud';
import { startChildCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { gesture, openPage, text, today, until, type RenderedPage } from '../support/pages';

let t: TestCloud;
beforeAll(async () => {
  t = await startChildCloud();
}, 60_000);
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

const openLoginPage = (device: Device) => openPage(device, 'login');
const settled = (page: RenderedPage) => until(page, (data) => data.status !== 'loading');

test('launch logs in silently and shows the new user', async () => {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser() });
  const page = await openLoginPage(device);
  expect(page.data.status).toBe('ready');
  expect(text(page, '.nickname')).toBe('微信用户');
  expect(text(page, '.avatar-placeholder')).toBe('微');
  expect(text(page, '.member-since')).toBe(`注册于 ${today()}`);
  expect(text(page, '.login-count')).toBe('累计登录 1 次');
  expect(page.querySelector('.retry-btn')).toBeFalsy();
  const { openid } = await t.control.user(device.user);
  const docs = await t.control.documents('users');
  expect(docs.filter((doc) => doc._id === openid)).toEqual([
    expect.objectContaining({ _openid: openid, loginCount: 1 }),
  ]);
});

test('a relaunch with a live session shows the cached user without a cloud call', async () => {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser() });
  await openLoginPage(device);
  const relaunched = device.relaunch();
  const page = await openLoginPage(relaunched);
  expect(text(page, '.login-count')).toBe('累计登录 1 次');
  expect(relaunched.calls.callFunction).toBe(0);
});

test('a relaunch with an expired session logs in again and counts it', async () => {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser() });
  await openLoginPage(device);
  await t.control.expireSession(device.user);
  const relaunched = device.relaunch();
  const page = await openLoginPage(relaunched);
  expect(text(page, '.login-count')).toBe('累计登录 2 次');
  expect(relaunched.calls.callFunction).toBe(1);
});

interface PageFault {
  wechat?: Fault;
  database?: DatabaseFault;
}

test.each<[PageFault, string, string]>([
  [{ wechat: { api: 'jscode2session', errcode: 40226 } }, 'WX_RISKY_USER', '当前微信账号存在安全风险，暂时无法登录'],
  [{ wechat: { api: 'jscode2session', errcode: 45011 } }, 'WX_RATE_LIMITED', '登录太频繁了，请稍后再试'],
  [{ wechat: { api: 'jscode2session', errcode: -1, times: 2 } }, 'WX_UNAVAILABLE', '微信服务繁忙，请稍后重试'],
  [{ wechat: { api: 'jscode2session', errcode: 40029, times: 2 } }, 'WX_CODE_INVALID', '登录凭证已失效，请重试'],
  [{ database: { times: 20 } }, 'INTERNAL', '服务暂时不可用，请稍后重试'],
])('an error (%j) shows %s in Chinese with a retry button; a tap on it recovers', async (fault, code, message) => {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser() });
  if (fault.wechat) await t.control.injectWeChatFault(fault.wechat);
  if (fault.database) await t.control.injectDatabaseFault(fault.database);
  const page = await openLoginPage(device);
  expect(page.data.status).toBe('error');
  expect(page.data.errorCode).toBe(code);
  expect(text(page, '.error-message')).toBe(message);
  expect(page.querySelector('.nickname')).toBeFalsy();

  await t.control.clearFaults();
  await gesture(page, '.retry-btn', 'tap');
  await settled(page);
  expect(page.data.status).toBe('ready');
  expect(text(page, '.login-count')).toBe('累计登录 1 次');
});

test('a phone that cannot reach WeChat shows the login-failed message', async () => {
  const device = createDevice({ devcloudUrl: 'http://127.0.0.1:9', user: uniqueUser() });
  const page = await openLoginPage(device).catch(() => undefined);
  // The device cannot reach WeChat's login either: the first failure is wx.login itself.
  expect(page?.data.status).toBe('error');
  expect(text(page!, '.error-message')).toBe('微信登录失败，请重试');
});

test('back from a logout on the profile page, the login page offers to log in instead of showing the old user', async () => {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser() });
  const page = await openLoginPage(device);
  const profile = await openPage(device, 'profile');
  await gesture(profile, '.logout-btn', 'tap');
  await until(profile, (data) => data.status === 'loggedOut');
  (page.instance as unknown as { onShow(): void }).onShow();
  expect(page.data.status).toBe('loggedOut');
  expect(text(page, '.logged-out-message')).toBe('你已退出登录');
  expect(page.querySelector('.nickname')).toBeFalsy();
  await gesture(page, '.login-btn', 'tap');
  await settled(page);
  expect(text(page, '.login-count')).toBe('累计登录 2 次');
});

test('编辑资料 opens the profile page', async () => {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser() });
  const page = await openLoginPage(device);
  await gesture(page, '.profile-btn', 'tap');
  expect(device.navigations).toEqual(['/pages/profile/profile']);
});
