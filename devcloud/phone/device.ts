/**
 * A simulated phone running the mini-program for one WeChat user: the `wx` object pages and services use, backed
 * by devcloud (wx.login codes from the WeChat fake, wx.cloud.callFunction through the function runtime with this
 * user's identity) and a real per-device storage that survives a relaunch of the mini-program.
 */
import { randomBytes } from 'crypto';
import { controlRequest } from './http';
import { wxRequest, type RequestOptions, type RequestRecord, type RequestSuccess } from './request';
import { DeviceStorage } from './storage';
import { wxApi, type WxCallbacks } from './wx-api';
import {
  API_SINCE,
  atLeast,
  canIUse,
  COMPONENT_SINCE,
  DEFAULT_BASE_LIBRARY,
  PHONE_CODE_SINCE,
  PRIVACY_GATE_SINCE,
} from './base-library';
import { ClientDatabase, DeviceRefusal, TransportFailure } from './database';
import {
  DevicePrivacy,
  tapAvatarButton,
  tapPhoneButton,
  type PhoneButtonOptions,
  type PhoneCharges,
  type PrivacyFailure,
  type PrivacyOptions,
  type PrivacyRecord,
} from './privacy';
import type { InvocationReport, PhoneNumberDetail, WxError } from '../protocol';

export { DeviceStorage } from './storage';
export type { RequestRecord } from './request';

export interface PhoneNumberEventDetail extends Partial<PhoneNumberDetail> {
  errMsg: string;
}

export interface DeviceOptions {
  devcloudUrl: string;
  user: string;
  storage?: DeviceStorage;
  /** Answer for wx.showModal (default: the user confirms). */
  confirmModals?: boolean;
  /** The user's privacy agreement (用户隐私保护指引) on this phone: see phone/privacy.ts. */
  privacy?: PrivacyOptions;
  /** Kept across relaunches, as WeChat keeps the agreement per phone. */
  privacyRecord?: PrivacyRecord;
  /** The base library's SDKVersion (default: newer than every feature; see phone/base-library.ts). */
  baseLibrary?: string;
}

/** Counts of what the mini-program asked of WeChat on this device: how tests tell "no cloud call" from one. */
export interface DeviceCalls {
  login: number;
  checkSession: number;
  callFunction: number;
  uploadFile: number;
}

export interface Device {
  user: string;
  /** The base library this phone runs: older ones lack APIs and component features. */
  baseLibrary: string;
  wx: SimulatedWx;
  storage: DeviceStorage;
  calls: DeviceCalls;
  /** Every callFunction's report from the runtime (cold/warm, duration). */
  invocations: InvocationReport[];
  toasts: string[];
  /** A new launch of the mini-program on the same phone: same storage and user, fresh counters. */
  relaunch(): Device;
  /** What `<button open-type="chooseAvatar">` hands the page: a temporary file path holding the image. */
  chooseAvatarEvent(bytes?: Buffer): { detail: { avatarUrl: string } };
  /**
   * What `<button open-type="getPhoneNumber">` (or, with `realtime`, "getRealtimePhoneNumber") hands the page when
   * the user agrees (or declines). Waits for the privacy agreement first, as WeChat does.
   */
  getPhoneNumberEvent(agree?: boolean, options?: PhoneButtonOptions): Promise<{ detail: PhoneNumberEventDetail }>;
  /** A tap on `<button open-type="chooseAvatar">`: waits for the privacy agreement, then hands the image. */
  chooseAvatar(bytes?: Buffer): Promise<{ detail: { avatarUrl: string } | PrivacyFailure }>;
  /** The privacy agreement, the listener the pages registered, and the popups on screen. */
  privacy: DevicePrivacy;
  /** Phone-number components WeChat billed on this launch. */
  phoneCharges: PhoneCharges;
  /** Pages this launch navigated to (wx.navigateTo / redirectTo / reLaunch), newest last. */
  navigations: string[];
  /**
   * Every WeChat call this launch made, in order (e.g. 'login', 'callFunction:account', 'request:GET /api/me',
   * 'collection.get:users' for wx.cloud.database()).
   */
  trail: string[];
  /** Every wx.request this launch made (refused ones included), with what it sent and the status it got. */
  requests: RequestRecord[];
}

export type SimulatedWx = ReturnType<typeof buildWx>;

export function createDevice(options: DeviceOptions): Device {
  const storage = options.storage ?? new DeviceStorage();
  const baseLibrary = options.baseLibrary ?? DEFAULT_BASE_LIBRARY;
  const privacyRecord = options.privacyRecord ?? { agreed: options.privacy?.agreed ?? true };
  // Below the privacy gate's library there is nothing to agree to.
  const gated = atLeast(baseLibrary, PRIVACY_GATE_SINCE);
  const privacy = new DevicePrivacy(gated ? privacyRecord : { agreed: true }, options.privacy);
  /** A tap on a button whose open-type this library lacks does nothing: a test that taps it is wrong. */
  const component = (feature: string): void => {
    const since = COMPONENT_SINCE[feature] ?? '0';
    if (!atLeast(baseLibrary, since))
      throw new Error(`${feature} needs base library ${since}; this phone runs ${baseLibrary}: the tap does nothing`);
  };
  const device: Device = {
    user: options.user,
    baseLibrary,
    storage,
    calls: { login: 0, checkSession: 0, callFunction: 0, uploadFile: 0 },
    invocations: [],
    toasts: [],
    navigations: [],
    trail: [],
    requests: [],
    wx: undefined as unknown as SimulatedWx,
    privacy,
    phoneCharges: { getPhoneNumber: 0, getRealtimePhoneNumber: 0 },
    relaunch: () => createDevice({ ...options, storage, privacyRecord }),
    chooseAvatarEvent: (bytes = randomBytes(64)) => {
      const path = `http://tmp/${randomBytes(8).toString('hex')}.jpg`;
      tempFiles.set(path, bytes);
      return { detail: { avatarUrl: path } };
    },
    getPhoneNumberEvent: async (agree = true, phoneOptions = {}) => {
      component(`button.open-type.${phoneOptions.realtime ? 'getRealtimePhoneNumber' : 'getPhoneNumber'}`);
      const tapped = await tapPhoneButton(privacy, device.phoneCharges, agree, phoneOptions, () =>
        controlRequest<PhoneNumberDetail>(options.devcloudUrl, 'POST', '/wx/phoneNumber', { user: options.user }),
      );
      // Before the code, the button handed only the open data (encryptedData, iv, cloudID).
      if (!atLeast(baseLibrary, PHONE_CODE_SINCE)) delete tapped.detail.code;
      return tapped;
    },
    chooseAvatar: async (bytes) => {
      component('button.open-type.chooseAvatar');
      return tapAvatarButton(privacy, () => device.chooseAvatarEvent(bytes));
    },
  };
  device.wx = buildWx(options, device);
  // An older library has no such function at all (typeof wx.x === 'undefined').
  for (const [api, since] of Object.entries(API_SINCE)) {
    if (!atLeast(baseLibrary, since)) Reflect.deleteProperty(device.wx, api);
  }
  return device;
}

/** Temporary files the simulated WeChat client created (chooseAvatar), by path. */
const tempFiles = new Map<string, Buffer>();

function buildWx(options: DeviceOptions, device: Device) {
  const { devcloudUrl, user } = options;
  /**
   * One request to devcloud on behalf of wx API `api`. When the request itself fails (devcloud unreachable, or an
   * injected reset or lost reply) the API fails as on a phone without network: `<api>:fail request:fail ...`.
   * A refusal devcloud answers (`{error}`) is for the caller to throw.
   */
  const ask = async <T>(api: string, path: string, body: unknown): Promise<T & { error?: WxError }> => {
    try {
      return await controlRequest<T & { error?: WxError }>(devcloudUrl, 'POST', path, body);
    } catch (error) {
      throw { errCode: -1, errMsg: `${api}:fail request:fail ${(error as Error).message}` };
    }
  };
  const wx = {
    ...device.privacy.wxApis(),
    getAppBaseInfo: () => ({ SDKVersion: device.baseLibrary, language: 'zh_CN', version: '8.0.50' }),
    getSystemInfoSync: () => ({ SDKVersion: device.baseLibrary, language: 'zh_CN', version: '8.0.50' }),
    canIUse: (schema: string): boolean => canIUse(device.baseLibrary, schema, wx),
    login: (o?: WxCallbacks<{ code: string; errMsg: string }>) =>
      wxApi(o, async () => {
        device.calls.login += 1;
        device.trail.push('login');
        const { code, error } = await ask<{ code: string }>('login', '/wx/login', { user });
        if (error) throw error;
        return { code, errMsg: 'login:ok' };
      }),
    checkSession: (o?: WxCallbacks<{ errMsg: string }>) =>
      wxApi(o, async () => {
        device.calls.checkSession += 1;
        device.trail.push('checkSession');
        const { alive, error } = await ask<{ alive: boolean }>('checkSession', '/wx/checkSession', { user });
        if (error) throw error;
        if (!alive) throw { errMsg: 'checkSession:fail session time out, need relogin' };
        return { errMsg: 'checkSession:ok' };
      }),
    getStorageSync: (key: string): unknown => device.storage.get(key),
    setStorageSync: (key: string, value: unknown): void => device.storage.set(key, value),
    removeStorageSync: (key: string): void => device.storage.remove(key),
    clearStorageSync: (): void => device.storage.clear(),
    showToast: (o: { title: string } & WxCallbacks<{ errMsg: string }>) =>
      wxApi(o, async () => {
        device.toasts.push(o.title);
        return { errMsg: 'showToast:ok' };
      }),
    navigateTo: (o: { url: string } & WxCallbacks<{ errMsg: string }>) =>
      wxApi(o, async () => {
        device.navigations.push(o.url);
        return { errMsg: 'navigateTo:ok' };
      }),
    reLaunch: (o: { url: string } & WxCallbacks<{ errMsg: string }>) =>
      wxApi(o, async () => {
        device.navigations.push(o.url);
        return { errMsg: 'reLaunch:ok' };
      }),
    request: (o: RequestOptions & WxCallbacks<RequestSuccess>) => wxRequest(o, device),
    showLoading: (o?: WxCallbacks<{ errMsg: string }>) => wxApi(o, async () => ({ errMsg: 'showLoading:ok' })),
    hideLoading: (o?: WxCallbacks<{ errMsg: string }>) => wxApi(o, async () => ({ errMsg: 'hideLoading:ok' })),
    // The subscription panel: the simulated user answers each template as configured (POST
    // /devcloud/subscribeMessage/decisions; default accept); each accept allows one subscribeMessage.send.
    requestSubscribeMessage: (o: { tmplIds: string[] } & WxCallbacks<Record<string, string>>) =>
      wxApi(o, async () => {
        device.trail.push('requestSubscribeMessage');
        const { result, error } = await ask<{ result?: Record<string, string> }>(
          'requestSubscribeMessage',
          '/wx/requestSubscribeMessage',
          { user, tmplIds: o.tmplIds },
        );
        if (error || !result) throw error ?? { errCode: -1, errMsg: 'requestSubscribeMessage:fail' };
        return { ...result, errMsg: 'requestSubscribeMessage:ok' };
      }),
    showModal: (o?: WxCallbacks<{ confirm: boolean; cancel: boolean; errMsg: string }>) =>
      wxApi(o, async () => {
        const confirm = options.confirmModals ?? true;
        return { confirm, cancel: !confirm, errMsg: 'showModal:ok' };
      }),
    cloud: {
      // devcloud has one environment, so the env option has nothing to choose.
      init: (): void => undefined,
      // wx.cloud.database(): the client database API, as this user, under the collections' security rules.
      database: (config?: { env?: string }): ClientDatabase =>
        new ClientDatabase({
          ...(config?.env ? { env: config.env } : {}),
          onCall: (api, collection) => device.trail.push(`${api}:${collection}`),
          transport: async (action, params) => {
            let reply: { error?: WxError };
            try {
              reply = await controlRequest<{ error?: WxError }>(devcloudUrl, 'POST', '/database', {
                user,
                action,
                params,
              });
            } catch (error) {
              throw new TransportFailure((error as Error).message);
            }
            if (reply.error) throw new DeviceRefusal(reply.error.errCode);
            return reply;
          },
        }),
      callFunction: (
        o: { name: string; data?: Record<string, unknown> } & WxCallbacks<{
          result: unknown;
          errMsg: string;
          requestID: string;
        }>,
      ) =>
        wxApi(o, async () => {
          device.calls.callFunction += 1;
          device.trail.push(`callFunction:${o.name}`);
          const report = await ask<InvocationReport>('cloud.callFunction', '/functions/invoke', {
            name: o.name,
            event: o.data ?? {},
            user,
          });
          device.invocations.push(report);
          if (report.error) throw { errCode: report.error.errCode, errMsg: report.error.errMsg };
          return { result: report.result, errMsg: 'cloud.callFunction:ok', requestID: report.requestId };
        }),
      deleteFile: (
        o: { fileList: string[] } & WxCallbacks<{
          fileList: Array<{ fileID: string; status: number; errMsg: string }>;
        }>,
      ) =>
        wxApi(o, async () => {
          device.trail.push('deleteFile');
          const { fileList, error } = await ask<{
            fileList: Array<{ fileID: string; status: number; errMsg: string }>;
          }>('cloud.deleteFile', '/storage/delete', { user, fileList: o.fileList });
          if (error) throw error;
          return { fileList, errMsg: 'cloud.deleteFile:ok' };
        }),
      uploadFile: (
        o: { cloudPath: string; filePath: string } & WxCallbacks<{
          fileID: string;
          statusCode: number;
          errMsg: string;
        }>,
      ) =>
        wxApi(o, async () => {
          device.calls.uploadFile += 1;
          device.trail.push('uploadFile');
          const bytes = tempFiles.get(o.filePath);
          if (!bytes) throw { errMsg: `cloud.uploadFile:fail file not found: ${o.filePath}` };
          const { fileID, error } = await ask<{ fileID: string }>('cloud.uploadFile', '/storage/upload', {
            user,
            cloudPath: o.cloudPath,
            base64: bytes.toString('base64'),
          });
          if (error) throw error;
          return { fileID, statusCode: 200, errMsg: 'cloud.uploadFile:ok' };
        }),
    },
  };
  return wx;
}
