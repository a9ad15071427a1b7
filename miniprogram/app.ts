import { CLOUD_ENV_ID } from './config';

App({
  onLaunch() {
    // traceUser records visiting users in the CloudBase console; identity itself comes from the WeChat context.
    wx.cloud.init({ env: CLOUD_ENV_ID, traceUser: true });
  },
});
