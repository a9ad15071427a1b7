/**
 * Service errors of the database emulator. `code` is the string the CloudBase service puts in its reply;
 * wx-server-sdk maps it to `errCode` with its TCB_ERR_CODE table (unknown strings become -501001 SYS_ERR).
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

/** Code strings: the first four are in wx-server-sdk's TCB_ERR_CODE / @cloudbase/database's ERRORS tables. */
export const ErrorCode = {
  /** -502001 in wx-server-sdk: any failure the database itself reports (MongoDB errors such as E11000). */
  requestFailed: 'DATABASE_REQUEST_FAILED',
  /** -501007 in wx-server-sdk: malformed request fields. */
  invalidParam: 'INVALID_PARAM',
  /** @cloudbase/database runTransaction retries on exactly this code (wx-server-sdk has no errCode for it). */
  transactionConflict: 'DATABASE_TRANSACTION_CONFLICT',
  /** -501001 in wx-server-sdk. */
  systemError: 'SYS_ERR',
  /** Not a service code: the same string devcloud/server.ts uses for actions it does not emulate. */
  invalidAction: 'INVALID_ACTION',
  /** Not a service code: a feature the real service has and this emulator lacks (maps to -501001). */
  notEmulated: 'DEVCLOUD_NOT_EMULATED',
} as const;

export function requestFailed(message: string): DevCloudError {
  return new DevCloudError(ErrorCode.requestFailed, message);
}

export function invalidParam(message: string): DevCloudError {
  return new DevCloudError(ErrorCode.invalidParam, message);
}

export function notEmulated(what: string): DevCloudError {
  return new DevCloudError(ErrorCode.notEmulated, `devcloud does not emulate ${what}`);
}
