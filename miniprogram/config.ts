/**
 * Replace with your CloudBase environment id (WeChat DevTools > 云开发 > 设置 > 环境 ID).
 * The local cloud (devcloud) ignores it.
 */
export const CLOUD_ENV_ID = 'your-env-id';
