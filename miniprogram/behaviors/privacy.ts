import type { ErrorCode } from '../../contracts';
import { PRIVACY_POPUP } from '../config';
import { privacySetting, requirePrivacyAuthorization } from '../services/privacy';

/**
 * WeChat's privacy agreement (用户隐私保护指引) on a page with privacy components: whether the user refused it,
 * the guideline's name, and asking again. The popup itself is components/privacy-popup.
 */
export const privacyBehavior = Behavior({
  data: {
    /** Our popup (PRIVACY_POPUP 'custom') or WeChat's own ('official'). */
    usePrivacyPopup: PRIVACY_POPUP === 'custom',
    /** The user refused: avatar, nickname and phone are off until they agree. */
    privacyDenied: false,
    privacyContractName: '《用户隐私保护指引》',
    errorCode: '' as ErrorCode | '',
    errorMessage: '',
  },
  methods: {
    /** The guideline's name as the MP console declares it (wx.getPrivacySetting). */
    async loadPrivacySetting() {
      const { privacyContractName } = await privacySetting();
      if (privacyContractName) this.setData({ privacyContractName });
    },
    onPrivacyDecided(event: { detail: { agreed: boolean } }) {
      this.setData({ privacyDenied: !event.detail.agreed });
    },
    /** "查看并同意" after a refusal: ask again (our popup, or WeChat's with PRIVACY_POPUP 'official'). */
    async onPrivacyRetry() {
      const agreed = await requirePrivacyAuthorization();
      this.setData({ privacyDenied: !agreed, ...(agreed ? { errorCode: '', errorMessage: '' } : {}) });
    },
    /**
     * <input type="nickname"> raises no popup: without the agreement it silently becomes a plain input. Asking on
     * focus puts the popup in front of it.
     */
    async onNicknameFocus() {
      if (this.data.privacyDenied) return;
      if (!(await requirePrivacyAuthorization())) this.privacyRefused();
    },
    /** Said once, by the banner that names the guideline: the error line stays quiet. */
    privacyRefused() {
      this.setData({ privacyDenied: true, errorCode: 'PRIVACY_DENIED', errorMessage: '' });
    },
  },
});
