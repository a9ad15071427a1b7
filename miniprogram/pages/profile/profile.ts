import type { ErrorCode, UserProfile } from '../../../contracts';
import { consentBehavior } from '../../behaviors/consent';
import { privacyBehavior } from '../../behaviors/privacy';
import { PHONE_NUMBER_VERIFICATION } from '../../config';
import {
  bindPhone,
  deleteAccount,
  hasPhoneData,
  logout,
  phoneRefusal,
  saveProfile,
  type PhoneNumberDetail,
} from '../../services/account';
import { ensureLogin } from '../../services/auth';
import { supports } from '../../services/base-library';
import { ClientError } from '../../services/cloud';
import { messageFor } from '../../services/messages';
import { isPrivacyDenied } from '../../services/privacy';

type Status = 'loading' | 'ready' | 'loggedOut' | 'deleted' | 'error';

/** In the phone row when the real-time button needs a newer base library (2.24.4). */
const PHONE_OUTDATED = '微信版本过低，升级后可绑定手机号';

function codeOf(error: unknown): ErrorCode {
  return error instanceof ClientError ? error.code : 'INTERNAL';
}

/**
 * The profile page: avatar, nickname, phone number, logout and 注销. The privacy agreement and the consent to
 * 《用户协议》和《隐私政策》 live in behaviors/, every call in services/.
 */
Component({
  behaviors: [privacyBehavior, consentBehavior],
  data: {
    status: 'loading' as Status,
    busy: false,
    avatarUrl: '',
    /** A chosen, unsaved avatar (chooseAvatar's temporary path). */
    pendingAvatar: '',
    nickName: '',
    phoneMasked: '',
    notice: '',
    errorCode: '' as ErrorCode | '',
    errorMessage: '',
    /** chooseAvatar and <input type="nickname"> need base library 2.21.2; below it the nickname is plain text. */
    avatarSupported: true,
    nicknameInputType: 'nickname' as 'nickname' | 'text',
    /** <button open-type="getRealtimePhoneNumber"> instead of "getPhoneNumber". */
    realtimePhone: PHONE_NUMBER_VERIFICATION === 'realtime',
    /** A bind is in flight: the button is disabled, so one tap is one billed call. */
    phoneBinding: false,
    /** Why the phone cannot be bound now (no quota, not permitted): said in its row, once; '' when it can. */
    phoneUnavailable: '',
  },
  methods: {
    onLoad() {
      const avatarSupported = supports('avatarNickname');
      this.setData({ avatarSupported, nicknameInputType: avatarSupported ? 'nickname' : 'text' });
      if (this.data.realtimePhone && !supports('realtimePhone')) this.setData({ phoneUnavailable: PHONE_OUTDATED });
      void this.load();
    },
    onRetry() {
      this.setData({ status: 'loading', errorCode: '', errorMessage: '' });
      void this.load();
    },
    async load() {
      try {
        const [{ user }] = await Promise.all([ensureLogin(), this.loadPrivacySetting()]);
        await this.refreshConsent();
        this.show(user);
      } catch (error) {
        this.fail(error, 'error');
      }
    },

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

    /**
     * WeChat bills the phone component when it hands the page a code, so an event arriving while a bind is
     * pending is dropped: one tap, one billed call. A decline or a failure carries no code and costs nothing.
     */
    async onGetPhoneNumber(event: { detail: PhoneNumberDetail }) {
      const { detail } = event;
      if (this.data.phoneBinding || this.data.busy) return;
      const refusal = phoneRefusal(detail);
      if (refusal && refusal !== 'PHONE_DENIED') {
        this.setData({ notice: '' });
        this.fail(new ClientError(refusal));
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

    async onLogout() {
      await this.run(async () => {
        await logout();
        this.setData({ status: 'loggedOut' });
        return ''; // the page itself now says so
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
        return '';
      });
    },
    /** After a logout or 注销: start again from the login page, which logs in (a new account after 注销). */
    onRelogin() {
      void wx.reLaunch({ url: '/pages/login/login' });
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
      if (code === 'PRIVACY_DENIED') {
        this.privacyRefused(); // the banner says it, with the guideline's name
        return;
      }
      if (code === 'PHONE_QUOTA_EXHAUSTED' || code === 'PHONE_UNAVAILABLE') {
        // The page goes on without a phone number; the row says why, so the error line stays quiet.
        this.setData({ phoneUnavailable: messageFor(code), errorCode: code, errorMessage: '' });
        return;
      }
      this.setData({ errorCode: code, errorMessage: messageFor(code), ...(status ? { status } : {}) });
      if (code === 'CONSENT_REQUIRED') this.consentRefused();
    },
  },
});
