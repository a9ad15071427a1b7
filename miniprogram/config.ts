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

/**
 * Who asks for the agreement to the mini-program's 用户隐私保护指引 (enforced by WeChat for every privacy API since
 * 2023-10-17; `__usePrivacyCheck__` in app.json only mattered before that date and is not needed):
 * - 'custom': this kit's popup (components/privacy-popup), registered with wx.onNeedPrivacyAuthorization. It says
 *   in the page's own words what needs the agreement, and after a refusal the page explains what does not work
 *   and offers to ask again.
 * - 'official': no listener is registered, so WeChat shows its own popup (官方隐私授权弹窗) whenever a privacy API
 *   needs the agreement. No UI to maintain; WeChat's wording, and a refusal only shows up as errno 104.
 * docs/privacy.md says when to prefer which.
 */
export const PRIVACY_POPUP: 'custom' | 'official' = 'custom';

/**
 * The phone-number component the profile page offers. Both are billed per success, from a shared trial of 1000
 * calls (mp.weixin.qq.com > 付费管理):
 * - 'quick': 手机号快速验证 (<button open-type="getPhoneNumber">), 0.03 CNY; the number is verified, not in real time.
 * - 'realtime': 手机号实时验证 (<button open-type="getRealtimePhoneNumber">), 0.04 CNY; WeChat verifies the number
 *   with the carrier on every request.
 * The server side is the same either way: phonenumber.getPhoneNumber with the code.
 */
export const PHONE_NUMBER_VERIFICATION: 'quick' | 'realtime' = 'quick';
