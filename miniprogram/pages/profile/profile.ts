import type { ErrorCode, UserProfile } from '../../../contracts';
import { PHONE_NUMBER_VERIFICATION, PRIVACY_POPUP } from '../../config';
import {
  bindPhone,
  deleteAccount,
  getConsent,
  hasPhoneData,
  logout,
  PHONE_NO_QUOTA_ERRNO,
  recordConsent,
  saveProfile,
  type PhoneNumberDetail,
} from '../../services/account';
import { ensureLogin } from '../../services/auth';
import { ClientError } from '../../services/cloud';
import { messageFor } from '../../services/messages';
import { isPrivacyDenied, privacySetting, requirePrivacyAuthorization } from '../../services/privacy';

type Status = 'loading' | 'ready' | 'loggedOut' | 'deleted' | 'error';

function codeOf(error: unknown): ErrorCode {
  return error instanceof ClientError ? error.code : 'INTERNAL';
}

/** Shown when the server refuses a consent the page thought current: the texts changed since. */
const CONSENT_OUTDATED_MESSAGE = '《用户协议》和《隐私政策》已更新，请重新阅读并勾选同意后再试';

/** A consent being recorded, per page: the checkbox and the actions share it, so it is recorded once. */
const consentInFlight = new WeakMap<object, Promise<void>>();

/**
 * The profile page: avatar, nickname, phone number, logout and 注销, behind WeChat's privacy agreement (the
 * privacy-popup component) and the user's consent to 《用户协议》和《隐私政策》 (the checkbox). All calls live in
 * services/.
 */
Component({
  data: {
    status: 'loading' as Status,
    busy: false,
    avatarUrl: '',
    /** A chosen but not yet saved avatar (temporary path from chooseAvatar). */
    pendingAvatar: '',
    nickName: '',
    phoneMasked: '',
    notice: '',
    errorCode: '' as ErrorCode | '',
    errorMessage: '',
    /** Our popup (PRIVACY_POPUP 'custom') or WeChat's own ('official'). */
    usePrivacyPopup: PRIVACY_POPUP === 'custom',
    /** The user refused the 用户隐私保护指引: avatar, nickname and phone are off until they agree. */
    privacyDenied: false,
    privacyContractName: '《用户隐私保护指引》',
    /** The consent checkbox, unchecked until the user ticks it (or has agreed to the current version before). */
    consentChecked: false,
    /** The server has the user's consent to consentVersion. */
    consentUpToDate: false,
    /** The version the server requires; 0 until known. */
    consentVersion: 0,
    /** <button open-type="getRealtimePhoneNumber"> instead of "getPhoneNumber" (PHONE_NUMBER_VERIFICATION). */
    realtimePhone: PHONE_NUMBER_VERIFICATION === 'realtime',
    /** A bind is in flight: the phone button is disabled, so one tap is one billed call. */
    phoneBinding: false,
    /** The phone-number quota is used up: the page goes on without a phone number. */
    phoneUnavailable: false,
  },
  methods: {
    onLoad() {
      void this.load();
    },
    onRetry() {
      this.setData({ status: 'loading', errorCode: '', errorMessage: '' });
      void this.load();
    },
    async load() {
      try {
        const [{ user }, setting] = await Promise.all([ensureLogin(), privacySetting()]);
        if (setting.privacyContractName) this.setData({ privacyContractName: setting.privacyContractName });
        await this.refreshConsent();
        this.show(user);
      } catch (error) {
        this.fail(error, 'error');
      }
    },

    // ---- privacy agreement (用户隐私保护指引) ------------------------------------------------------------------
    /** The popup was answered. */
    onPrivacyDecided(event: { detail: { agreed: boolean } }) {
      this.setData({ privacyDenied: !event.detail.agreed });
    },
    /** "查看并同意" after a refusal: ask again (our popup, or WeChat's with PRIVACY_POPUP 'official'). */
    async onPrivacyRetry() {
      const agreed = await requirePrivacyAuthorization();
      this.setData({ privacyDenied: !agreed, ...(agreed ? { errorCode: '', errorMessage: '' } : {}) });
    },
    /**
     * <input type="nickname"> neither raises the popup nor WeChat's own: without the agreement it silently becomes
     * a plain text input. Asking on focus puts the popup in front of it.
     */
    async onNicknameFocus() {
      if (this.data.privacyDenied) return;
      if (!(await requirePrivacyAuthorization())) this.privacyRefused();
    },
    privacyRefused() {
      this.setData({ privacyDenied: true });
      this.fail(new ClientError('PRIVACY_DENIED'));
    },

    // ---- consent (《用户协议》和《隐私政策》) -------------------------------------------------------------------
    onConsentChange(event: { detail: { value: string[] } }) {
      const checked = event.detail.value.includes('agree');
      this.setData({ consentChecked: checked });
      // Ticking is agreeing: record it now, so the actions that follow do not wait for it.
      if (checked && !this.data.consentUpToDate) {
        this.ensureConsent().catch((error: unknown) => {
          // The texts changed since the page asked: ask again. Anything else is retried by the next action.
          if (codeOf(error) === 'CONSENT_REQUIRED' && this.data.consentChecked) void this.consentOutdated();
        });
      }
    },
    onOpenAgreement() {
      void wx.navigateTo({ url: '/pages/agreement/agreement' });
    },
    onOpenPrivacyPolicy() {
      void wx.navigateTo({ url: '/pages/privacy-policy/privacy-policy' });
    },
    /** Asks the server which version it requires and whether the user agreed to it. Unknown on failure. */
    async refreshConsent() {
      try {
        const { currentVersion, upToDate } = await getConsent();
        this.setData({
          consentVersion: currentVersion,
          consentUpToDate: upToDate,
          // A consent given to the current version is shown as given; otherwise the box starts unchecked.
          consentChecked: upToDate,
        });
      } catch {
        this.setData({ consentVersion: 0, consentUpToDate: false });
      }
    },
    /** The user's consent is on the server, or this throws (CONSENT_REQUIRED while the box is unchecked). */
    async ensureConsent(): Promise<void> {
      if (!this.data.consentChecked) throw new ClientError('CONSENT_REQUIRED');
      if (this.data.consentUpToDate) return;
      let flight = consentInFlight.get(this);
      if (!flight) {
        flight = (async () => {
          const version = this.data.consentVersion || (await getConsent()).currentVersion;
          await recordConsent(version);
          this.setData({ consentVersion: version, consentUpToDate: true });
        })().finally(() => consentInFlight.delete(this));
        consentInFlight.set(this, flight);
      }
      await flight;
    },
    /** The server says the recorded consent is not current (the texts changed): ask again. */
    async consentOutdated() {
      this.setData({ consentChecked: false, consentUpToDate: false, errorMessage: CONSENT_OUTDATED_MESSAGE });
      await this.refreshConsent();
      this.setData({ consentChecked: false });
    },

    // ---- profile ------------------------------------------------------------------------------------------------
    onChooseAvatar(event: { detail: { avatarUrl?: string; errMsg?: string; errno?: number } }) {
      if (isPrivacyDenied(event.detail)) {
        this.privacyRefused();
        return;
      }
      if (!event.detail.avatarUrl) return;
      this.setData({ pendingAvatar: event.detail.avatarUrl, avatarUrl: event.detail.avatarUrl, notice: '' });
    },
    async onSubmit(event: { detail: { value: { nickName?: string } } }) {
      const nickName = event.detail.value.nickName ?? '';
      await this.run(async () => {
        const changes: { nickName?: string; avatarTempPath?: string } = {};
        // An empty field with no nickname yet means "no nickname change" (e.g. saving only a new avatar).
        const typed = nickName.trim();
        if (typed !== this.data.nickName && (typed !== '' || this.data.nickName !== '')) changes.nickName = nickName;
        if (this.data.pendingAvatar) changes.avatarTempPath = this.data.pendingAvatar;
        if (changes.nickName === undefined && !changes.avatarTempPath) return '资料未修改';
        await this.ensureConsent();
        this.show(await saveProfile(changes));
        return '已保存';
      });
    },

    // ---- phone number -------------------------------------------------------------------------------------------
    /**
     * <button open-type="getPhoneNumber"> (or "getRealtimePhoneNumber"). WeChat bills the component when it hands
     * the page a code, so the button is disabled while a bind is pending and an event arriving meanwhile is dropped:
     * one tap, one billed call, one bind. A decline or a failure carries no code and costs nothing.
     */
    async onGetPhoneNumber(event: { detail: PhoneNumberDetail }) {
      const { detail } = event;
      if (this.data.phoneBinding || this.data.busy) return;
      if (isPrivacyDenied(detail)) {
        this.privacyRefused();
        return;
      }
      if (detail.errno === PHONE_NO_QUOTA_ERRNO) {
        this.phoneQuotaExhausted();
        return;
      }
      this.setData({ phoneBinding: true });
      await this.run(async () => {
        if (hasPhoneData(detail)) await this.ensureConsent();
        this.show(await bindPhone(detail));
        return '手机号已绑定';
      });
      this.setData({ phoneBinding: false });
    },
    /** No phone number for now: the page says so and everything else goes on. */
    phoneQuotaExhausted() {
      this.setData({ phoneUnavailable: true });
      this.fail(new ClientError('PHONE_QUOTA_EXHAUSTED'));
    },

    // ---- session ------------------------------------------------------------------------------------------------
    async onLogout() {
      await this.run(async () => {
        await logout();
        this.setData({ status: 'loggedOut' });
        return '已退出登录';
      });
    },
    async onDeleteAccount() {
      const { confirm } = await wx.showModal({
        title: '注销账号',
        content: '注销后将删除你的头像、昵称、手机号等全部资料，且无法恢复。确定注销吗？',
        confirmText: '注销',
        confirmColor: '#d93026',
      });
      if (!confirm) return;
      await this.run(async () => {
        await deleteAccount();
        this.setData({ status: 'deleted' });
        return '账号已注销';
      });
    },

    /** One user action at a time; its outcome becomes the notice or the error message. */
    async run(action: () => Promise<string>) {
      if (this.data.busy) return;
      this.setData({ busy: true, notice: '', errorCode: '', errorMessage: '' });
      try {
        const notice = await action();
        this.setData({ busy: false, notice });
      } catch (error) {
        this.setData({ busy: false });
        this.fail(error);
      }
    },
    show(user: UserProfile) {
      this.setData({
        status: 'ready',
        avatarUrl: user.avatarUrl ?? '',
        pendingAvatar: '',
        nickName: user.nickName ?? '',
        phoneMasked: user.phoneMasked ?? '',
      });
    },
    fail(error: unknown, status?: Status) {
      const code = codeOf(error);
      if (code === 'PRIVACY_DENIED') this.setData({ privacyDenied: true });
      if (code === 'PHONE_QUOTA_EXHAUSTED') this.setData({ phoneUnavailable: true });
      this.setData({ errorCode: code, errorMessage: messageFor(code), ...(status ? { status } : {}) });
      // Refused by the server although the box is checked: the recorded consent is outdated.
      if (code === 'CONSENT_REQUIRED' && this.data.consentChecked) void this.consentOutdated();
    },
  },
});
