/**
 * Faults and the record of calls, as the control API takes and gives them (POST /devcloud/faults, GET /calls). What
 * each mode looks like to a caller is described at the top of faults/index.ts, which runs them.
 */

export type FaultTarget = 'database' | 'storage' | 'wechat' | 'cloudCall' | 'functions' | 'device';

export type FaultMode = 'error' | 'reset' | 'lost' | 'delay' | 'hold';

/** What the simulated phone asks devcloud for (target 'device'). */
export type DeviceAction =
  | 'login'
  | 'checkSession'
  | 'cloud.callFunction'
  | 'cloud.uploadFile'
  | 'cloud.deleteFile'
  | 'requestSubscribeMessage'
  // wx.cloud.database()
  | 'cloud.database.get'
  | 'cloud.database.count'
  | 'cloud.database.add'
  | 'cloud.database.update'
  | 'cloud.database.set'
  | 'cloud.database.remove';

/** Which calls a fault is for; every field given must equal the call's. */
export interface FaultMatch {
  /** database/storage SDK action, WeChat API path name, cloud-call apiName or device API (see OutboundCall). */
  action?: string;
  collection?: string;
  functionName?: string;
  /** target 'functions': the function called (functionName is the caller). */
  callee?: string;
  openid?: string;
}

export interface FaultSpec {
  target: FaultTarget;
  mode: FaultMode;
  match?: FaultMatch;
  /** Let this many matching calls through first (default 0). */
  skip?: number;
  /** Fail this many matching calls (default 1; 0 injects nothing). */
  times?: number;
  /**
   * For mode 'error': the service's code string (database, storage, functions) or the WeChat errcode / wx errCode
   * (wechat, cloudCall, device). Defaults as described at the top of faults/index.ts.
   */
  code?: string | number;
  /** Hold the call this long (ms) before the fault acts; required for mode 'delay'. */
  delayMs?: number;
}

/** One call as devcloud sees it. */
export interface OutboundCall {
  target: FaultTarget;
  /**
   * database: the SDK action (`database.insertDocument`, `database.commitTransaction`, ...);
   * storage: the SDK action (`storage.getUploadMetadata`, ...) or the byte transfer (`storage.put`, `storage.get`);
   * wechat: the API (`jscode2session`, `checksession`, `getuserphonenumber`, `token`);
   * cloudCall: the apiName (`phonenumber.getPhoneNumber`, `security.msgSecCheck`, `getOpenData`);
   * functions: `functions.invokeFunction` (cloud.callFunction inside a function);
   * device: `login`, `checkSession`, `cloud.callFunction`, `cloud.uploadFile`, `cloud.deleteFile`,
   * `requestSubscribeMessage`, `cloud.database.get` / `.count` / `.add` / `.update` / `.set` / `.remove`.
   */
  action: string;
  collection?: string;
  /**
   * The calling function (database, storage, cloudCall, functions) or the one a phone invokes (device
   * cloud.callFunction).
   */
  functionName?: string;
  /** target 'functions': the function called. */
  callee?: string;
  /**
   * Whose call it is: the user whose invocation is calling (database, storage, cloudCall), the phone's user
   * (device), or for the WeChat API the user the request names (the code's user, checksession's openid), since
   * functions reach the WeChat API through one URL shared by all instances.
   */
  openid?: string;
}

export type CallOutcome = 'ok' | 'error' | 'faulted';

/** A call a 'hold' fault keeps waiting (seq as it will be recorded): GET /devcloud/faults/held. */
export interface HeldCall extends OutboundCall {
  seq: number;
}

export interface RecordedCall extends OutboundCall {
  /** Order of arrival, across all targets. */
  seq: number;
  /** 'error': the service itself answered with an error; 'faulted': an injected fault failed the call. */
  outcome: CallOutcome;
  /** The fault that acted on the call, if any ('delay' keeps the real outcome). */
  fault?: FaultMode;
}

/** The original database fault shape: an error reply, `skip` calls in (any database call). */
export interface DatabaseFault {
  /** Fail this many database calls (default 1) with the service's error code. */
  times?: number;
  /** Let this many calls through first: fail the Nth call, e.g. the commit of a transaction. */
  skip?: number;
  code?: string;
}

/** The original cloud-call fault shape: WeChat's errcode instead of the real reply of `api`. */
export interface CloudCallFault {
  api: string;
  errcode: number;
  times?: number;
}
