/**
 * The invocation history devcloud's console shows: every function invocation, from its start to its report, with
 * the caller's identity, the event, the result or error and the function's log lines, in a bounded buffer (the
 * newest `capacity`). Secrets and session tokens are redacted as records are made (./redact.ts), so the history
 * never holds them; of a user's last token only its decoded header and claims are kept (for the console's Users).
 * Listeners hear each record as it starts and again when it ends (the console's live stream).
 */
import type { InvocationStart } from '../functions';
import { redact, redactText } from './redact';
import type { InvocationCaller, InvocationContext, InvocationRecord, InvocationReport } from '../protocol';

/**
 * The last session token (compact JWS) a function returned to a user, as `result.data.token` or `result.token`:
 * its header and claims, decoded when it was returned (not verified). The token itself is not kept.
 */
export interface IssuedToken {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Why the token could not be decoded (then header and claims are absent). */
  error?: string;
  functionName: string;
  requestId: string;
  /** Epoch ms. */
  at: number;
}

export const DEFAULT_HISTORY_CAPACITY = 500;
const MAX_LOG_LINES = 200;
const MAX_LINE_LENGTH = 4000;
/** An event or result bigger than this (as JSON) is kept as a preview. */
const MAX_VALUE_BYTES = 64 * 1024;

export interface InvocationHistoryOptions {
  capacity?: number;
  /** The simulated user with this OPENID, if any. */
  userOf?: (openid: string) => string | undefined;
  /** Strings never to keep (session keys, the AppSecret): replaced by [redacted] wherever they appear. */
  secrets?: () => readonly string[];
}

export type InvocationListener = (record: InvocationRecord) => void;

export class InvocationHistory {
  readonly capacity: number;
  private records: InvocationRecord[] = [];
  private readonly byRequest = new Map<string, InvocationRecord>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly listeners = new Set<InvocationListener>();
  private lastSeq = 0;

  constructor(private readonly options: InvocationHistoryOptions = {}) {
    this.capacity = options.capacity ?? DEFAULT_HISTORY_CAPACITY;
  }

  started(start: InvocationStart): void {
    this.lastSeq += 1;
    const record: InvocationRecord = {
      seq: this.lastSeq,
      requestId: start.requestId,
      functionName: start.functionName,
      caller: this.callerOf(start.context),
      startedAt: new Date(start.startedAt).toISOString(),
      status: 'running',
      event: this.keep(start.event),
      logs: [],
    };
    this.records.push(record);
    this.byRequest.set(record.requestId, record);
    if (this.records.length > this.capacity) {
      for (const old of this.records.splice(0, this.records.length - this.capacity))
        this.byRequest.delete(old.requestId);
    }
    this.notify(record);
  }

  ended(report: InvocationReport): void {
    const record = this.byRequest.get(report.requestId);
    if (!record) return; // already pushed out of the buffer
    record.status = 'done';
    record.cold = report.cold;
    record.durationMs = report.durationMs;
    if (report.initMs !== undefined) record.initMs = report.initMs;
    if (report.error) record.error = { ...report.error, errMsg: this.text(report.error.errMsg) };
    else record.result = this.keep(report.result);
    const token = tokenIn(report.result);
    if (token && record.caller.openid)
      this.tokens.set(record.caller.openid, {
        ...decodeToken(token),
        functionName: record.functionName,
        requestId: record.requestId,
        at: Date.now(),
      });
    this.notify(record);
  }

  /** A line the function wrote during invocation `requestId` (lines of invocations no longer kept are dropped). */
  log(requestId: string | undefined, line: string): void {
    const record = requestId === undefined ? undefined : this.byRequest.get(requestId);
    if (!record) return;
    if (record.logs.length >= MAX_LOG_LINES) {
      record.logsDropped = (record.logsDropped ?? 0) + 1;
      return;
    }
    const kept =
      line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}… (${line.length} characters)` : line;
    record.logs.push(this.text(kept));
    // A line after the end (output that trailed the result) is news too.
    if (record.status === 'done') this.notify(record);
  }

  /** The records started after `afterSeq`, oldest first (copies). */
  list(afterSeq = 0): InvocationRecord[] {
    return this.records.filter((record) => record.seq > afterSeq).map((record) => structuredClone(record));
  }

  /** The newest seq handed out (0 before any invocation). */
  get latestSeq(): number {
    return this.lastSeq;
  }

  /** The last token a function returned to this user, if any. */
  latestToken(openid: string): IssuedToken | undefined {
    return this.tokens.get(openid);
  }

  /** Hear each record as it starts, gets a log line after its end, and ends. Returns the unsubscribe function. */
  subscribe(listener: InvocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.records = [];
    this.byRequest.clear();
  }

  private notify(record: InvocationRecord): void {
    for (const listener of this.listeners) listener(structuredClone(record));
  }

  private callerOf(context: InvocationContext): InvocationCaller {
    const caller: InvocationCaller = {};
    if (context.OPENID) {
      caller.openid = context.OPENID;
      const user = this.options.userOf?.(context.OPENID);
      if (user !== undefined) caller.user = user;
    }
    if (context.UNIONID) caller.unionid = context.UNIONID;
    if (context.SOURCE) caller.source = context.SOURCE;
    if (context.CLIENTIP) caller.clientIp = context.CLIENTIP;
    return caller;
  }

  private text(text: string): string {
    return redactText(text, this.options.secrets?.() ?? []);
  }

  /**
   * A value to keep: redacted, and cut down to a preview when it is too big. Never throws: the history must not
   * fail an invocation, whatever its event holds.
   */
  private keep(value: unknown): unknown {
    try {
      const kept = redact(value, this.options.secrets?.() ?? []);
      const json = JSON.stringify(kept) ?? 'null';
      if (json.length <= MAX_VALUE_BYTES) return JSON.parse(json) as unknown;
      return { $truncated: `${json.length} characters`, preview: json.slice(0, 2000) };
    } catch (error) {
      return { $truncated: `not kept: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A compact JWS's header and payload, read as they are: the console shows what the user holds. */
function decodeToken(token: string): Pick<IssuedToken, 'header' | 'claims' | 'error'> {
  const [header, payload] = token.split('.');
  const part = (text: string | undefined, name: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(text ?? '', 'base64url').toString('utf8'));
    } catch {
      throw new Error(`the token's ${name} is not base64url JSON`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new Error(`the token's ${name} is not a JSON object`);
    return value as Record<string, unknown>;
  };
  try {
    return { header: part(header, 'header'), claims: part(payload, 'payload') };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A compact JWS at `result.data.token` or `result.token` (the kit's login answers `{ok, data: {token}}`). */
function tokenIn(result: unknown): string | undefined {
  const field = (value: unknown, key: string): unknown =>
    value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  for (const candidate of [field(field(result, 'data'), 'token'), field(result, 'token')])
    if (typeof candidate === 'string' && COMPACT_JWS.test(candidate)) return candidate;
  return undefined;
}
