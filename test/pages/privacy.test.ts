/**
 * @jest-environment jsdom
 *
 * WeChat's privacy authorization (用户隐私保护指引) on the profile page, on simulated phones whose users have not
 * agreed yet: the avatar, nickname and phone components wait for the agreement, the page's popup asks for it, a
 * refusal explains what does not work and can be taken back, and WeChat's own popup when the config says so.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { createDevice, type Device } from 'devcloud';
import { startChildCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { closePage, gesture, openPage, text, until, type RenderedPage } from '../support/pages';
import { agreeInPopup, disagreeInPopup, popupShown, popupVisible, tickConsent } from '../support/privacy';

let t: TestCloud;
beforeAll(async () => {
  t = await startChildCloud();
}, 60_000);
afterAll(() => t.stop());
afterEach(() => jest.dontMock(CONFIG));

const CONFIG = join(__dirname, '..', '..', 'miniprogram', 'config');

/** A logged-in user who has not agreed to the 用户隐私保护指引 yet, on the profile page, terms ticked. */
async function undecidedUser(): Promise<{ device: Device; page: RenderedPage; openid: string }> {
  const device = createDevice({ devcloudUrl: t.control.url, user: uniqueUser('priv'), privacy: { agreed: false } });
  await openPage(device, 'login');
  const page = await openPage(device, 'profile');
  expect(page.data.status).toBe('ready');
  await tickConsent(page);
  const { openid } = await t.control.user(device.user);
  return { device, page, openid };
}

async function userDoc(openid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents('users')).find((doc) => doc._id === openid);
}

const actionDone = (page: RenderedPage) => until(page, (data) => data.busy === false);

/** The classes of the profile template's elements whose `disabled` binding uses `flag`. */
function disabledBy(flag: string): string[] {
  const wxml = readFileSync(join(__dirname, '..', '..', 'miniprogram', 'pages', 'profile', 'profile.wxml'), 'utf8');
  const classes: string[] = [];
  for (const [element] of wxml.matchAll(/<(button|input)\b[^>]*>/g)) {
    const disabled = /\sdisabled="\{\{([^}]*)\}\}"/.exec(element)?.[1] ?? '';
    if (new RegExp(`\\b${flag}\\b`).test(disabled)) classes.push(/class="([^"]+)"/.exec(element)?.[1] ?? '?');
  }
  return classes;
}

/** Resolves when the promise settles, or says it is still pending after a while. */
async function stillPending(promise: Promise<unknown>, ms = 100): Promise<boolean> {
  const pending = Symbol('pending');
  const winner = await Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(pending), ms))]);
  return winner === pending;
}

test('the popup names the guideline before the avatar is chosen; agreeing lets the avatar flow go on', async () => {
  const { device, page, openid } = await undecidedUser();
  expect(popupVisible(page)).toBe(false);
  const tap = device.chooseAvatar();

  const shown = await popupShown(page);
  expect(shown).toContain('《登录示例小程序隐私保护指引》'); // privacyContractName from wx.getPrivacySetting
  expect(shown).toContain('头像、昵称和绑定手机号');
  expect(device.privacy.exposures).toEqual(['button.chooseAvatar']); // resolve({ event: 'exposureAuthorization' })
  expect(await stillPending(tap)).toBe(true); // chooseAvatar waits for the answer

  await agreeInPopup(page, device);
  const chosen = await tap;
  expect(chosen.detail).toHaveProperty('avatarUrl');
  expect(device.privacy.agreed).toBe(true);
  expect(device.privacy.violations).toEqual([]);
  expect(device.privacy.resolutions.map((r) => r.event)).toEqual(['exposureAuthorization', 'agree']);
  expect(popupVisible(page)).toBe(false);

  await gesture(page, '.avatar-btn', 'chooseavatar', chosen.detail);
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '小隐' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');
  const doc = await userDoc(openid);
  expect(doc?.nickName).toBe('小隐');
  expect(String(doc?.avatarUrl)).toMatch(/^cloud:\/\//);
});

test('the phone button waits for the agreement too, then binds the number', async () => {
  const { device, page } = await undecidedUser();
  const tap = device.getPhoneNumberEvent(true);
  await popupShown(page);
  expect(device.privacy.exposures).toEqual(['button.getPhoneNumber']);
  expect(device.phoneCharges.getPhoneNumber).toBe(0);
  await agreeInPopup(page, device);
  const { detail } = await tap;
  expect(detail.code).toBeDefined();
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  await actionDone(page);
  expect(text(page, '.phone')).toBe('138****1234');
});

test('disagreeing: the page says what cannot work, disables it, calls nothing, and asking again later works', async () => {
  const { device, page, openid } = await undecidedUser();
  const tap = device.chooseAvatar();
  await popupShown(page);
  device.trail.length = 0;
  await disagreeInPopup(page);

  const failed = await tap;
  expect(failed.detail).toEqual({ errno: 104, errMsg: 'chooseAvatar:fail privacy permission is not authorized' });
  await gesture(page, '.avatar-btn', 'chooseavatar', failed.detail);
  await until(page, (data) => data.privacyDenied === true);
  // Said once, with the guideline's name as wx.getPrivacySetting gives it.
  expect(text(page, '.privacy-denied-text')).toBe('你未同意《登录示例小程序隐私保护指引》，头像、昵称和手机号暂不可用');
  expect(text(page, '.error-message')).toBeUndefined();
  // simulate's built-in components keep no attributes: the template binds their `disabled` to this flag.
  expect(page.data.privacyDenied).toBe(true);
  expect(disabledBy('privacyDenied')).toEqual(['avatar-btn', 'nickname-input', 'phone-btn', 'phone-btn']);
  // The phone component fails the same way without the agreement, and nothing reaches the cloud.
  const phone = device.getPhoneNumberEvent(true);
  await popupShown(page);
  await disagreeInPopup(page);
  const { detail } = await phone;
  expect(detail).toMatchObject({ errno: 104 });
  await gesture(page, '.phone-btn', 'getphonenumber', detail);
  expect(device.trail).toEqual([]);
  expect(device.phoneCharges.getPhoneNumber).toBe(0);
  expect((await userDoc(openid))?.avatarUrl).toBeUndefined();

  // 查看并同意: the popup again (through wx.requirePrivacyAuthorize), and this time the user agrees.
  await gesture(page, '.privacy-retry-btn', 'tap');
  await popupShown(page);
  await agreeInPopup(page, device);
  await until(page, (data) => data.privacyDenied === false);
  expect(page.querySelector('.privacy-denied')).toBeFalsy();
  expect(page.querySelector('.avatar-btn')?.dom?.getAttribute('disabled')).not.toBe('true');
  const again = await device.chooseAvatar();
  expect(again.detail).toHaveProperty('avatarUrl'); // no popup: the agreement is recorded
  await gesture(page, '.avatar-btn', 'chooseavatar', again.detail);
  await gesture(page, '.nickname-form', 'submit', { value: { nickName: '' } });
  await actionDone(page);
  expect(text(page, '.notice')).toBe('已保存');
});

test('after a refusal, logout and 注销 still work, and the login page is unaffected', async () => {
  const { device, page, openid } = await undecidedUser();
  const tap = device.chooseAvatar();
  await popupShown(page);
  await disagreeInPopup(page);
  await gesture(page, '.avatar-btn', 'chooseavatar', (await tap).detail);
  await until(page, (data) => data.privacyDenied === true);

  const login = await openPage(device.relaunch(), 'login');
  expect(login.data.status).toBe('ready');
  await gesture(page, '.delete-btn', 'tap');
  await until(page, (data) => data.status === 'deleted' || data.errorMessage !== '');
  expect(page.data.status).toBe('deleted');
  expect(await userDoc(openid)).toBeUndefined();
});

test('the nickname input: a focus asks for the agreement; without it the input is plain text', async () => {
  const { device, page } = await undecidedUser();
  expect(device.privacy.nicknameInputType()).toBe('text');
  await gesture(page, '.nickname-input', 'focus', { value: '' });
  await popupShown(page);
  expect(device.privacy.exposures).toEqual(['requirePrivacyAuthorize']);
  await agreeInPopup(page, device);
  expect(device.privacy.nicknameInputType()).toBe('nickname');
});

test('once the profile page is gone, a privacy call elsewhere is refused at once, not left behind its popup', async () => {
  const { device, page } = await undecidedUser();
  const waiting = device.chooseAvatar();
  await popupShown(page);
  closePage(page);
  // The call the gone popup was showing fails, as after 不同意.
  expect((await waiting).detail).toMatchObject({ errno: 104 });

  // The login page has no popup: its privacy call gets an answer (a refusal), not a wait.
  await openPage(device, 'login');
  const elsewhere = await device.chooseAvatar();
  expect(elsewhere.detail).toEqual({ errno: 104, errMsg: 'chooseAvatar:fail privacy permission is not authorized' });
  expect(device.privacy.exposures).toEqual(['button.chooseAvatar']); // only the popup that was on screen showed
});

test('the agreement is kept per phone: the next launch asks nothing', async () => {
  const { device, page } = await undecidedUser();
  const tap = device.chooseAvatar();
  await popupShown(page);
  await agreeInPopup(page, device);
  await tap;
  const next = device.relaunch();
  const again = await openPage(next, 'profile');
  expect((await next.chooseAvatar()).detail).toHaveProperty('avatarUrl');
  expect(popupVisible(again)).toBe(false);
  expect(next.privacy.exposures).toEqual([]);
});

test("the popup's link opens the guideline (wx.openPrivacyContract)", async () => {
  const { device, page } = await undecidedUser();
  const tap = device.chooseAvatar();
  await popupShown(page);
  const popup = page.querySelector('#privacy-popup') as unknown as RenderedPage;
  await gesture(popup, '.privacy-contract', 'tap');
  expect(device.privacy.contractOpened).toBe(1);
  await agreeInPopup(page, device);
  await tap;
});

describe("with PRIVACY_POPUP 'official'", () => {
  beforeEach(() => {
    const actual = jest.requireActual<Record<string, unknown>>(CONFIG);
    jest.doMock(CONFIG, () => ({ ...actual, PRIVACY_POPUP: 'official' }));
  });

  test('no listener and no popup of ours: WeChat shows its own, and a refusal is PRIVACY_DENIED', async () => {
    const { device, page } = await undecidedUser();
    expect(page.querySelector('#privacy-popup')).toBeFalsy();
    expect(device.privacy.hasListener).toBe(false);
    const tap = device.chooseAvatar();
    await until(page, () => device.privacy.officialPopup !== undefined);
    expect(device.privacy.officialPopup).toEqual({ referrer: 'button.chooseAvatar' });
    device.privacy.answerOfficialPopup(false);
    await gesture(page, '.avatar-btn', 'chooseavatar', (await tap).detail);
    await until(page, (data) => data.privacyDenied === true);
    expect(page.data.errorCode).toBe('PRIVACY_DENIED');
    expect(text(page, '.privacy-denied-text')).toBe(
      '你未同意《登录示例小程序隐私保护指引》，头像、昵称和手机号暂不可用',
    );
    expect(text(page, '.error-message')).toBeUndefined();

    // 查看并同意 asks through WeChat's popup too.
    await gesture(page, '.privacy-retry-btn', 'tap');
    await until(page, () => device.privacy.officialPopup !== undefined);
    device.privacy.answerOfficialPopup(true);
    await until(page, (data) => data.privacyDenied === false);
    expect((await device.chooseAvatar()).detail).toHaveProperty('avatarUrl');
  });

  test("agreeing in WeChat's popup lets the phone flow go on", async () => {
    const { device, page } = await undecidedUser();
    const tap = device.getPhoneNumberEvent(true);
    await until(page, () => device.privacy.officialPopup !== undefined);
    device.privacy.answerOfficialPopup(true);
    await gesture(page, '.phone-btn', 'getphonenumber', (await tap).detail);
    await actionDone(page);
    expect(text(page, '.phone')).toBe('138****1234');
  });
});
