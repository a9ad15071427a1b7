/**
 * @jest-environment jsdom
 *
 * The pages on phones with an older WeChat base library (devcloud's createDevice({ baseLibrary })): nothing
 * crashes, a feature the library lacks is hidden with a word why, and everything else works. 2.21.2 brought
 * chooseAvatar and <input type="nickname">, 2.24.4 the real-time phone button, 2.32.3 the privacy APIs.
 */
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
afterEach(() => jest.dontMock(CONFIG));

const CONFIG = join(__dirname, '..', '..', 'miniprogram', 'config');

/** A user who has not agreed to the privacy guideline (an old library never asks), on the profile page. */
async function profileOn(baseLibrary: string): Promise<{ device: Device; page: RenderedPage; openid: string }> {
  const device = createDevice({
    devcloudUrl: t.control.url,
    user: uniqueUser('lib'),
    baseLibrary,
    privacy: { agreed: false },
  });
  const login = await openPage(device, 'login');
  expect(login.data.status).toBe('ready');
  const page = await openPage(device, 'profile');
  expect(page.data.status).toBe('ready');
  await tickConsent(page);
  await until(page, (data) => data.consentUpToDate === true);
  const { openid } = await t.control.user(device.user);
  return { device, page, openid };
}

const actionDone = (page: RenderedPage) => until(page, (data) => data.busy === false);

test('2.20.0: no avatar button but a word why; the nickname is a plain input that saves; the phone binds', async () => {
  const { device, page, openid } = await profileOn('2.20.0');
  expect(page.querySelector('.avatar-btn')).toBeFalsy();
  expect(text(page, '.outdated-note')).toBe('微信版本过低，升级后可设置头像');
  expect(page.data.nicknameInputType).toBe('text');

  await gesture(page, '.nickname-input', 'focus', { value: '' });
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '旧版微信' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');

  // No code before 2.21.2: the number comes from the open data the button hands.
  const { detail } = await device.getPhoneNumberEvent(true);
  expect(detail.code).toBeUndefined();
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await actionDone(page);
  expect(text(page, '.phone')).toBe('138****1234');
  const doc = (await t.control.documents('users')).find((user) => user._id === openid);
  expect(doc).toMatchObject({ nickName: '旧版微信', phoneMasked: '138****1234' });
  expect(device.privacy.hasListener).toBe(false); // no privacy API to register with
});

test('2.30.0: avatar and nickname as usual, with no privacy popup (nothing to agree to before 2.32.3)', async () => {
  const { device, page } = await profileOn('2.30.0');
  expect(page.data.nicknameInputType).toBe('nickname');
  expect(text(page, '.privacy-denied-text')).toBeUndefined();
  const chosen = await device.chooseAvatar();
  expect(chosen.detail).toHaveProperty('avatarUrl');
  await gesture(page, '.avatar-btn', 'chooseavatar', chosen.detail);
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');
  expect(device.privacy.exposures).toEqual([]);
});

describe("with PHONE_NUMBER_VERIFICATION 'realtime'", () => {
  beforeEach(() => {
    const actual = jest.requireActual<Record<string, unknown>>(CONFIG);
    jest.doMock(CONFIG, () => ({ ...actual, PHONE_NUMBER_VERIFICATION: 'realtime' }));
  });

  test('2.24.3: no real-time button, the phone row says why', async () => {
    const { page } = await profileOn('2.24.3');
    expect(page.querySelector('.phone-btn')).toBeFalsy();
    expect(text(page, '.phone-unavailable')).toBe('微信版本过低，升级后可绑定手机号');
  });

  test('2.24.4: the real-time button is there', async () => {
    const { device, page } = await profileOn('2.24.4');
    const { detail } = await device.getPhoneNumberEvent(true, { realtime: true });
    await gesture(page, '.phone-btn', 'getrealtimephonenumber', detail);
    await actionDone(page);
    expect(text(page, '.phone')).toBe('138****1234');
  });
});
