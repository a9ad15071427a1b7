import { PRIVACY_POPUP } from '../../config';
import {
  onNeedPrivacyAuthorization,
  openPrivacyContract,
  privacySetting,
  type PrivacyResolve,
} from '../../services/privacy';

/** The agree button's id: WeChat checks that the button with this id was tapped before it accepts an "agree". */
export const AGREE_BUTTON_ID = 'privacy-agree-btn';

/** Shown when WeChat does not say (an old base library, or the setting could not be read). */
const FALLBACK_CONTRACT_NAME = '《用户隐私保护指引》';

/**
 * Requests waiting for the user's answer, per popup. Every privacy API or component call that needs the agreement
 * calls the listener with its own `resolve`; one answer settles all of them.
 */
const pendingOf = new WeakMap<object, PrivacyResolve[]>();

/**
 * The privacy popup (用户隐私保护指引): put it on every page that uses a privacy API or component. It registers
 * the wx.onNeedPrivacyAuthorization listener when attached (the last registration wins, so the page on screen
 * owns it), shows itself when WeChat holds a request for the agreement, reports the exposure, and answers with the
 * user's choice. It emits `decided` with `{ agreed }`. With PRIVACY_POPUP 'official' it registers nothing and never
 * shows: WeChat's own popup asks instead.
 */
Component({
  data: {
    visible: false,
    contractName: FALLBACK_CONTRACT_NAME,
  },
  lifetimes: {
    attached() {
      pendingOf.set(this, []);
      void privacySetting().then(({ privacyContractName }) => {
        if (privacyContractName) this.setData({ contractName: privacyContractName });
      });
      if (PRIVACY_POPUP !== 'custom') return;
      onNeedPrivacyAuthorization((resolve) => {
        pendingOf.get(this)?.push(resolve);
        this.setData({ visible: true });
        resolve({ event: 'exposureAuthorization' });
      });
    },
    detached() {
      // Nobody can answer any more: the waiting calls fail (errno 104) rather than pend forever.
      for (const resolve of pendingOf.get(this)?.splice(0) ?? []) resolve({ event: 'disagree' });
    },
  },
  methods: {
    /** bindagreeprivacyauthorization: WeChat has recorded the tap on the agree button; now the waiting calls go on. */
    onAgree() {
      this.settle({ event: 'agree', buttonId: AGREE_BUTTON_ID });
      this.triggerEvent('decided', { agreed: true });
    },
    onDisagree() {
      this.settle({ event: 'disagree' });
      this.triggerEvent('decided', { agreed: false });
    },
    onOpenContract() {
      openPrivacyContract();
    },
    settle(resolution: Parameters<PrivacyResolve>[0]) {
      for (const resolve of pendingOf.get(this)?.splice(0) ?? []) resolve(resolution);
      this.setData({ visible: false });
    },
  },
});
