import { randomBytes } from 'crypto';
import type { Envelope } from '../contracts';
import { AppFailure, describeError } from './errors';
import type { AccountStore, AdminLogOutcome } from './ports';
import { pseudonymOf } from './pseudonym';

/** What one call is about, for admin_logs: read from the raw event, so refused and invalid calls are logged too. */
export interface AdminCall {
  admin: string;
  action: string;
  target?: string;
  reason?: string;
}

/**
 * The audit entry of one admin call is part of the action: it is written, as 'attempted', before the action runs,
 * and an action whose entry cannot be written does not run (INTERNAL). Its outcome is added after; if that write
 * fails the entry stays 'attempted', which still records that the action may have happened. So no admin action
 * takes effect without its record.
 */
export class AdminAudit {
  private readonly id = randomBytes(16).toString('hex');
  private started = false;

  constructor(
    private readonly store: AccountStore,
    private readonly call: AdminCall,
  ) {}

  async start(): Promise<void> {
    try {
      await this.store.putAdminLog(this.id, { ...this.call, at: new Date(), state: 'attempted' });
    } catch (error) {
      throw new AppFailure('INTERNAL', '无法记录管理操作，操作未执行，请稍后重试', describeError(error));
    }
    this.started = true;
  }

  /** The outcome. A call refused before it started (an invalid event) is recorded whole, completed. */
  async settle(envelope: Envelope<unknown>): Promise<void> {
    const outcome: AdminLogOutcome = {
      state: 'completed',
      ok: envelope.ok,
      completedAt: new Date(),
      ...(envelope.ok ? {} : { errorCode: envelope.error.code }),
    };
    // No such account (never had one, or deleted): nothing to keep the OPENID for.
    if (!envelope.ok && envelope.error.code === 'USER_NOT_FOUND' && this.call.target) {
      Object.assign(outcome, { target: pseudonymOf(this.call.target), pseudonymized: true });
    }
    if (this.started) await this.store.completeAdminLog(this.id, outcome);
    else await this.store.putAdminLog(this.id, { ...this.call, at: new Date(), ...outcome });
  }
}

export function describeCall(admin: string, rawEvent: unknown): AdminCall {
  const event = (typeof rawEvent === 'object' && rawEvent !== null ? rawEvent : {}) as Record<string, unknown>;
  const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : undefined);
  const call: AdminCall = { admin, action: text(event.action, 40) ?? '(none)' };
  const target = text(event.openid, 64);
  const reason = text(event.reason, 200);
  if (target !== undefined) call.target = target;
  if (reason !== undefined) call.reason = reason;
  return call;
}
