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
