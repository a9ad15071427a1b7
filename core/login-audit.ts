import { randomBytes } from 'crypto';
import type { Envelope, LoginResult } from '../contracts';
import { describeError } from './errors';
import { log } from './log';
import type { AccountStore, Identity, LoginLogRecord } from './ports';

/**
 * The login audit log: one entry per login call that has an identity, successful or not. It never holds the code,
 * the session_key or a token, and its failure never fails a login.
 *
 * To add no round trip, the entry is written beside the login's own write, predicting its outcome: a login with a
 * code knows from the read beside code2Session whether the user is new; one without a code predicts a returning
 * user. When the answer differs (a failure, a race, a first login without a code) the entry is corrected, by its
 * id, before the answer leaves: those paths have no latency target.
 */
export class LoginAudit {
  private readonly id = randomBytes(16).toString('hex');
  private predicted: Promise<boolean> | undefined;
  private prediction: { isNewUser: boolean } | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly identity: Identity,
    private readonly withCode: boolean,
    /** A token refresh, not a login: the entry says so (refresh: true). */
    private readonly refresh = false,
  ) {}

  /**
   * Issued beside the login's own calls: the entry as it will be if the login succeeds as expected. A later
   * prediction (once the user's read shows a new user) replaces an earlier one, written after it, never before.
   */
  predict(expected: { isNewUser: boolean }): void {
    if (this.prediction?.isNewUser === expected.isNewUser) return;
    this.prediction = expected;
    const previous = this.predicted ?? Promise.resolve(true);
    this.predicted = previous.then(() => this.write({ ok: true, isNewUser: expected.isNewUser }));
  }

  async settle(envelope: Envelope<LoginResult>): Promise<void> {
    const written = await this.predicted;
    if (written && envelope.ok && envelope.data.isNewUser === this.prediction?.isNewUser) return;
    await this.write(
      envelope.ok ? { ok: true, isNewUser: envelope.data.isNewUser } : { ok: false, errorCode: envelope.error.code },
    );
  }

  /** The whole entry, by its id: idempotent, so a correction simply replaces the prediction. */
  private async write(outcome: Partial<LoginLogRecord>): Promise<boolean> {
    const { openid, clientIp, source } = this.identity;
    const entry: LoginLogRecord = {
      openid,
      at: new Date(),
      ok: outcome.ok ?? false,
      withCode: this.withCode,
      ...(this.refresh ? { refresh: true as const } : {}),
      ...(outcome.errorCode === undefined ? {} : { errorCode: outcome.errorCode }),
      ...(outcome.isNewUser === undefined ? {} : { isNewUser: outcome.isNewUser }),
      ...(clientIp ? { clientIp } : {}),
      ...(source ? { source } : {}),
    };
    try {
      await this.store.putLoginLog(this.id, entry);
      return true;
    } catch (error) {
      log.warn('login', 'AUDIT_NOT_WRITTEN', describeError(error));
      return false;
    }
  }
}
