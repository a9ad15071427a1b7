import { CLOUD_ENV_ID } from './config';
import { listenForPrivacyRequests } from './services/privacy';

App({
  onLaunch() {
    // traceUser records visiting users in the CloudBase console; identity itself comes from the WeChat context.
    wx.cloud.init({ env: CLOUD_ENV_ID, traceUser: true });
    // From launch on, so that every page meets the same listener (it cannot be removed once registered).
    listenForPrivacyRequests();
  },
});
