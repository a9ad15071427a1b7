/** How a wx API fails on the phone: a rejected promise / fail callback with errCode and `<api>:fail ...`. */
export interface WxError {
  errCode: number;
  errMsg: string;
}

export function wxError(api: string, errCode: number, message: string): WxError {
  return { errCode, errMsg: `${api}:fail ${errCode} ${message}` };
}
