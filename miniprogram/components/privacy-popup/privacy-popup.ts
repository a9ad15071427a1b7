import {
  hidePrivacyPrompt,
  openPrivacyContract,
  privacySetting,
  showPrivacyPrompt,
  type PrivacyPrompt,
  type PrivacyResolve,
} from '../../services/privacy';

/** The agree button's id: WeChat checks that the button with this id was tapped before it accepts an "agree". */
export const AGREE_BUTTON_ID = 'privacy-agree-btn';

/** Shown when WeChat does not say (an old base library, or the setting could not be read). */
const FALLBACK_CONTRACT_NAME = '《用户隐私保护指引》';

interface PopupState {
  prompt: PrivacyPrompt;
  /** Every waiting API or component call gave its own resolve; one answer settles them all. */
  pending: PrivacyResolve[];
}

const stateOf = new WeakMap<object, PopupState>();

/**
 * The privacy popup (用户隐私保护指引): put it on every page that uses a privacy API or component. While its page
 * shows, services/privacy hands it WeChat's requests for the agreement; it shows itself, reports the exposure and
 * answers with the user's choice, emitting `decided` with `{ agreed }`.
 */
Component({
  data: {
    visible: false,
    contractName: FALLBACK_CONTRACT_NAME,
  },
  lifetimes: {
    attached() {
      const state: PopupState = {
        pending: [],
        prompt: {
          ask: (resolve) => {
            state.pending.push(resolve);
            this.setData({ visible: true });
            resolve({ event: 'exposureAuthorization' });
          },
        },
      };
      stateOf.set(this, state);
      showPrivacyPrompt(state.prompt);
      void privacySetting().then(({ privacyContractName }) => {
        if (privacyContractName) this.setData({ contractName: privacyContractName });
      });
    },
    detached() {
      const state = stateOf.get(this);
      if (!state) return;
      hidePrivacyPrompt(state.prompt);
      // Nobody can answer any more: the waiting calls fail (errno 104) rather than pend forever.
      for (const resolve of state.pending.splice(0)) resolve({ event: 'disagree' });
    },
  },
  pageLifetimes: {
    // A page under another one is not on screen: new requests go to the popup of the page that is. Calls already
    // waiting here stay, for the user who comes back.
    show() {
      const state = stateOf.get(this);
      if (state) showPrivacyPrompt(state.prompt);
    },
    hide() {
      const state = stateOf.get(this);
      if (state) hidePrivacyPrompt(state.prompt);
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
      for (const resolve of stateOf.get(this)?.pending.splice(0) ?? []) resolve(resolution);
      this.setData({ visible: false });
    },
  },
});
