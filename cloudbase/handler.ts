import * as v from 'valibot';
import type { Envelope } from '../contracts';
import { AppFailure, describeError } from './errors';
import { callerIdentity, type Identity } from './identity';
import { log } from './log';

export interface HandlerInput<TEvent, TRun = undefined> {
  event: TEvent;
  identity: Identity;
  /** What the `begin` hook made for this invocation. */
  run: TRun;
}

/** Per-invocation hooks, for work that must see every outcome (an audit trail). */
export interface HandlerHooks<TResult, TRun> {
  /** Once the caller is known, before the event is validated; runs for invalid events too. */
  begin(identity: Identity, rawEvent: unknown): TRun;
  /** Awaited before the answer leaves. It may not change the answer: its own failure is only logged. */
  settled(run: TRun, envelope: Envelope<TResult>): Promise<void>;
}

type EventSchema = v.GenericSchema<unknown, unknown>;

/**
 * Wraps a cloud function body: validates the event as `unknown` against a schema (the event type is derived from
 * it), takes identity from the WeChat context, and maps every outcome to the envelope. Nothing is ever thrown to
 * the runtime: a throw would reach the client as an opaque "cloud function execution error".
 */
export function defineHandler<TSchema extends EventSchema, TResult, TRun = undefined>(
  name: string,
  schema: TSchema,
  body: (input: HandlerInput<v.InferOutput<TSchema>, TRun>) => Promise<TResult>,
  hooks?: HandlerHooks<TResult, TRun>,
): (event: unknown, context?: unknown) => Promise<Envelope<TResult>> {
  return async (event) => {
    let begun: { run: TRun } | undefined;
    const envelope = await answer(name, async () => {
      const identity = tryCallerIdentity();
      if (identity && hooks) begun = { run: hooks.begin(identity, event) };
      const parsed = v.safeParse(schema, event ?? {});
      if (!parsed.success) {
        const issue = parsed.issues[0];
        const path = issue ? v.getDotPath(issue) : null;
        throw new AppFailure(
          'INVALID_ARGUMENT',
          `参数错误${path ? `：${path}` : ''}（${issue?.message ?? 'invalid'}）`,
        );
      }
      return body({ event: parsed.output, identity: identity ?? callerIdentity(), run: begun?.run as TRun });
    });
    if (begun && hooks) {
      await hooks
        .settled(begun.run, envelope)
        .catch((error: unknown) => log.warn(name, 'HOOK_FAILED', describeError(error)));
    }
    return envelope;
  };
}

/** Runs the body and maps its outcome to the envelope, logging failures with their code. */
async function answer<T>(name: string, body: () => Promise<T>): Promise<Envelope<T>> {
  try {
    return { ok: true, data: await body() };
  } catch (error) {
    if (error instanceof AppFailure) {
      log.warn(name, error.code, error.detail ?? {});
      return { ok: false, error: { code: error.code, message: error.message } };
    }
    // Unexpected: most often the database. The message is generic on purpose; the log keeps the errCode.
    log.error(name, 'INTERNAL', describeError(error));
    return { ok: false, error: { code: 'INTERNAL', message: '服务暂时不可用，请稍后重试' } };
  }
}

function tryCallerIdentity(): Identity | undefined {
  try {
    return callerIdentity();
  } catch {
    return undefined;
  }
}
