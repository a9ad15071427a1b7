import type { AdminResult, Envelope } from '../../../contracts';
import { cloudContext, cloudFunction } from '../../../cloudbase/handler';
import { hasCallerIdentity } from '../../../cloudbase/identity';
import { runAdmin, runScheduledPrune } from '../../../core/admin';

const handler = cloudFunction('admin', runAdmin);

/**
 * Administration (core/admin.ts) for the OPENIDs in ADMIN_OPENIDS. A timer trigger (config.json, daily at 03:00)
 * prunes login_logs older than LOG_RETENTION_DAYS: a timer invocation carries no OPENID, which no call from a phone
 * can imitate (the same event from a phone is an ordinary admin call).
 */
export async function main(event: unknown, context?: unknown): Promise<Envelope<AdminResult>> {
  if (isTimer(event) && !hasCallerIdentity()) {
    const trigger = typeof event.TriggerName === 'string' ? event.TriggerName : '';
    return runScheduledPrune(cloudContext(undefined), trigger);
  }
  return handler(event, context);
}

function isTimer(event: unknown): event is { Type: 'Timer'; TriggerName?: unknown } {
  return typeof event === 'object' && event !== null && (event as { Type?: unknown }).Type === 'Timer';
}
