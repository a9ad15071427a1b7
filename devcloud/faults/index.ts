/**
 * faults/: one fault model for every outbound call devcloud serves, and a record of those calls. It imports
 * nothing of devcloud but the types of protocol/ (the shapes its faults and records take over HTTP).
 *
 * A call is what a cloud function (through wx-server-sdk or its own HTTP client) or the simulated phone (through
 * the control API) asks of the local cloud: a database action, a storage action or byte transfer, a WeChat server
 * API request, a cloud call, or a device API (wx.login, wx.cloud.callFunction...). Each service runs its calls
 * through `FaultInjector.run`, which picks the fault meant for the call (if any), applies it, and records the call.
 *
 * What a fault looks like to the caller (checked with wx-server-sdk 4.0.2 / @cloudbase/node-sdk 3.17.2 in
 * devcloud/test/faults.test.ts):
 * - 'error': the service's own error reply; nothing is applied.
 *   - database: `{code}` (default DATABASE_REQUEST_FAILED): the SDK rejects with errCode -502001, errMsg
 *     `<api>:fail -502001 database request fail. <message>`; runTransaction and updateAndReturn (modifyAndReturnDoc)
 *     reject with the raw `{code, message}`, no errCode.
 *   - storage actions: `{code}` (default STORAGE_REQUEST_FAIL): node-sdk rejects with errCode -1, `code` =
 *     the service's code string, errMsg `<api>:fail <message>`.
 *   - storage.put / storage.get: a COS XML error, HTTP 500 (default Code InternalError): uploadFile:fail
 *     `[InternalError]: ...` / downloadFile:fail, errCode -1, code STORAGE_REQUEST_FAIL.
 *   - wechat: `{errcode, errmsg}` (default -1, "system error"), HTTP 200, as api.weixin.qq.com answers.
 *   - cloudCall: WeChat's `{errcode, errmsg}` inside the protobuf reply (default -1): the SDK rejects with
 *     errCode = errcode; for getOpenData (a svrkit call with no errcode) the reply's errorCode instead.
 *   - functions: `{code}` (default FUNCTIONS_EXECUTE_FAIL) for cloud.callFunction inside a function, which is not
 *     invoked: the SDK rejects with errCode -1, `code` = the code string, errMsg `callFunction:fail <message>`.
 *   - device: the wx API fails with `{errCode (default -1), errMsg: '<api>:fail ...'}`.
 * - 'reset': the connection is destroyed before anything is applied, with no reply. The SDK rejects at once
 *   (node-sdk retries only connection failures, not ECONNRESET): database and cloud calls with errCode -501001,
 *   errMsg `<api>:fail -501001 resource system error. socket hang up`; storage with errCode -1, code ECONNRESET,
 *   errMsg `<api>:fail socket hang up`; runTransaction and updateAndReturn with the raw Error (code ECONNRESET).
 *   A plain Node http client (the WeChat API) sees ECONNRESET "socket hang up"; the phone's wx API fails with
 *   `<api>:fail request:fail socket hang up` (for cloud.callFunction: the function is not invoked).
 * - 'lost': the operation is applied, then the connection is destroyed: the caller sees exactly what 'reset'
 *   shows, but the document, file, consumed code, new wx.login session or function run is there.
 * - 'delay': held `delayMs`, then answered normally (a slow service; longer than the caller's timeout is a timeout).
 * - 'hold': held until released (`release`, control API `POST /devcloud/faults/release`), then answered normally:
 *   a test orders calls by events rather than by how long a delay lasts on a loaded machine. `heldCalls` lists the
 *   calls waiting; clearing the faults releases them too.
 * `delayMs` also holds an 'error', 'reset' or 'lost' fault that long before it acts.
 */
import * as v from 'valibot';
import type {
  CallOutcome,
  CloudCallFault,
  DatabaseFault,
  DeviceAction,
  FaultMode,
  FaultSpec,
  FaultTarget,
  HeldCall,
  OutboundCall,
  RecordedCall,
} from '../protocol';

// The shapes of faults and recorded calls cross HTTP: they are declared in protocol/faults.ts.

/** The lists behind protocol's unions, complete by construction (a Record over the union has every member). */
const TARGETS: Record<FaultTarget, true> = {
  database: true,
  storage: true,
  wechat: true,
  cloudCall: true,
  functions: true,
  device: true,
};
export const FAULT_TARGETS = Object.keys(TARGETS) as FaultTarget[];

const MODES: Record<FaultMode, true> = { error: true, reset: true, lost: true, delay: true, hold: true };
export const FAULT_MODES = Object.keys(MODES) as FaultMode[];

/** What the simulated phone asks devcloud for (target 'device'). */
const DEVICE: Record<DeviceAction, true> = {
  login: true,
  checkSession: true,
  'cloud.callFunction': true,
  'cloud.uploadFile': true,
  'cloud.deleteFile': true,
  requestSubscribeMessage: true,
  // wx.cloud.database() (rules/client-access.ts)
  'cloud.database.get': true,
  'cloud.database.count': true,
  'cloud.database.add': true,
  'cloud.database.update': true,
  'cloud.database.set': true,
  'cloud.database.remove': true,
};
export const DEVICE_ACTIONS = Object.keys(DEVICE) as DeviceAction[];

/** How one service handles a call: apply it, refuse it with its own error reply, and tell an error reply apart. */
export interface CallHandlers<T> {
  apply(): Promise<T>;
  refuse(code: string | number | undefined): T;
  outcomeOf?(reply: T): 'ok' | 'error';
}

/**
 * Thrown from a call's handling to make the HTTP layer destroy the connection without a reply (modes 'reset' and
 * 'lost'). The server catches it; it never reaches a client as a message.
 */
export class DroppedConnection extends Error {
  constructor(readonly mode: 'reset' | 'lost') {
    super(`devcloud: connection dropped (injected ${mode})`);
    this.name = 'DroppedConnection';
  }
}

/** A fault spec that cannot be injected; the control API answers it with HTTP 400 and injects nothing. */
export class InvalidFault extends Error {
  readonly code = 'INVALID_FAULT';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFault';
  }
}

/** Targets whose error code is a number (WeChat errcode, wx errCode); the others answer a code string. */
const NUMERIC_CODES = new Set<FaultTarget>(['wechat', 'cloudCall', 'device']);

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const name = v.pipe(v.string(), v.minLength(1));

// Typed as the documented interface, so the two cannot drift apart.
const FaultSpecSchema: v.GenericSchema<unknown, FaultSpec> = v.pipe(
  v.strictObject({
    target: v.picklist(FAULT_TARGETS),
    mode: v.picklist(FAULT_MODES),
    match: v.optional(
      v.strictObject({
        action: v.optional(name),
        collection: v.optional(name),
        functionName: v.optional(name),
        callee: v.optional(name),
        openid: v.optional(name),
      }),
    ),
    skip: v.optional(count),
    times: v.optional(count),
    code: v.optional(v.union([name, v.pipe(v.number(), v.integer())])),
    delayMs: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(600_000))),
  }),
  v.check((spec) => spec.code === undefined || spec.mode === 'error', 'code is only for mode "error"'),
  v.check((spec) => spec.mode !== 'delay' || spec.delayMs !== undefined, 'mode "delay" needs delayMs'),
  v.check(
    (spec) => spec.code === undefined || typeof spec.code === (NUMERIC_CODES.has(spec.target) ? 'number' : 'string'),
    'code is a number (errcode) for wechat, cloudCall and device, a string for database, storage and functions',
  ),
);

interface PendingFault {
  spec: FaultSpec;
  skip: number;
  times: number;
}

export interface FaultInjectorOptions {
  /** Recorded calls kept (the newest); default 10,000, so a soak run does not grow memory. */
  capacity?: number;
  /** Whether an action name exists for a target: a fault for a misspelt action would silently never act. */
  isKnownAction?: (target: FaultTarget, action: string) => boolean;
}

export class FaultInjector {
  private pending: PendingFault[] = [];
  private held: Array<{ call: HeldCall; release: () => void }> = [];
  private recorded: RecordedCall[] = [];
  private lastSeq = 0;
  private readonly capacity: number;

  constructor(private readonly options: FaultInjectorOptions = {}) {
    this.capacity = options.capacity ?? 10_000;
  }

  /**
   * Queue a fault. Faults whose matches overlap queue in injection order: a call is counted (skipped or failed)
   * by the first pending fault it matches only, so two `{times: 1}` faults fail two calls.
   */
  inject(input: unknown): FaultSpec {
    const spec = this.parse(input);
    const times = spec.times ?? 1;
    if (times > 0) this.pending.push({ spec, skip: spec.skip ?? 0, times });
    return spec;
  }

  /** Checks a spec without injecting it; throws InvalidFault. */
  parse(input: unknown): FaultSpec {
    const parsed = v.safeParse(FaultSpecSchema, input);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const where = issue.path?.map((item) => String(item.key)).join('.');
      throw new InvalidFault(`invalid fault: ${where ? `${where}: ` : ''}${issue.message}`);
    }
    const spec = parsed.output;
    const action = spec.match?.action;
    if (action !== undefined && this.options.isKnownAction && !this.options.isKnownAction(spec.target, action))
      throw new InvalidFault(`invalid fault: devcloud has no ${spec.target} action "${action}"`);
    return spec;
  }

  /**
   * Drop pending faults: all of them, or those of one target and/or those matching one user's calls only. Calls
   * held by the dropped faults' kind (same filter) are released, so nothing waits for a release that cannot come.
   */
  clear(filter: { target?: FaultTarget; openid?: string } = {}): void {
    const kept = (target: FaultTarget, openid: string | undefined) =>
      (filter.target !== undefined && target !== filter.target) ||
      (filter.openid !== undefined && openid !== filter.openid);
    this.pending = this.pending.filter((fault) => kept(fault.spec.target, fault.spec.match?.openid));
    this.releaseWhere((call) => !kept(call.target, call.openid));
  }

  /** Calls a 'hold' fault keeps waiting, in order of arrival. */
  heldCalls(): HeldCall[] {
    return this.held.map(({ call }) => ({ ...call }));
  }

  /** Lets held calls go on: the one with this seq, or all of them. Answers how many were released. */
  release(seq?: number): number {
    return this.releaseWhere((call) => seq === undefined || call.seq === seq);
  }

  private releaseWhere(selected: (call: HeldCall) => boolean): number {
    const released = this.held.filter(({ call }) => selected(call));
    this.held = this.held.filter((entry) => !released.includes(entry));
    for (const { release } of released) release();
    return released.length;
  }

  /** Faults not yet used up, with what is left of skip and times: an empty list means every fault acted. */
  pendingFaults(): FaultSpec[] {
    return this.pending.map(({ spec, skip, times }) => ({ ...spec, skip, times }));
  }

  /** Runs one call: finds its fault, applies it, records the call. */
  async run<T>(call: OutboundCall, handlers: CallHandlers<T>): Promise<T> {
    this.lastSeq += 1;
    const seq = this.lastSeq;
    const record = (outcome: CallOutcome, fault?: FaultMode) =>
      this.record({ seq, ...call, outcome, ...(fault ? { fault } : {}) });
    const fault = this.take(call);
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.mode === 'hold') {
      await new Promise<void>((release) => this.held.push({ call: { seq, ...call }, release }));
    }
    if (fault?.mode === 'error') {
      record('faulted', 'error');
      return handlers.refuse(fault.code);
    }
    if (fault?.mode === 'reset') {
      record('faulted', 'reset');
      throw new DroppedConnection('reset');
    }
    let reply: T;
    try {
      reply = await handlers.apply();
    } catch (error) {
      if (fault?.mode === 'lost' && !(error instanceof DroppedConnection)) {
        record('faulted', 'lost');
        throw new DroppedConnection('lost');
      }
      record(error instanceof DroppedConnection ? 'faulted' : 'error', fault?.mode);
      throw error;
    }
    if (fault?.mode === 'lost') {
      record('faulted', 'lost');
      throw new DroppedConnection('lost');
    }
    record(handlers.outcomeOf?.(reply) ?? 'ok', fault?.mode);
    return reply;
  }

  /** Calls in order of arrival (the newest `capacity` of them). */
  recordedCalls(): RecordedCall[] {
    return this.recorded
      .slice(-this.capacity)
      .map((call) => ({ ...call }))
      .sort((a, b) => a.seq - b.seq);
  }

  clearRecordedCalls(): void {
    this.recorded = [];
  }

  private record(call: RecordedCall): void {
    this.recorded.push(call);
    // Trimmed in batches, so a full buffer does not shift the whole array on every call.
    if (this.recorded.length > this.capacity + Math.ceil(this.capacity / 10))
      this.recorded = this.recorded.slice(-this.capacity);
  }

  private take(call: OutboundCall): FaultSpec | undefined {
    const index = this.pending.findIndex(({ spec }) => matches(spec, call));
    const fault = this.pending[index];
    if (!fault) return undefined;
    if (fault.skip > 0) {
      fault.skip -= 1;
      return undefined;
    }
    fault.times -= 1;
    if (fault.times <= 0) this.pending.splice(index, 1);
    return fault.spec;
  }
}

function matches(spec: FaultSpec, call: OutboundCall): boolean {
  if (spec.target !== call.target) return false;
  const match = spec.match ?? {};
  return (
    (match.action === undefined || match.action === call.action) &&
    (match.collection === undefined || match.collection === call.collection) &&
    (match.functionName === undefined || match.functionName === call.functionName) &&
    (match.callee === undefined || match.callee === call.callee) &&
    (match.openid === undefined || match.openid === call.openid)
  );
}

export function databaseFaultSpec(fault: DatabaseFault): FaultSpec {
  return {
    target: 'database',
    mode: 'error',
    skip: fault.skip ?? 0,
    times: fault.times ?? 1,
    ...(fault.code === undefined ? {} : { code: fault.code }),
  };
}

export function cloudCallFaultSpec(fault: CloudCallFault): FaultSpec {
  return {
    target: 'cloudCall',
    mode: 'error',
    match: { action: fault.api },
    times: fault.times ?? 1,
    code: fault.errcode,
  };
}
