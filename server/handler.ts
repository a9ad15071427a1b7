import * as v from 'valibot';
import type { Envelope } from '../contracts';
import { AppFailure, describeError } from './errors';
import { callerIdentity, type Identity } from './identity';
import { log } from './log';

export interface HandlerInput<TEvent> {
  event: TEvent;
  identity: Identity;
}

type EventSchema = v.GenericSchema<unknown, unknown>;

/**
 * Wraps a cloud function body: validates the event as `unknown` against a schema (the event type is derived from
 * it), takes identity from the WeChat context, and maps every outcome to the envelope. Nothing is ever thrown to
 * the runtime: a throw would reach the client as an opaque "cloud function execution error".
 */
export function defineHandler<TSchema extends EventSchema, TResult>(
  name: string,
  schema: TSchema,
  body: (input: HandlerInput<v.InferOutput<TSchema>>) => Promise<TResult>,
): (event: unknown, context?: unknown) => Promise<Envelope<TResult>> {
  return async (event) => {
    try {
      const parsed = v.safeParse(schema, event ?? {});
      if (!parsed.success) {
        const issue = parsed.issues[0];
        const path = issue ? v.getDotPath(issue) : null;
        throw new AppFailure(
          'INVALID_ARGUMENT',
          `参数错误${path ? `：${path}` : ''}（${issue?.message ?? 'invalid'}）`,
        );
      }
      const identity = callerIdentity();
      const data = await body({ event: parsed.output, identity });
      return { ok: true, data };
    } catch (error) {
      if (error instanceof AppFailure) {
        log.warn(name, error.code, error.detail ?? {});
        return { ok: false, error: { code: error.code, message: error.message } };
      }
      // Unexpected: most often the database. The message is generic on purpose; the log keeps the errCode.
      log.error(name, 'INTERNAL', describeError(error));
      return { ok: false, error: { code: 'INTERNAL', message: '服务暂时不可用，请稍后重试' } };
    }
  };
}
