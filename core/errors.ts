import type { ServerErrorCode } from '../contracts';

/** An expected failure with a contract error code. Handlers throw it; defineHandler turns it into the envelope. */
export class AppFailure extends Error {
  constructor(
    readonly code: ServerErrorCode,
    message: string,
    /** Safe diagnostic detail for the log line (never secrets). */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppFailure';
  }
}

/**
 * Safe fields of an unexpected error (an SDK or database failure) for a log line: its codes and message, never the
 * query, the data or a reply body. The error's own `code` goes under `cause`, so it cannot pass for the kit's code.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!error || typeof error !== 'object') return { error: String(error) };
  const { errCode, code, errMsg, message } = error as Record<string, unknown>;
  return { errCode, cause: code, errMsg: errMsg ?? message };
}
