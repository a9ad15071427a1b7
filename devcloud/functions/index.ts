/**
 * functions/: cloud functions as CloudBase runs them (SCF), checked against wx-server-sdk 4.0.2 and its
 * @cloudbase/node-sdk 3.17.2. An instance is a child process that loads the function once and serves one invocation
 * at a time with the caller's WX context (instance.ts, worker.js); warm instances are pooled per function and
 * invocations queue for them (runtime.ts). config.json gives the timeout, the environment and the timer triggers
 * (config.ts), whose 7-field cron (cron.ts) the scheduler fires (timers.ts); cloud.callFunction from a function is
 * the action functions.invokeFunction (call-function.ts).
 */
export {
  FUNCTION_CONFIG_INVALID,
  FUNCTION_EXECUTE_FAIL,
  FUNCTION_NODE_ENV,
  FUNCTION_NOT_FOUND,
  FUNCTION_TIMEOUT,
  FunctionRuntime,
  functionNodeBinary,
  node16Binary,
  type InvocationStart,
  type RuntimeOptions,
} from './runtime';
export { FunctionConfigError, FunctionConfigStore, type FunctionConfig } from './config';
export { CronSyntaxError, parseCloudBaseCron, TRIGGER_TIME_ZONE, type CloudBaseCron } from './cron';
export { TimerScheduler, TriggerNotFound } from './timers';
export { calleeContext, INVOKE_FUNCTION_ACTION, invokeFunctionReply, parseInvokeFunction } from './call-function';
