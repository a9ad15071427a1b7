/**
 * `cloud.callFunction({name, data})` made inside a cloud function: the SDK (@cloudbase/node-sdk
 * dist/functions/index.js) POSTs `{action: 'functions.invokeFunction', function_name, request_data: JSON text}` and
 * expects `{requestId, data: {response_data: JSON text}}`, or `{requestId, code, message}` for a failure.
 *
 * What the caller sees (checked with wx-server-sdk 4.0.2 in devcloud/test/call-function.test.ts):
 * - success: `{result, errMsg: 'callFunction:ok', requestID}`, result being what the callee returned.
 * - failure: node-sdk throws its own error for any `code`, which wx-server-sdk passes on as `errCode: -1`,
 *   `errMsg: 'callFunction:fail <message>'`, with the service's code string in `code`: FUNCTIONS_EXECUTE_FAIL (the
 *   callee threw or crashed), FUNCTIONS_TIME_LIMIT_EXCEEDED (it ran past its timeout), FUNCTION_NOT_FOUND (no such
 *   function), INVALID_PARAM (a bad request or an invalid config.json). Branch on `code`, not errCode.
 *
 * Identity: the callee runs for the same user as the caller. WeChat's getWXContext docs: "SOURCE 值跟随调用链条传递…
 * 小程序调用云函数 A，再在云函数 A 内调用云函数 B，则 A 获得的 SOURCE 为 wx_client，B 内获得的 SOURCE 为
 * wx_client,scf". devcloud passes the caller's OPENID, APPID, UNIONID and CLIENTIP on (the platform carries them in
 * the per-invocation API token, WX_API_TOKEN, that node-sdk sends with every call) and appends ',scf' to SOURCE.
 * A timer-triggered caller has no user, so neither has its callee (SOURCE 'wx_trigger,scf'). No `userInfo` is added
 * to the callee's event: that is what the mini-program client injects, and here the caller is a function.
 */
import { FUNCTION_CONFIG_INVALID, FUNCTION_NOT_FOUND, FUNCTION_TIMEOUT } from './runtime';
import type { InvocationContext, InvocationReport } from '../protocol';

/** The action name wx-server-sdk sends for cloud.callFunction. */
export const INVOKE_FUNCTION_ACTION = 'functions.invokeFunction';

/** The service code strings of a failed invocation, by the runtime's errCode. */
const FAILURE_CODES: Record<number, string> = {
  [FUNCTION_NOT_FOUND]: 'FUNCTION_NOT_FOUND',
  [FUNCTION_TIMEOUT]: 'FUNCTIONS_TIME_LIMIT_EXCEEDED',
  [FUNCTION_CONFIG_INVALID]: 'INVALID_PARAM',
};

export interface InvokeFunctionRequest {
  functionName: string;
  event: unknown;
}

/** Reads `{function_name, request_data}`; a string error for a request the service refuses with INVALID_PARAM. */
export function parseInvokeFunction(body: Record<string, unknown>): InvokeFunctionRequest | string {
  const functionName = body.function_name;
  if (typeof functionName !== 'string' || functionName === '') return 'function_name is required';
  const raw = body.request_data;
  if (raw === undefined || raw === '') return { functionName, event: {} };
  if (typeof raw !== 'string') return 'request_data must be a JSON string';
  try {
    return { functionName, event: JSON.parse(raw) as unknown };
  } catch {
    return 'request_data is not JSON';
  }
}

/** The callee's context: the caller's user, and the caller's SOURCE with ',scf' appended. */
export function calleeContext(caller: InvocationContext | undefined, appid: string): InvocationContext {
  const context: InvocationContext = { APPID: caller?.APPID ?? appid, SOURCE: `${caller?.SOURCE ?? ''},scf` };
  if (caller?.OPENID) context.OPENID = caller.OPENID;
  if (caller?.UNIONID) context.UNIONID = caller.UNIONID;
  if (caller?.CLIENTIP) context.CLIENTIP = caller.CLIENTIP;
  if (context.SOURCE === ',scf') context.SOURCE = 'scf';
  return context;
}

/** The service reply fields for an invocation's report: `{data: {response_data}}` or `{code, message}`. */
export function invokeFunctionReply(report: InvocationReport): Record<string, unknown> {
  if (!report.error) return { data: { response_data: JSON.stringify(report.result ?? null) } };
  const code = FAILURE_CODES[report.error.errCode] ?? 'FUNCTIONS_EXECUTE_FAIL';
  // The runtime words errors for the phone ('cloud.callFunction:fail <errCode> <message>'); the service sends the
  // message alone, and the SDK adds its own 'callFunction:fail ' in front.
  const message = report.error.errMsg.replace(/^cloud\.callFunction:fail -?\d+ /, '');
  return { code, message };
}
