import type { ErrorCode, UserProfile } from '../../../contracts';
import type { SessionTokenClaims } from '../../../contracts/token';
import { API_BASE_URL } from '../../config';
import { currentUser, ensureLogin, loginAgain } from '../../services/auth';
import { ClientError } from '../../services/cloud';
import { messageFor } from '../../services/messages';
import { requestApi } from '../../services/request';
import { formatDate } from '../../utils/format';

type Status = 'loading' | 'ready' | 'loggedOut' | 'error';
type BackendStatus = 'idle' | 'loading' | 'ok' | 'error';

/** Shown when the user has not set a nickname: the same words WeChat itself uses. */
const DEFAULT_NICKNAME = '微信用户';

/** Backend failures whose message asks the user to log in again: those get a 重新登录 button. */
const RELOGIN_CODES: readonly ErrorCode[] = [
  'API_UNAUTHORIZED',
  'UNAUTHENTICATED',
  'REFRESH_INVALID',
  'REFRESH_REUSED',
  'USER_NOT_FOUND',
];

/** The login page: logs in silently on load and shows who is logged in. All logic lives in services/auth. */
Component({
  data: {
    status: 'loading' as Status,
    nickName: '',
    avatarUrl: '',
    memberSince: '',
    loginCount: 0,
    errorCode: '' as ErrorCode | '',
    errorMessage: '',
    // 「我的后端」: the developer's own API, called with the session token (shown when API_BASE_URL is set)
    backendEnabled: API_BASE_URL !== '',
    backendStatus: 'idle' as BackendStatus,
    backendOpenid: '',
    backendSessionVersion: 0,
    backendErrorCode: '' as ErrorCode | '',
    backendError: '',
    backendRelogin: false,
  },
  methods: {
    onLoad() {
      void this.login();
    },
    onShow() {
      // Back from the profile page: show what was saved there, from the cached state (no cloud call); after a
      // logout or 注销 there, show that nobody is logged in rather than the previous user.
      if (this.data.status !== 'ready') return;
      const user = currentUser();
      if (user) this.showUser(user);
      else this.setData({ status: 'loggedOut' });
    },
    onRetry() {
      void this.login();
    },
    /** Asks the backend who we are: it answers only if it verified the session token. */
    async onCallBackend() {
      this.setData({ backendStatus: 'loading', backendErrorCode: '', backendError: '', backendRelogin: false });
      try {
        const { data } = await requestApi<SessionTokenClaims>({ path: '/api/me' });
        this.setData({ backendStatus: 'ok', backendOpenid: data.sub, backendSessionVersion: data.sv });
      } catch (error) {
        const code: ErrorCode = error instanceof ClientError ? error.code : 'INTERNAL';
        this.setData({
          backendStatus: 'error',
          backendErrorCode: code,
          backendError: messageFor(code),
          backendRelogin: RELOGIN_CODES.includes(code),
        });
      }
    },
    /** 重新登录 after a refusal: a login with a fresh code (a new session and token), then ask the backend again. */
    async onBackendRelogin() {
      this.setData({ backendStatus: 'loading', backendErrorCode: '', backendError: '', backendRelogin: false });
      try {
        this.showUser((await loginAgain()).user);
      } catch (error) {
        const code: ErrorCode = error instanceof ClientError ? error.code : 'INTERNAL';
        this.setData({ backendStatus: 'error', backendErrorCode: code, backendError: messageFor(code) });
        return;
      }
      await this.onCallBackend();
    },
    onEditProfile() {
      void wx.navigateTo({ url: '/pages/profile/profile' });
    },
    async login() {
      this.setData({ status: 'loading', errorCode: '', errorMessage: '' });
      try {
        const { user } = await ensureLogin();
        this.showUser(user);
      } catch (error) {
        const code: ErrorCode = error instanceof ClientError ? error.code : 'INTERNAL';
        this.setData({ status: 'error', errorCode: code, errorMessage: messageFor(code) });
      }
    },
    showUser(user: UserProfile) {
      this.setData({
        status: 'ready',
        nickName: user.nickName || DEFAULT_NICKNAME,
        avatarUrl: user.avatarUrl || '',
        memberSince: formatDate(user.createdAt),
        loginCount: user.loginCount,
      });
    },
  },
});
