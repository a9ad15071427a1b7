/**
 * 《用户协议》: a placeholder. Replace the text in agreement.wxml with your own agreement, and raise CONSENT_VERSION
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
