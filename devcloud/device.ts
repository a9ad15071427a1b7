import { randomBytes } from 'crypto';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as http from 'http';
import * as https from 'https';
import { controlRequest } from './client';
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
import { ClientDatabase, DeviceRefusal, TransportFailure } from './client-db/api';
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
import type { InvocationReport } from './runtime';
import type { WxError } from './phone-api';
import type { PhoneNumberDetail } from './server';

export interface PhoneNumberEventDetail extends Partial<PhoneNumberDetail> {
  errMsg: string;
}

/**
 * A simulated phone running the mini-program for one WeChat user: the `wx` object pages and services use, backed
 * by devcloud (wx.login codes from the WeChat fake, wx.cloud.callFunction through the function runtime with this
 * user's identity) and a real per-device storage that survives a relaunch of the mini-program.
 */

/** wx storage: kept per device; optionally mirrored to a JSON file so it survives the process too. */
export class DeviceStorage {
  private readonly items = new Map<string, string>();

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      for (const [key, value] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>))
        this.items.set(key, value);
    }
  }

  get(key: string): unknown {
    const raw = this.items.get(key);
    return raw === undefined ? '' : (JSON.parse(raw) as unknown); // wx.getStorageSync answers '' for a missing key
  }

  set(key: string, value: unknown): void {
    this.items.set(key, JSON.stringify(value));
    this.flush();
  }

  remove(key: string): void {
    this.items.delete(key);
    this.flush();
  }

  clear(): void {
    this.items.clear();
    this.flush();
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** The raw stored text, for tests that check nothing secret is kept on the device. */
  dump(): string {
    return JSON.stringify(Object.fromEntries(this.items));
  }

  private flush(): void {
    if (this.file) writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.items)));
  }
}

export interface DeviceOptions {
  devcloudUrl: string;
  user: string;
  storage?: DeviceStorage;
  /** Answer for wx.showModal (default: the user confirms). */
  confirmModals?: boolean;
  /** The user's privacy agreement (用户隐私保护指引) on this phone: see devcloud/privacy.ts. */
  privacy?: PrivacyOptions;
  /** Kept across relaunches, as WeChat keeps the agreement per phone. */
  privacyRecord?: PrivacyRecord;
  /** The base library's SDKVersion (default: newer than every feature; see devcloud/base-library.ts). */
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

export interface RequestRecord {
  method: string;
  url: string;
  header: Record<string, string>;
  /** The HTTP status, or the errMsg of a failed request. */
  outcome: number | string;
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
    request: (o: RequestOptions & WxCallbacks<RequestSuccess>) => request(o, device),
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

interface RequestOptions {
  url: string;
  method?: string;
  data?: string | Record<string, unknown> | ArrayBuffer;
  header?: Record<string, string>;
  timeout?: number;
  dataType?: string;
  responseType?: 'text' | 'arraybuffer';
}

interface RequestSuccess {
  data: unknown;
  statusCode: number;
  header: Record<string, string>;
  cookies: string[];
  errMsg: string;
}

/** Loopback only: a phone's WeChat refuses any host outside the mini-program's request whitelist. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * wx.request, as the WeChat client runs it, to local HTTP servers only (the developer's backend under test);
 * anything else fails as a domain missing from the request whitelist does. Like the real one it answers through
 * callbacks and returns a RequestTask (no promise); every HTTP status is a success, only transport failures fail.
 * Data: an object goes as JSON (as the query string for GET); a JSON answer is parsed (dataType 'json').
 */
function request(o: RequestOptions & WxCallbacks<RequestSuccess>, device: Device): { abort(): void } {
  const method = (o.method ?? 'GET').toUpperCase();
  const header = { ...o.header };
  const record: RequestRecord = { method, url: o.url, header, outcome: 'pending' };
  device.requests.push(record);
  let url: URL | undefined;
  try {
    url = new URL(o.url);
  } catch {
    url = undefined;
  }
  device.trail.push(`request:${method} ${url ? url.pathname : o.url}`);
  let outgoing: http.ClientRequest | undefined;
  const run = async (): Promise<RequestSuccess> => {
    if (!url || !/^https?:$/.test(url.protocol)) throw { errMsg: 'request:fail invalid url' };
    // errno 600002 is WeChat's "url not in domain list".
    if (!LOCAL_HOSTS.has(url.hostname)) throw { errMsg: 'request:fail url not in domain list', errno: 600002 };
    const target = url;
    const { body, contentType } = requestBody(method, target, o.data, header);
    if (contentType && !Object.keys(header).some((key) => key.toLowerCase() === 'content-type'))
      header['content-type'] = contentType;
    const reply = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: Buffer }>(
      (resolve, reject) => {
        const transport = target.protocol === 'https:' ? https : http;
        outgoing = transport.request(target, { method, headers: header, timeout: o.timeout ?? 60_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        });
        outgoing.on('timeout', () => outgoing?.destroy(Object.assign(new Error('timeout'), { wxTimeout: true })));
        outgoing.on('error', reject);
        outgoing.end(body);
      },
    ).catch((error: unknown) => {
      const timedOut = (error as { wxTimeout?: boolean }).wxTimeout;
      throw { errMsg: timedOut ? 'request:fail timeout' : `request:fail ${(error as Error).message}` };
    });
    record.outcome = reply.status;
    return {
      data: responseData(reply.bytes, o),
      statusCode: reply.status,
      header: Object.fromEntries(Object.entries(reply.headers).map(([key, value]) => [key, String(value)])),
      cookies: [],
      errMsg: 'request:ok',
    };
  };
  void wxApi(o, () =>
    run().catch((error: unknown) => {
      record.outcome = (error as { errMsg?: string }).errMsg ?? 'request:fail';
      throw error;
    }),
  ).catch(() => undefined);
  return { abort: () => outgoing?.destroy(new Error('abort')) };
}

function requestBody(
  method: string,
  url: URL,
  data: RequestOptions['data'],
  header: Record<string, string>,
): { body?: Buffer | string; contentType?: string } {
  if (data === undefined) return {};
  if (data instanceof ArrayBuffer) return { body: Buffer.from(data) };
  if (typeof data === 'string') return method === 'GET' ? {} : { body: data };
  const form = new URLSearchParams(Object.entries(data).map(([key, value]) => [key, String(value)]));
  if (method === 'GET') {
    for (const [key, value] of form) url.searchParams.append(key, value);
    return {};
  }
  const type = Object.entries(header).find(([key]) => key.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
  if (type.includes('x-www-form-urlencoded')) return { body: form.toString() };
  return { body: JSON.stringify(data), contentType: 'application/json' };
}

function responseData(bytes: Buffer, o: RequestOptions): unknown {
  if (o.responseType === 'arraybuffer') return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const text = bytes.toString('utf8');
  if ((o.dataType ?? 'json') !== 'json') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
