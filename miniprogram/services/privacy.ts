/**
 * WeChat's privacy authorization (用户隐私保护指引, 小程序隐私协议开发指南): the user must agree to the guideline
 * declared in the MP console before any privacy API or component runs (chooseAvatar, <input type="nickname">,
 * getPhoneNumber, ...). Until then such a call pends while the mini-program shows its popup (or WeChat its own),
 * and fails with errno 104 after a refusal.
 * https://developers.weixin.qq.com/miniprogram/dev/framework/user-privacy/PrivacyAuthorize.html
 */
import { PRIVACY_POPUP } from '../config';

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
  onNeedPrivacyAuthorization?: (listener: PrivacyListener) => void;
}

/** A popup that can ask the user (components/privacy-popup). */
export interface PrivacyPrompt {
  ask(resolve: PrivacyResolve, eventInfo: { referrer?: string }): void;
}

/** Popups on a page that is showing, newest last: the last one is on screen. */
const prompts: PrivacyPrompt[] = [];
let listening = false;

/**
 * Registers the app's one listener. Registrations overwrite each other and cannot be removed, so a listener of a
 * page would outlive it; this one hands each request to the popup on screen, and with none answers disagree at
 * once (the call fails with errno 104 instead of waiting forever). With PRIVACY_POPUP 'official' it registers
 * nothing, so WeChat shows its own popup. Before base library 2.32.3 there is nothing to register.
 */
export function listenForPrivacyRequests(): void {
  const apis = wx as unknown as PrivacyApis;
  if (listening || PRIVACY_POPUP !== 'custom' || typeof apis.onNeedPrivacyAuthorization !== 'function') return;
  listening = true;
  apis.onNeedPrivacyAuthorization((resolve, eventInfo) => {
    const prompt = prompts[prompts.length - 1];
    if (prompt) prompt.ask(resolve, eventInfo);
    else resolve({ event: 'disagree' });
  });
}

/** The popup is on screen (attached, or its page shown again): requests go to it. */
export function showPrivacyPrompt(prompt: PrivacyPrompt): void {
  hidePrivacyPrompt(prompt);
  prompts.push(prompt);
  listenForPrivacyRequests();
}

export function hidePrivacyPrompt(prompt: PrivacyPrompt): void {
  const index = prompts.indexOf(prompt);
  if (index >= 0) prompts.splice(index, 1);
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
