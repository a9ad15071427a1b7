/**
 * Service errors of the database emulator. `code` is the string the CloudBase service puts in its reply;
 * wx-server-sdk maps it to `errCode` with its TCB_ERR_CODE table (unknown strings become -501001 SYS_ERR).
 * Error codes: https://docs.cloudbase.net/error-code/basic (数据库错误).
 */
export class DevCloudError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DevCloudError';
  }
}

/** Code strings: most are in wx-server-sdk's TCB_ERR_CODE / @cloudbase/database's ERRORS tables. */
export const ErrorCode = {
  /** -502001 in wx-server-sdk: any failure the database itself reports (MongoDB errors such as E11000). */
  requestFailed: 'DATABASE_REQUEST_FAILED',
  /** -502002: "不支持的操作、非法的数据库操作符" (an operation the service does not support). */
  invalidOperator: 'DATABASE_INVALID_OPERRATOR',
  /** -502005: the collection does not exist (create it in the console, or with db.createCollection). */
  collectionNotExist: 'DATABASE_COLLECTION_NOT_EXIST',
  /** db.createCollection of an existing name. Not in the SDK's table, so it surfaces as -501001 or -1. */
  collectionAlreadyExist: 'DATABASE_COLLECTION_ALREADY_EXIST',
  /** -501007 in wx-server-sdk: malformed request fields. */
  invalidParam: 'INVALID_PARAM',
  /** @cloudbase/database runTransaction retries on exactly this code (wx-server-sdk has no errCode for it). */
  transactionConflict: 'DATABASE_TRANSACTION_CONFLICT',
  /** -501001 in wx-server-sdk. */
  systemError: 'SYS_ERR',
  /** Not a service code: the same string hub/cloudbase.ts uses for actions it does not emulate. */
  invalidAction: 'INVALID_ACTION',
  /** Not a service code: a feature the real service has and this emulator lacks (maps to -501001). */
  notEmulated: 'DEVCLOUD_NOT_EMULATED',
} as const;

export function requestFailed(message: string): DevCloudError {
  return new DevCloudError(ErrorCode.requestFailed, message);
}

/** A failure MongoDB itself reports, in the form the service relays it: `[FailedOperation] (<codeName>) <message>`. */
export function failedOperation(codeName: string, message: string): DevCloudError {
  return requestFailed(`[FailedOperation] (${codeName}) ${message}`);
}

export function invalidParam(message: string): DevCloudError {
  return new DevCloudError(ErrorCode.invalidParam, message);
}

export function notEmulated(what: string): DevCloudError {
  return new DevCloudError(ErrorCode.notEmulated, `devcloud does not emulate ${what}`);
}

/**
 * The service's own words, as wx-server-sdk shows them: `collection.get:fail -502005 database collection not exists.
 * [ResourceNotFound] Db or Table not exist: <name>. Please check your request, but if the problem cannot be solved,
 * contact us.`
 */
export function collectionNotExist(collection: string): DevCloudError {
  return new DevCloudError(
    ErrorCode.collectionNotExist,
    `[ResourceNotFound] Db or Table not exist: ${collection}. Please check your request, but if the problem cannot be solved, contact us.`,
  );
}

/** What createCollection of an existing collection reports (`createCollection:fail [ResourceUnavailable.ResourceExist] Table exist.`). */
export function collectionAlreadyExist(): DevCloudError {
  return new DevCloudError(ErrorCode.collectionAlreadyExist, '[ResourceUnavailable.ResourceExist] Table exist.');
}
