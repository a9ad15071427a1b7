/**
 * The WeChat base library (基础库) a simulated phone runs: its SDKVersion, and what an older one lacks. The
 * versions are those WeChat's docs give as "基础库 x 开始支持" (API pages, the button component's open-type table:
 * https://developers.weixin.qq.com/miniprogram/dev/component/button.html).
 */

/** Newer than every feature below: what a phone runs unless a test says otherwise. */
export const DEFAULT_BASE_LIBRARY = '3.6.0';

/** wx APIs the device offers only from a version on; older libraries have no such function at all. */
export const API_SINCE: Readonly<Record<string, string>> = {
  getAppBaseInfo: '2.20.1',
  getPrivacySetting: '2.32.3',
  onNeedPrivacyAuthorization: '2.32.3',
  requirePrivacyAuthorize: '2.32.3',
  openPrivacyContract: '2.32.3',
};

/** Component features, in wx.canIUse's spelling. */
export const COMPONENT_SINCE: Readonly<Record<string, string>> = {
  'button.open-type.getPhoneNumber': '1.2.0',
  'button.open-type.chooseAvatar': '2.21.2',
  'input.type.nickname': '2.21.2',
  'button.open-type.getRealtimePhoneNumber': '2.24.4',
  'button.open-type.agreePrivacyAuthorization': '2.32.3',
};

/** getPhoneNumber hands a code from this library on; before, only encryptedData, iv and cloudID. */
export const PHONE_CODE_SINCE = '2.21.2';

/** The privacy gate (用户隐私保护指引) exists from this library on; below it, privacy APIs just run. */
export const PRIVACY_GATE_SINCE = '2.32.3';

/** -1, 0 or 1, comparing dotted versions part by part as numbers ('2.9.0' < '2.10.0'). */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

export function atLeast(version: string, since: string): boolean {
  return compareVersions(version, since) >= 0;
}

/** wx.canIUse: a listed component feature or API by its version; any other API by whether `wx` has it. */
export function canIUse(version: string, schema: string, wx: Record<string, unknown>): boolean {
  const component = COMPONENT_SINCE[schema];
  if (component) return atLeast(version, component);
  const api = schema.split('.')[0] ?? '';
  const since = API_SINCE[api];
  return since ? atLeast(version, since) : api in wx;
}
