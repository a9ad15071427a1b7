/**
 * Replace with your CloudBase environment id (WeChat DevTools > 云开发 > 设置 > 环境 ID).
 * The local cloud (devcloud) ignores it.
 */
export const CLOUD_ENV_ID = 'your-env-id';

/**
 * Your own backend's base URL (https://api.example.com, no trailing slash), which services/request.ts calls with
 * the session token as `Authorization: Bearer <token>`. Empty: the feature is off (no 「我的后端」 section, no
 * request). In WeChat the domain must be listed in mp.weixin.qq.com > 开发管理 > 开发设置 > 服务器域名 > request合法域名
 * (HTTPS only); WeChat DevTools can skip that check for local development (详情 > 本地设置 > 不校验合法域名).
 */
export const API_BASE_URL = '';
