import type { RenderedPage } from '../simulate-env';
import type { PageDriver } from './driver';
import { until } from './driver';

/** Whether the page's privacy popup (components/privacy-popup) is on screen. */
function popupVisible(page: RenderedPage): boolean {
  const popup = page.querySelector('#privacy-popup');
  return (popup?.data as { visible?: boolean } | undefined)?.visible === true;
}

/**
 * Every picture in docs/screenshots: one row per page state, and how a user gets there on a simulated phone
 * reaching devcloud (fixed user names, the fixed avatar; devcloud's faults for the errors). The picture is
 * `<page>-<state>.png`. To picture a new state, add a row: its steps drive the real page, as a user would.
 */
export interface PageState {
  page: 'login' | 'profile';
  state: string;
  /** The caption under the picture in docs/pictures.md's gallery. */
  caption: string;
  reach(driver: PageDriver): Promise<Reached>;
}

export interface Reached {
  page: RenderedPage;
  /** Text the user has typed into inputs (by the page's class), typed in the browser as a keyboard would. */
  typed?: Record<string, string>;
}

/** The user ticks 我已阅读并同意《用户协议》和《隐私政策》, which saving and binding need. */
async function agreeToTerms(driver: PageDriver, profile: RenderedPage) {
  await driver.gesture(profile, '.consent-group', 'change', { value: ['agree'] });
  await until(profile, (data) => data.consentUpToDate === true);
}

/** A user who has used the app before: logged in once, saved a nickname and the avatar on the profile page. */
async function returningUser(driver: PageDriver, user: string) {
  const phone = driver.phone(user);
  await driver.open(phone, 'login');
  const profile = await driver.open(phone, 'profile');
  await agreeToTerms(driver, profile);
  await driver.chooseAvatar(phone, profile);
  await driver.gesture(profile, '.nickname-form', 'submit', { value: { nickName: '小红' } });
  await until(profile, (data) => data.busy === false && data.notice === '已保存');
  return { phone, profile };
}

/** A first launch: the login page logs the new user in, then the user opens the profile page. */
async function newUserProfile(driver: PageDriver, user: string) {
  const phone = driver.phone(user);
  await driver.open(phone, 'login');
  return { phone, profile: await driver.open(phone, 'profile') };
}

export const PAGE_STATES: readonly PageState[] = [
  {
    page: 'login',
    state: 'loading',
    caption: 'logging in at launch',
    reach: async (driver) => ({ page: await driver.open(driver.phone('shots-loading'), 'login', { settle: false }) }),
  },
  {
    page: 'login',
    state: 'new-user',
    caption: 'first login: no avatar, no nickname yet',
    reach: async (driver) => ({ page: await driver.open(driver.phone('shots-new'), 'login') }),
  },
  {
    page: 'login',
    state: 'with-avatar',
    caption: 'a returning user with avatar and nickname',
    reach: async (driver) => {
      const { phone } = await returningUser(driver, 'shots-avatar');
      return { page: await driver.open(phone.relaunch(), 'login') };
    },
  },
  {
    page: 'login',
    state: 'error-wechat',
    caption: 'WeChat error: WX_RISKY_USER (errcode 40226), 重试',
    reach: async (driver) => {
      await driver.control.injectWeChatFault({ api: 'jscode2session', errcode: 40226 });
      return { page: await driver.open(driver.phone('shots-risky'), 'login') };
    },
  },
  {
    page: 'login',
    state: 'error-network',
    caption: 'network error: NETWORK (the connection drops), 重试',
    reach: async (driver) => {
      // The phone's cloud calls die on the way (a connection reset): the login and its one retry.
      await driver.control.injectFault({
        target: 'device',
        mode: 'reset',
        match: { action: 'cloud.callFunction' },
        times: 2,
      });
      return { page: await driver.open(driver.phone('shots-offline'), 'login') };
    },
  },
  {
    page: 'login',
    state: 'error-server',
    caption: 'server error: INTERNAL (the database fails), 重试',
    reach: async (driver) => {
      await driver.control.injectDatabaseFault({ times: 20 });
      return { page: await driver.open(driver.phone('shots-server'), 'login') };
    },
  },
  {
    page: 'login',
    state: 'logged-out',
    caption: 'back from 退出登录 on the profile page',
    reach: async (driver) => {
      const phone = driver.phone('shots-logout');
      const login = await driver.open(phone, 'login');
      const profile = await driver.open(phone, 'profile');
      await driver.tap(profile, '.logout-btn');
      (login.instance as unknown as { onShow(): void }).onShow();
      return { page: login };
    },
  },
  {
    page: 'login',
    state: 'backend-verified',
    caption: '「我的后端」: the backend verified the session token',
    reach: async (driver) => {
      const phone = driver.phone('shots-backend', { config: { API_BASE_URL: await driver.backend() } });
      const login = await driver.open(phone, 'login');
      await driver.gesture(login, '.backend-btn', 'tap');
      await until(login, (data) => data.backendStatus !== 'loading');
      return { page: login };
    },
  },
  {
    page: 'login',
    state: 'backend-refused',
    caption: '「我的后端」: a backend that refuses the token (API_UNAUTHORIZED), 重新登录',
    reach: async (driver) => {
      const phone = driver.phone('shots-backend-refused', {
        config: { API_BASE_URL: await driver.backend('another-app') },
      });
      const login = await driver.open(phone, 'login');
      await driver.gesture(login, '.backend-btn', 'tap');
      await until(login, (data) => data.backendStatus !== 'loading');
      return { page: login };
    },
  },
  {
    page: 'profile',
    state: 'viewing',
    caption: 'a returning user',
    reach: async (driver) => {
      const { phone } = await returningUser(driver, 'shots-viewing');
      return { page: await driver.open(phone.relaunch(), 'profile') };
    },
  },
  {
    page: 'profile',
    state: 'editing',
    caption: 'editing: avatar chosen, nickname being typed',
    reach: async (driver) => {
      const { phone, profile } = await newUserProfile(driver, 'shots-editing');
      await driver.chooseAvatar(phone, profile);
      return { page: profile, typed: { '.nickname-input': '小蓝' } };
    },
  },
  {
    page: 'profile',
    state: 'saved',
    caption: 'after 保存',
    reach: async (driver) => ({ page: (await returningUser(driver, 'shots-saved')).profile }),
  },
  {
    page: 'profile',
    state: 'nickname-rejected',
    caption: 'nickname refused: CONTENT_RISKY',
    reach: async (driver) => {
      const { profile } = await newUserProfile(driver, 'shots-risky-name');
      await agreeToTerms(driver, profile);
      await driver.gesture(profile, '.nickname-form', 'submit', { value: { nickName: '赌博大师' } });
      await until(profile, (data) => data.busy === false && data.errorMessage !== '');
      return { page: profile, typed: { '.nickname-input': '赌博大师' } };
    },
  },
  {
    page: 'profile',
    state: 'consent-required',
    caption: '保存 before ticking 《用户协议》和《隐私政策》: CONSENT_REQUIRED, nothing sent',
    reach: async (driver) => {
      const { profile } = await newUserProfile(driver, 'shots-consent');
      await driver.gesture(profile, '.nickname-form', 'submit', { value: { nickName: '小绿' } });
      await until(profile, (data) => data.busy === false && data.errorMessage !== '');
      return { page: profile, typed: { '.nickname-input': '小绿' } };
    },
  },
  {
    page: 'profile',
    state: 'privacy-popup',
    caption: '换头像 before agreeing to the 用户隐私保护指引: the privacy popup',
    reach: async (driver) => {
      const phone = driver.phone('shots-privacy', { privacy: { agreed: false } });
      await driver.open(phone, 'login');
      const profile = await driver.open(phone, 'profile');
      void phone.chooseAvatar(); // waits for the answer, as chooseAvatar does in WeChat
      await until(profile, () => popupVisible(profile));
      return { page: profile };
    },
  },
  {
    page: 'profile',
    state: 'privacy-denied',
    caption: 'after 不同意 in the privacy popup: PRIVACY_DENIED, said once, 查看并同意',
    reach: async (driver) => {
      const phone = driver.phone('shots-privacy-denied', { privacy: { agreed: false } });
      await driver.open(phone, 'login');
      const profile = await driver.open(phone, 'profile');
      const tap = phone.chooseAvatar();
      await until(profile, () => popupVisible(profile));
      const popup = profile.querySelector('#privacy-popup') as unknown as RenderedPage;
      await driver.gesture(popup, '#privacy-disagree-btn', 'tap');
      await driver.gesture(profile, '.avatar-btn', 'chooseavatar', (await tap).detail);
      await until(profile, (data) => data.privacyDenied === true);
      return { page: profile };
    },
  },
  {
    page: 'profile',
    state: 'phone-bound',
    caption: 'after 绑定手机号 (masked number)',
    reach: async (driver) => {
      const { phone, profile } = await returningUser(driver, 'shots-phone');
      await driver.bindPhone(phone, profile);
      return { page: profile };
    },
  },
  {
    page: 'profile',
    state: 'phone-quota',
    caption: '绑定手机号 with the quota used up (errno 1400001): said once, in the phone row',
    reach: async (driver) => {
      const { phone, profile } = await returningUser(driver, 'shots-phone-quota');
      const { detail } = await phone.getPhoneNumberEvent(true, { quotaExhausted: true });
      await driver.gesture(profile, '.phone-btn', 'getphonenumber', detail);
      await until(profile, (data) => data.phoneUnavailable !== '');
      return { page: profile };
    },
  },
  {
    page: 'profile',
    state: 'phone-unavailable',
    caption: 'a mini-program that may not use the phone component (getPhoneNumber:fail no permission)',
    reach: async (driver) => {
      const { phone, profile } = await returningUser(driver, 'shots-phone-unavailable');
      const { detail } = await phone.getPhoneNumberEvent(true, { noPermission: true });
      await driver.gesture(profile, '.phone-btn', 'getphonenumber', detail);
      await until(profile, (data) => data.phoneUnavailable !== '');
      return { page: profile };
    },
  },
  {
    page: 'profile',
    state: 'old-wechat',
    caption: 'base library 2.20.0: no avatar button (2.21.2), the nickname a plain input',
    reach: async (driver) => {
      const phone = driver.phone('shots-old-wechat', { baseLibrary: '2.20.0' });
      await driver.open(phone, 'login');
      return { page: await driver.open(phone, 'profile') };
    },
  },
  {
    page: 'profile',
    state: 'logged-out',
    caption: 'after 退出登录',
    reach: async (driver) => {
      const { profile } = await returningUser(driver, 'shots-profile-logout');
      await driver.tap(profile, '.logout-btn');
      return { page: profile };
    },
  },
  {
    page: 'profile',
    state: 'deleted',
    caption: 'after 注销 (confirmed in the dialog): 重新登录',
    reach: async (driver) => {
      const { profile } = await returningUser(driver, 'shots-deleted');
      await driver.gesture(profile, '.delete-btn', 'tap');
      await until(profile, (data) => data.status === 'deleted');
      return { page: profile };
    },
  },
  {
    page: 'profile',
    state: 'error',
    caption: 'load failed: INTERNAL, 重试',
    reach: async (driver) => {
      await driver.control.injectDatabaseFault({ times: 20 });
      return { page: await driver.open(driver.phone('shots-profile-error'), 'profile') };
    },
  },
];

export function shotName(state: Pick<PageState, 'page' | 'state'>): string {
  return `${state.page}-${state.state}.png`;
}
