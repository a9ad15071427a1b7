/**
 * What the WeChat base library (基础库) on this phone can do, by the versions WeChat's docs give ("基础库 x 开始支持"
 * on each API page, the 最低版本 column of the button component's open-type table):
 * - 2.21.2: <button open-type="chooseAvatar">, <input type="nickname"> (头像昵称填写), and the phone button's code;
 * - 2.24.4: <button open-type="getRealtimePhoneNumber">;
 * - 2.32.3: wx.getPrivacySetting, wx.onNeedPrivacyAuthorization, wx.requirePrivacyAuthorize and
 *   <button open-type="agreePrivacyAuthorization">. services/privacy checks those functions itself.
 * Versions are compared, not asked of wx.canIUse: developers report canIUse('button.open-type.getRealtimePhoneNumber')
 * false on libraries that have it.
 * https://developers.weixin.qq.com/miniprogram/dev/component/button.html (open-type 最低版本)
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/userProfile.html (从基础库 2.21.2 开始支持)
 * https://developers.weixin.qq.com/miniprogram/dev/api/open-api/privacy/wx.onNeedPrivacyAuthorization.html (2.32.3)
 */
export const LIBRARY_SINCE = {
  avatarNickname: '2.21.2',
  realtimePhone: '2.24.4',
  privacy: '2.32.3',
} as const;

export type LibraryFeature = keyof typeof LIBRARY_SINCE;

/** -1, 0 or 1, comparing dotted versions part by part as numbers ('2.9.0' < '2.10.0'). */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] || 0) - (right[i] || 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

/** This phone's SDKVersion (wx.getAppBaseInfo from 2.20.1, getSystemInfoSync before); undefined if unreadable. */
export function baseLibraryVersion(): string | undefined {
  try {
    if (typeof wx.getAppBaseInfo === 'function') return wx.getAppBaseInfo().SDKVersion;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only source below 2.20.1
    return wx.getSystemInfoSync().SDKVersion;
  } catch {
    return undefined;
  }
}

/** Whether this phone's library has the feature; an unreadable version counts as current, hiding nothing. */
export function supports(feature: LibraryFeature): boolean {
  const version = baseLibraryVersion();
  return version === undefined || compareVersions(version, LIBRARY_SINCE[feature]) >= 0;
}
