import { getConsent, recordConsent } from '../services/account';
import { ClientError } from '../services/cloud';

/** Shown when the server refuses a consent the page thought current: the texts changed since. */
const CONSENT_OUTDATED_MESSAGE = '《用户协议》和《隐私政策》已更新，请重新阅读并勾选同意后再试';

/** One recording per page: the checkbox and the actions that follow share it. */
const consentInFlight = new WeakMap<object, Promise<void>>();

/**
 * The consent to 《用户协议》和《隐私政策》 on a page: the checkbox, the version the server requires, and its
 * record. A page calls refreshConsent() on load, ensureConsent() before an action that needs it, and
 * consentRefused() when the server answers CONSENT_REQUIRED.
 */
export const consentBehavior = Behavior({
  data: {
    /** Unchecked until the user ticks it, or has agreed to the current version before. */
    consentChecked: false,
    /** The server has the user's consent to consentVersion. */
    consentUpToDate: false,
    /** The version the server requires; 0 until known. */
    consentVersion: 0,
    /** The page's error line, shared: an outdated consent is said there. */
    errorMessage: '',
  },
  methods: {
    onConsentChange(event: { detail: { value: string[] } }) {
      const checked = event.detail.value.includes('agree');
      this.setData({ consentChecked: checked });
      // Ticking is agreeing: record it now, so the actions that follow do not wait for it.
      if (checked && !this.data.consentUpToDate) {
        this.ensureConsent().catch((error: unknown) => {
          // The texts changed since the page asked: ask again. Anything else is retried by the next action.
          if (error instanceof ClientError && error.code === 'CONSENT_REQUIRED') this.consentRefused();
        });
      }
    },
    onOpenAgreement() {
      void wx.navigateTo({ url: '/pages/agreement/agreement' });
    },
    onOpenPrivacyPolicy() {
      void wx.navigateTo({ url: '/pages/privacy-policy/privacy-policy' });
    },
    /** Which version the server requires and whether the user agreed to it; unknown on failure. */
    async refreshConsent() {
      try {
        const { currentVersion, upToDate } = await getConsent();
        this.setData({ consentVersion: currentVersion, consentUpToDate: upToDate, consentChecked: upToDate });
      } catch {
        this.setData({ consentVersion: 0, consentUpToDate: false });
      }
    },
    /** The consent is on the server, or this throws (CONSENT_REQUIRED while the box is unchecked). */
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
    /** The server answered CONSENT_REQUIRED: with the box checked, the recorded consent is outdated. */
    consentRefused() {
      if (this.data.consentChecked) void this.consentOutdated();
    },
    async consentOutdated() {
      this.setData({ consentChecked: false, consentUpToDate: false, errorMessage: CONSENT_OUTDATED_MESSAGE });
      await this.refreshConsent();
      this.setData({ consentChecked: false });
    },
  },
});
