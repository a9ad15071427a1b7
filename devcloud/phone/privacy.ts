/**
 * The simulated phone's privacy authorization (用户隐私保护指引), as WeChat's base library enforces it since
 * 2023-10-17 (小程序隐私协议开发指南, wx.onNeedPrivacyAuthorization, wx.requirePrivacyAuthorize):
 * - a privacy API or component used before the user agreed pends, while the mini-program's listener
 *   (wx.onNeedPrivacyAuthorization; the last one registered wins) shows its popup, or, with no listener, while
 *   WeChat's own popup is on screen;
 * - the listener's `resolve({ buttonId, event: 'agree' })` lets every pending call go on, but only if the
 *   <button open-type="agreePrivacyAuthorization"> with that id was tapped (the base library checks); a tap on that
 *   button records the agreement by itself;
 * - `resolve({ event: 'disagree' })` fails the pending calls with errno 104,
 *   "<api>:fail privacy permission is not authorized";
 * - the agreement is kept per phone and mini-program (not in wx storage: clearing storage does not reset it), so a
 *   relaunch of the mini-program on the same phone keeps it;
 * - <input type="nickname"> neither raises a popup nor waits: without the agreement it is a plain text input.
 */

/** errno of "<api>:fail privacy permission is not authorized". */
export const PRIVACY_NOT_AUTHORIZED = 104;

export type PrivacyResolution = { event?: string; buttonId?: string };
export type PrivacyListener = (resolve: (resolution: PrivacyResolution) => void, info: { referrer: string }) => void;

/** What WeChat remembers for one user of the mini-program on one phone; carried across relaunches. */
export interface PrivacyRecord {
  agreed: boolean;
}

export interface PrivacyOptions {
  /** Whether this phone's user has already agreed (default true: a user who agreed on an earlier launch). */
  agreed?: boolean;
  /** What wx.getPrivacySetting answers as privacyContractName. */
  contractName?: string;
}

export const DEFAULT_CONTRACT_NAME = '《登录示例小程序隐私保护指引》';

/** The failure a privacy API or component reports after a refusal. */
export interface PrivacyFailure {
  errno: typeof PRIVACY_NOT_AUTHORIZED;
  errMsg: string;
}

export function privacyFailure(api: string): PrivacyFailure {
  return { errno: PRIVACY_NOT_AUTHORIZED, errMsg: `${api}:fail privacy permission is not authorized` };
}

interface PendingRequest {
  api: string;
  referrer: string;
  /** The listener gave its agree/disagree for this request (exposure reports do not count). */
  answered: boolean;
  settle(agreed: boolean): void;
}

interface WxCallbacks<T> {
  success?: (result: T) => void;
  fail?: (error: unknown) => void;
  complete?: (result: unknown) => void;
}

/** One launch's view of the phone's privacy state: the listener and popups belong to the launch. */
export class DevicePrivacy {
  readonly contractName: string;
  /** Referrers the mini-program reported as shown (resolve({ event: 'exposureAuthorization' })). */
  readonly exposures: string[] = [];
  /** Every answer the listener gave, in order. */
  readonly resolutions: Array<PrivacyResolution & { referrer: string }> = [];
  /** What the mini-program did wrong: an "agree" without a tap on that button, a second answer. */
  readonly violations: string[] = [];
  /** Times wx.openPrivacyContract opened the guideline. */
  contractOpened = 0;
  private listener: PrivacyListener | undefined;
  private readonly tappedAgreeButtons = new Set<string>();
  private readonly official: PendingRequest[] = [];

  constructor(
    readonly record: PrivacyRecord,
    options: PrivacyOptions = {},
  ) {
    this.contractName = options.contractName ?? DEFAULT_CONTRACT_NAME;
  }

  get agreed(): boolean {
    return this.record.agreed;
  }

  /** WeChat's own popup, on screen while a privacy call waits with no listener registered. */
  get officialPopup(): { referrer: string } | undefined {
    const first = this.official[0];
    return first ? { referrer: first.referrer } : undefined;
  }

  /** Whether a listener is registered (wx.onNeedPrivacyAuthorization). */
  get hasListener(): boolean {
    return this.listener !== undefined;
  }

  /**
   * A privacy API or component called: resolves once the user agreed (at once if they had), rejects with
   * privacyFailure(api) after a refusal. `referrer` is what the listener's eventInfo names, e.g.
   * "button.getPhoneNumber".
   */
  authorize(api: string, referrer = api): Promise<void> {
    if (this.record.agreed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const request: PendingRequest = {
        api,
        referrer,
        answered: false,
        settle: (agreed) => (agreed ? resolve() : reject(privacyFailure(api))),
      };
      const listener = this.listener;
      if (listener) listener((resolution) => this.resolve(request, resolution), { referrer });
      else this.official.push(request);
    });
  }

  /**
   * The user taps <button id=buttonId open-type="agreePrivacyAuthorization">: WeChat records the agreement. Returns
   * what the button's bindagreeprivacyauthorization handler receives, for the test to dispatch on the page.
   */
  tapAgreeButton(buttonId: string): { detail: { errMsg: string } } {
    this.tappedAgreeButtons.add(buttonId);
    this.record.agreed = true;
    return { detail: { errMsg: 'agreePrivacyAuthorization:ok' } };
  }

  /** The user answers WeChat's own popup: every call waiting on it goes on, or fails with errno 104. */
  answerOfficialPopup(agree: boolean): void {
    if (this.official.length === 0) throw new Error('no official privacy popup is on screen');
    if (agree) this.record.agreed = true;
    for (const request of this.official.splice(0)) request.settle(agree);
  }

  /** As if the user removed the mini-program from WeChat: the agreement is forgotten. */
  forget(): void {
    this.record.agreed = false;
  }

  /** wx.getPrivacySetting, wx.onNeedPrivacyAuthorization, wx.requirePrivacyAuthorize, wx.openPrivacyContract. */
  wxApis() {
    const callback = <T>(options: WxCallbacks<T> | undefined, ok: boolean, result: T) => {
      try {
        if (ok) options?.success?.(result);
        else options?.fail?.(result);
      } finally {
        options?.complete?.(result);
      }
    };
    return {
      getPrivacySetting: (
        options?: WxCallbacks<{ needAuthorization: boolean; privacyContractName: string; errMsg: string }>,
      ): void => {
        const result = {
          needAuthorization: !this.record.agreed,
          privacyContractName: this.contractName,
          errMsg: 'getPrivacySetting:ok',
        };
        queueMicrotask(() => callback(options, true, result));
      },
      onNeedPrivacyAuthorization: (listener: PrivacyListener): void => {
        this.listener = listener;
      },
      requirePrivacyAuthorize: (options?: WxCallbacks<{ errMsg: string }>): void => {
        this.authorize('requirePrivacyAuthorize').then(
          () => callback(options, true, { errMsg: 'requirePrivacyAuthorize:ok' }),
          (failure: unknown) => callback(options, false, failure as PrivacyFailure),
        );
      },
      openPrivacyContract: (options?: WxCallbacks<{ errMsg: string }>): void => {
        this.contractOpened += 1;
        queueMicrotask(() => callback(options, true, { errMsg: 'openPrivacyContract:ok' }));
      },
    };
  }

  /** The type of <input type="nickname"> as the user gets it: a plain text input without the agreement. */
  nicknameInputType(): 'nickname' | 'text' {
    return this.record.agreed ? 'nickname' : 'text';
  }

  private resolve(request: PendingRequest, resolution: PrivacyResolution): void {
    this.resolutions.push({ ...resolution, referrer: request.referrer });
    if (resolution.event === 'exposureAuthorization') {
      this.exposures.push(request.referrer);
      return;
    }
    if (request.answered) {
      this.violations.push(`${request.referrer}: answered twice`);
      return;
    }
    request.answered = true;
    if (resolution.event === 'agree') {
      const tapped = resolution.buttonId !== undefined && this.tappedAgreeButtons.has(resolution.buttonId);
      if (!tapped) {
        this.violations.push(`${request.referrer}: agree with button ${String(resolution.buttonId)} never tapped`);
        request.settle(false);
        return;
      }
      this.record.agreed = true;
      request.settle(true);
      return;
    }
    if (resolution.event === 'disagree') {
      request.settle(false);
      return;
    }
    this.violations.push(`${request.referrer}: unknown event ${String(resolution.event)}`);
  }
}

// ---- the privacy-gated components a test taps through the device ------------------------------------------------

/** errno of a phone-number button when the mini-program's paid quota is used up (no code, nothing billed). */
export const PHONE_NO_QUOTA = 1400001;

export interface PhoneButtonOptions {
  /** <button open-type="getRealtimePhoneNumber"> (手机号实时验证) instead of "getPhoneNumber" (快速验证). */
  realtime?: boolean;
  /** The mini-program's phone-number quota is used up: WeChat answers errno 1400001 on the tap. */
  quotaExhausted?: boolean;
  /**
   * The mini-program may not use the component (a personal or unverified one): "<api>:fail no permission", as
   * developers report it on WeChat's forum. Nothing is billed.
   */
  noPermission?: boolean;
}

/** Successful phone-number components WeChat billed on this launch (it bills when it hands the page a code). */
export interface PhoneCharges {
  getPhoneNumber: number;
  getRealtimePhoneNumber: number;
}

/**
 * A tap on a phone-number button: waits for the privacy agreement, then the user agrees (a code, billed) or
 * declines (nothing billed). Returns what bindgetphonenumber / bindgetrealtimephonenumber receives.
 */
export async function tapPhoneButton<D extends { code: string }>(
  privacy: DevicePrivacy,
  charges: PhoneCharges,
  agree: boolean,
  options: PhoneButtonOptions,
  issue: () => Promise<D>,
): Promise<{ detail: Partial<D> & { errMsg: string; errno?: number } }> {
  type Detail = Partial<D> & { errMsg: string; errno?: number };
  const api = options.realtime ? 'getRealtimePhoneNumber' : 'getPhoneNumber';
  try {
    await privacy.authorize(api, `button.${api}`);
  } catch (failure) {
    return { detail: failure as PrivacyFailure as Detail };
  }
  if (options.noPermission) return { detail: { errMsg: `${api}:fail no permission` } as Detail };
  if (options.quotaExhausted) return { detail: { errMsg: `${api}:fail no quota`, errno: PHONE_NO_QUOTA } as Detail };
  if (!agree) return { detail: { errMsg: `${api}:fail user deny` } as Detail };
  const issued = await issue();
  charges[api] += 1;
  // The real-time component hands only the code.
  const detail = options.realtime ? { code: issued.code } : issued;
  return { detail: { errMsg: `${api}:ok`, ...detail } as Detail };
}

/** A tap on <button open-type="chooseAvatar">: waits for the privacy agreement, then the user picks an image. */
export async function tapAvatarButton<E>(
  privacy: DevicePrivacy,
  choose: () => E,
): Promise<E | { detail: PrivacyFailure }> {
  try {
    await privacy.authorize('chooseAvatar', 'button.chooseAvatar');
  } catch (failure) {
    return { detail: failure as PrivacyFailure };
  }
  return choose();
}
