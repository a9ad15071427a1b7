import * as v from 'valibot';
import type { Envelope } from '../contracts';
import { AppFailure, describeError } from './errors';
import { log } from './log';

type EventSchema = v.GenericSchema<unknown, unknown>;

/** Validates an event as `unknown` against its schema: INVALID_ARGUMENT names the first bad field. */
export function parseEvent<TSchema extends EventSchema>(schema: TSchema, event: unknown): v.InferOutput<TSchema> {
  const parsed = v.safeParse(schema, event ?? {});
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  const path = issue ? v.getDotPath(issue) : null;
  throw new AppFailure('INVALID_ARGUMENT', `参数错误${path ? `：${path}` : ''}（${issue?.message ?? 'invalid'}）`);
}

/**
 * Runs a use case and maps every outcome to the envelope, logging failures with their code. Nothing is thrown to
 * the host: on CloudBase a throw would reach the client as an opaque "cloud function execution error".
 */
export async function answer<T>(name: string, body: () => Promise<T>): Promise<Envelope<T>> {
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
