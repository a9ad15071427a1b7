/**
 * WeChat's privacy authorization (用户隐私保护指引, 小程序隐私协议开发指南): the user must agree to the guideline
 * declared in the MP console before any privacy API or component runs (chooseAvatar, <input type="nickname">,
 * getPhoneNumber, ...). Until then such a call pends while the mini-program shows its popup (or WeChat its own),
 * and fails with errno 104 after a refusal.
 * https://developers.weixin.qq.com/miniprogram/dev/framework/user-privacy/PrivacyAuthorize.html
 */

/** errno of "<api>:fail privacy permission is not authorized": the user did not agree. */
export const PRIVACY_NOT_AUTHORIZED_ERRNO = 104;

/** What a listener reports to WeChat, through the `resolve` it was given. */
export type PrivacyResolution =
  { event: 'exposureAuthorization' } | { event: 'agree'; buttonId: string } | { event: 'disagree' };
export type PrivacyResolve = (resolution: PrivacyResolution) => void;
/** `referrer`: the API or component waiting for the agreement, e.g. "button.getPhoneNumber". */
export type PrivacyListener = (resolve: PrivacyResolve, eventInfo: { referrer?: string }) => void;

export interface PrivacySetting {
  /** True while the user has not agreed to the current guideline. */
  needAuthorization: boolean;
  /** The guideline's name as declared in the MP console, e.g. "《示例小程序隐私保护指引》". */
  privacyContractName: string;
}

/** The miniprogram-api-typings type the listener as taking one result; the documented shape is (resolve, info). */
interface PrivacyApis {
  onNeedPrivacyAuthorization(listener: PrivacyListener): void;
}

/**
 * Registers the listener that shows the popup. Registration overrides the previous one (only the last listener is
 * called). Without any listener WeChat shows its own popup instead.
 */
export function onNeedPrivacyAuthorization(listener: PrivacyListener): void {
  (wx as unknown as PrivacyApis).onNeedPrivacyAuthorization(listener);
}

/** Whether the user still has to agree, and the guideline's name. An old base library (< 2.32.3) has no check. */
export function privacySetting(): Promise<PrivacySetting> {
  return new Promise((resolve) => {
    if (typeof wx.getPrivacySetting !== 'function') {
      resolve({ needAuthorization: false, privacyContractName: '' });
      return;
    }
    wx.getPrivacySetting({
      success: ({ needAuthorization, privacyContractName }) => resolve({ needAuthorization, privacyContractName }),
      fail: () => resolve({ needAuthorization: true, privacyContractName: '' }),
    });
  });
}

/**
 * Asks for the agreement now, as a privacy API would (wx.requirePrivacyAuthorize): true at once if the user already
 * agreed, otherwise after the popup (ours or WeChat's) is answered.
 */
export function requirePrivacyAuthorization(): Promise<boolean> {
  return new Promise((resolve) => {
    if (typeof wx.requirePrivacyAuthorize !== 'function') {
      resolve(true);
      return;
    }
    wx.requirePrivacyAuthorize({ success: () => resolve(true), fail: () => resolve(false) });
  });
}

/** Opens the guideline itself (the page WeChat renders from the MP console's declaration). */
export function openPrivacyContract(): void {
  if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({});
}

/** Is this failure (an API error or a component event's detail) WeChat refusing for want of the agreement? */
export function isPrivacyDenied(result: unknown): boolean {
  if (!result || typeof result !== 'object') return false;
  const { errno, errMsg } = result as { errno?: unknown; errMsg?: unknown };
  return (
    errno === PRIVACY_NOT_AUTHORIZED_ERRNO ||
    (typeof errMsg === 'string' && errMsg.includes('privacy permission is not authorized'))
  );
}
