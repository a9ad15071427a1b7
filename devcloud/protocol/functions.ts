/** Function invocations and timer triggers, as the control API reports them. */

/** The caller's identity as WeChat's runtime sets it for one invocation (read by cloud.getWXContext()). */
export interface InvocationContext {
  OPENID?: string;
  APPID?: string;
  UNIONID?: string;
  /** What triggered the run: wx_client, wx_trigger (a timer), or a chain such as wx_client,scf (a function's call). */
  SOURCE?: string;
  CLIENTIP?: string;
  /** 'timer' for a timer trigger: SCF sets TRIGGER_SRC, which node-sdk reads to pick the timer's API token. */
  TRIGGER_SRC?: string;
}

/** One invocation's outcome (POST /devcloud/functions/invoke answers it). */
export interface InvocationReport {
  requestId: string;
  functionName: string;
  result?: unknown;
  /** Set when the function threw or timed out: the client sees a failed callFunction. */
  error?: { errCode: number; errMsg: string };
  cold: boolean;
  /** Time to load the function in a new instance (cold starts only). */
  initMs?: number;
  durationMs: number;
  rssBytes?: number;
  /** process.version of the instance that ran it (see RuntimeOptions.nodeBinary). */
  nodeVersion?: string;
}

/** A timer trigger's event, as SCF sends it. */
export interface TimerEvent {
  Type: 'Timer';
  TriggerName: string;
  Time: string;
}

export interface ScheduledTrigger {
  functionName: string;
  name: string;
  config: string;
  /** The next scheduled firing (ISO 8601), or undefined when the expression never fires again. */
  next?: string;
}

export interface TriggerFiring {
  functionName: string;
  triggerName: string;
  /** The event's Time: when it was scheduled (or asked for, for a manual firing). */
  time: string;
  /** Fired from the control API rather than by the clock. */
  manual: boolean;
  requestId: string;
  result?: unknown;
  error?: { errCode: number; errMsg: string };
  durationMs: number;
}

/** A line a function wrote to stdout or stderr (GET /devcloud/logs). */
export interface FunctionLogLine {
  functionName: string;
  line: string;
}
