/**
 * 《隐私政策》: a placeholder. Replace the text in privacy-policy.wxml with your own privacy policy, and raise CONSENT_VERSION
 * on the account function whenever it changes (docs/privacy.md).
 */
Component({
  data: { status: 'ready' },
  methods: {
    onLoad() {
      // Static text: nothing to load.
    },
  },
});
