/**
 * Timer triggers (config.json `triggers`, see function-config.ts and cron.ts), fired on schedule while devcloud
 * runs and on demand from the control API (POST /devcloud/functions/trigger).
 *
 * A firing invokes the function as SCF does a timer: the event is `{Type: 'Timer', TriggerName, Time}` (Time: the
 * scheduled instant, ISO 8601 in UTC, whole seconds, as in SCF's timer event), the context has no user (no OPENID,
 * UNIONID or CLIENTIP), SOURCE is 'wx_trigger' (getWXContext's "云函数定时触发器调用") and TRIGGER_SRC is 'timer'.
 * APPID is kept, so getWXContext() still reports ENV and SOURCE (the SDK returns {} when no WX_ key is set).
 * WeChat does not return a timer's result to anyone; devcloud keeps it in the list of firings.
 */
import { FunctionConfigError, type FunctionConfigStore, type TimerTrigger } from './config';
import type { InvocationContext, InvocationReport, ScheduledTrigger, TimerEvent, TriggerFiring } from '../protocol';

export class TriggerNotFound extends Error {
  readonly code = 'TRIGGER_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'TriggerNotFound';
  }
}

export interface TimerSchedulerOptions {
  configs: FunctionConfigStore;
  appid: string;
  invoke(functionName: string, event: TimerEvent, context: InvocationContext): Promise<InvocationReport>;
  /** How often config.json files are read again for added, changed or removed triggers (ms, default 5000). */
  rescanMs?: number;
  /** Reports an invalid config.json once per change (default: console.error). */
  onConfigError?: (message: string) => void;
}

/** setTimeout's longest delay; a later firing is re-armed when this runs out. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const MAX_FIRINGS = 1000;

interface Armed {
  key: string;
  trigger: TimerTrigger;
  functionName: string;
  next?: Date;
  timer?: NodeJS.Timeout;
}

export function timerEventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class TimerScheduler {
  private readonly armed = new Map<string, Armed>();
  private readonly history: TriggerFiring[] = [];
  private readonly reported = new Set<string>();
  private rescanTimer: NodeJS.Timeout | undefined;
  private running = false;
  private scanning: Promise<void> | undefined;

  constructor(private readonly options: TimerSchedulerOptions) {}

  /** Reads every function's triggers and arms them; then keeps watching config.json for changes. */
  async start(): Promise<void> {
    this.running = true;
    await this.rescan();
    this.rescanTimer = setInterval(() => void this.rescan(), this.options.rescanMs ?? 5000);
    this.rescanTimer.unref();
  }

  stop(): void {
    this.running = false;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    for (const armed of this.armed.values()) if (armed.timer) clearTimeout(armed.timer);
    this.armed.clear();
  }

  /** The triggers config.json declares, with their next firing when the scheduler runs. */
  async list(): Promise<ScheduledTrigger[]> {
    const triggers = await this.declared();
    return triggers.map(({ functionName, trigger }) => {
      const next = this.armed.get(keyOf(functionName, trigger))?.next ?? trigger.cron.next(new Date());
      return {
        functionName,
        name: trigger.name,
        config: trigger.config,
        ...(next ? { next: next.toISOString() } : {}),
      };
    });
  }

  /** Firings so far, oldest first (the newest 1,000). */
  firings(): TriggerFiring[] {
    return this.history.map((firing) => ({ ...firing }));
  }

  /**
   * Fires a declared trigger now, as the control API asks: `triggerName` may be left out when the function has
   * exactly one. Throws TriggerNotFound (or FunctionConfigError for an invalid config.json).
   */
  async fireNow(functionName: string, triggerName?: string): Promise<TriggerFiring> {
    const triggers = (await this.options.configs.read(functionName)).triggers;
    const trigger =
      triggerName === undefined && triggers.length === 1
        ? triggers[0]
        : triggers.find((candidate) => candidate.name === triggerName);
    if (!trigger) {
      const named = triggers.map((candidate) => candidate.name).join(', ') || 'none';
      throw new TriggerNotFound(
        `${functionName} has no timer trigger ${triggerName === undefined ? '' : `"${triggerName}" `}in config.json (declared: ${named})`,
      );
    }
    return this.fire(functionName, trigger, new Date(), true);
  }

  private async fire(functionName: string, trigger: TimerTrigger, at: Date, manual: boolean): Promise<TriggerFiring> {
    const event: TimerEvent = { Type: 'Timer', TriggerName: trigger.name, Time: timerEventTime(at) };
    const context: InvocationContext = { APPID: this.options.appid, SOURCE: 'wx_trigger', TRIGGER_SRC: 'timer' };
    const report = await this.options.invoke(functionName, event, context);
    const firing: TriggerFiring = {
      functionName,
      triggerName: trigger.name,
      time: event.Time,
      manual,
      requestId: report.requestId,
      durationMs: report.durationMs,
      ...(report.error ? { error: report.error } : { result: report.result }),
    };
    this.history.push(firing);
    if (this.history.length > MAX_FIRINGS) this.history.splice(0, this.history.length - MAX_FIRINGS);
    return firing;
  }

  private async declared(): Promise<Array<{ functionName: string; trigger: TimerTrigger }>> {
    const found: Array<{ functionName: string; trigger: TimerTrigger }> = [];
    for (const functionName of await this.options.configs.functionNames()) {
      try {
        for (const trigger of (await this.options.configs.read(functionName)).triggers)
          found.push({ functionName, trigger });
      } catch (error) {
        if (!(error instanceof FunctionConfigError)) throw error;
        if (!this.reported.has(error.message)) {
          this.reported.add(error.message);
          (this.options.onConfigError ?? ((message) => console.error(`[devcloud] ${message}`)))(error.message);
        }
      }
    }
    return found;
  }

  /** Arms new or changed triggers and disarms removed ones; one scan at a time. */
  private rescan(): Promise<void> {
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const declared = await this.declared().catch(() => []);
    if (!this.running) return;
    const keys = new Set<string>();
    for (const { functionName, trigger } of declared) {
      const key = keyOf(functionName, trigger);
      keys.add(key);
      if (this.armed.has(key)) continue;
      const armed: Armed = { key, trigger, functionName };
      this.armed.set(key, armed);
      this.arm(armed, new Date());
    }
    for (const [key, armed] of this.armed) {
      if (keys.has(key)) continue;
      if (armed.timer) clearTimeout(armed.timer);
      this.armed.delete(key);
    }
  }

  private arm(armed: Armed, after: Date): void {
    const next = armed.trigger.cron.next(after);
    armed.next = next;
    if (!next || !this.running) return;
    const delay = next.getTime() - Date.now();
    armed.timer = setTimeout(
      () => {
        if (this.armed.get(armed.key) !== armed) return;
        if (next.getTime() > Date.now()) {
          this.arm(armed, after); // a delay capped at setTimeout's limit ran out: not yet
          return;
        }
        // The next firing is armed before this one runs, so a slow function does not delay the schedule.
        this.arm(armed, next);
        void this.fire(armed.functionName, armed.trigger, next, false).catch((error: unknown) =>
          console.error(`[devcloud] timer ${armed.functionName}/${armed.trigger.name} failed:`, error),
        );
      },
      Math.min(Math.max(delay, 0), MAX_TIMER_DELAY_MS),
    );
    armed.timer.unref();
  }
}

function keyOf(functionName: string, trigger: TimerTrigger): string {
  return `${functionName}\u0000${trigger.name}\u0000${trigger.config}`;
}
