import type { AdminResult, Envelope } from '../../../contracts';
import { AppFailure, describeError } from '../../../cloudbase/errors';
import { defineHandler } from '../../../cloudbase/handler';
import { hasCallerIdentity, type Identity } from '../../../cloudbase/identity';
import { log } from '../../../cloudbase/log';
import { ban, getUserView, listLogins, pruneLogs, unban } from './actions';
import { AdminAudit, describeCall } from './audit';
import { AdminEventSchema } from './schema';

const handler = defineHandler<typeof AdminEventSchema, AdminResult, AdminAudit>(
  'admin',
  AdminEventSchema,
  async ({ event, identity, run: audit }): Promise<AdminResult> => {
    await audit.start();
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
    begin: (identity, rawEvent) => new AdminAudit(describeCall(identity.openid, rawEvent)),
    settled: (audit, envelope) => audit.settle(envelope),
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
  const audit = new AdminAudit({
    admin: 'timer',
    action: `pruneLogs:${typeof event.TriggerName === 'string' ? event.TriggerName : ''}`.slice(0, 60),
  });
  let envelope: Envelope<AdminResult>;
  try {
    const days = Number(process.env.LOG_RETENTION_DAYS ?? 180);
    if (!Number.isInteger(days) || days < 1) throw new AppFailure('CONFIG_ERROR', 'LOG_RETENTION_DAYS 配置错误');
    await audit.start();
    envelope = { ok: true, data: await pruneLogs(days) };
  } catch (error) {
    const code = error instanceof AppFailure ? error.code : 'INTERNAL';
    log.error('admin', code, describeError(error));
    envelope = { ok: false, error: { code, message: '清理登录日志失败' } };
  }
  await audit
    .settle(envelope)
    .catch((error: unknown) => log.warn('admin', 'AUDIT_NOT_COMPLETED', describeError(error)));
  return envelope;
}
