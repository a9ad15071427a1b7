import { randomBytes } from 'crypto';
import type { AdminResult, Envelope } from '../../../contracts';
import { db } from '../../../server/cloud';
import { AppFailure, describeError } from '../../../server/errors';
import { defineHandler } from '../../../server/handler';
import { hasCallerIdentity, type Identity } from '../../../server/identity';
import { log } from '../../../server/log';
import { ADMIN_LOGS, type AdminLogDocument } from '../../../server/user-data';
import { ban, getUserView, listLogins, pruneLogs, unban } from './actions';
import { AdminEventSchema } from './schema';

/** What one call is about, for admin_logs: read from the raw event, so refused and invalid calls are logged too. */
interface AdminCall {
  admin: string;
  action: string;
  target?: string;
  reason?: string;
}

const handler = defineHandler<typeof AdminEventSchema, AdminResult, AdminCall>(
  'admin',
  AdminEventSchema,
  async ({ event, identity }): Promise<AdminResult> => {
    if (!isAdmin(identity)) throw new AppFailure('FORBIDDEN', '没有管理权限', { reason: 'not in ADMIN_OPENIDS' });
    switch (event.action) {
      case 'getUser':
        return getUserView(event.openid);
      case 'ban':
        return ban(event.openid, event.reason);
      case 'unban':
        return unban(event.openid);
      case 'listLogins':
        return listLogins(event.openid, event.limit);
      case 'pruneLogs':
        return pruneLogs(event.olderThanDays);
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
  {
    begin: (identity, rawEvent) => describeCall(identity.openid, rawEvent),
    settled: (call, envelope) => recordAdminCall(call, envelope),
  },
);

/**
 * Administration, for the OPENIDs listed in ADMIN_OPENIDS (comma separated); everyone else gets FORBIDDEN. A timer
 * trigger (config.json, daily at 03:00) prunes login_logs older than LOG_RETENTION_DAYS (default 180): a timer
 * invocation carries no OPENID, which no call from a phone can imitate.
 */
export async function main(event: unknown, context?: unknown): Promise<Envelope<AdminResult>> {
  if (isTimer(event) && !hasCallerIdentity()) return scheduledPrune(event);
  return handler(event, context);
}

function isAdmin(identity: Identity): boolean {
  const admins = (process.env.ADMIN_OPENIDS ?? '')
    .split(',')
    .map((openid) => openid.trim())
    .filter(Boolean);
  return admins.includes(identity.openid);
}

function isTimer(event: unknown): event is { Type: 'Timer'; TriggerName?: unknown } {
  return typeof event === 'object' && event !== null && (event as { Type?: unknown }).Type === 'Timer';
}

async function scheduledPrune(event: { TriggerName?: unknown }): Promise<Envelope<AdminResult>> {
  const call: AdminCall = {
    admin: 'timer',
    action: `pruneLogs:${typeof event.TriggerName === 'string' ? event.TriggerName : ''}`.slice(0, 60),
  };
  let envelope: Envelope<AdminResult>;
  try {
    const days = Number(process.env.LOG_RETENTION_DAYS ?? 180);
    if (!Number.isInteger(days) || days < 1) throw new AppFailure('CONFIG_ERROR', 'LOG_RETENTION_DAYS 配置错误');
    envelope = { ok: true, data: await pruneLogs(days) };
  } catch (error) {
    const code = error instanceof AppFailure ? error.code : 'INTERNAL';
    log.error('admin', code, describeError(error));
    envelope = { ok: false, error: { code, message: '清理登录日志失败' } };
  }
  await recordAdminCall(call, envelope).catch(() => undefined);
  return envelope;
}

function describeCall(admin: string, rawEvent: unknown): AdminCall {
  const event = (typeof rawEvent === 'object' && rawEvent !== null ? rawEvent : {}) as Record<string, unknown>;
  const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : undefined);
  const call: AdminCall = { admin, action: text(event.action, 40) ?? '(none)' };
  const target = text(event.openid, 64);
  const reason = text(event.reason, 200);
  if (target !== undefined) call.target = target;
  if (reason !== undefined) call.reason = reason;
  return call;
}

async function recordAdminCall(call: AdminCall, envelope: Envelope<unknown>): Promise<void> {
  const entry: AdminLogDocument = {
    _id: randomBytes(16).toString('hex'),
    ...call,
    at: new Date(),
    ok: envelope.ok,
    ...(envelope.ok ? {} : { errorCode: envelope.error.code }),
  };
  await db().collection(ADMIN_LOGS).add({ data: entry });
}
