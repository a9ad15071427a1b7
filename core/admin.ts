import type { AdminActions, AdminResult, Envelope } from '../contracts';
import { AdminAudit, describeCall } from './admin-audit';
import { AppFailure, describeError } from './errors';
import { log } from './log';
import type { Identity, KitContext, UserRecord } from './ports';
import { toAdminView } from './profile';
import { answer, parseEvent } from './run';
import { AdminEventSchema } from './schemas';

/**
 * Administration, for the OPENIDs in ADMIN_OPENIDS; everyone else gets FORBIDDEN. Every call with an identity,
 * allowed or not, is recorded in the admin log before it acts (core/admin-audit.ts).
 */
export async function runAdmin(ctx: KitContext, identity: Identity, rawEvent: unknown): Promise<Envelope<AdminResult>> {
  const audit = new AdminAudit(ctx.store, describeCall(identity.openid, rawEvent));
  const envelope = await answer('admin', async (): Promise<AdminResult> => {
    const event = parseEvent(AdminEventSchema, rawEvent);
    await audit.start();
    if (!ctx.config.adminOpenids().includes(identity.openid)) {
      throw new AppFailure('FORBIDDEN', '没有管理权限', { reason: 'not in ADMIN_OPENIDS' });
    }
    switch (event.action) {
      case 'getUser':
        return { user: toAdminView(existing(await ctx.store.getUser(event.openid))) };
      case 'ban':
        return ban(ctx, event.openid, event.reason);
      case 'unban':
        return { user: toAdminView(existing(await ctx.store.unban(event.openid))) };
      case 'listLogins':
        return { entries: await ctx.store.listLogins(event.openid, event.limit ?? 20) };
      case 'pruneLogs':
        return pruneLogs(ctx, event.olderThanDays);
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  });
  await audit
    .settle(envelope)
    .catch((error: unknown) => log.warn('admin', 'AUDIT_NOT_COMPLETED', describeError(error)));
  return envelope;
}

/**
 * The scheduled pruning of the login log (LOG_RETENTION_DAYS, default 180): a CloudBase timer trigger, or the own
 * server's daily job. Recorded as admin 'timer'.
 */
export async function runScheduledPrune(ctx: KitContext, trigger: string): Promise<Envelope<AdminResult>> {
  const audit = new AdminAudit(ctx.store, { admin: 'timer', action: `pruneLogs:${trigger}`.slice(0, 60) });
  let envelope: Envelope<AdminResult>;
  try {
    const days = ctx.config.logRetentionDays();
    await audit.start();
    envelope = { ok: true, data: await pruneLogs(ctx, days) };
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

/** Bans once: a second ban of a banned user changes nothing (the session version is bumped by the first). */
async function ban(
  ctx: KitContext,
  openid: string,
  reason: string | undefined,
): Promise<AdminActions['ban']['result']> {
  const banned = await ctx.store.ban(openid, reason, new Date());
  return { user: toAdminView(existing(banned)) };
}

/** Deletes login log entries older than the cut-off (the retention docs/admin.md describes). */
async function pruneLogs(ctx: KitContext, olderThanDays: number, now = Date.now()): Promise<{ deleted: number }> {
  return { deleted: await ctx.store.pruneLogins(new Date(now - olderThanDays * 24 * 60 * 60 * 1000)) };
}

function existing(user: UserRecord | null): UserRecord {
  if (!user) throw new AppFailure('USER_NOT_FOUND', '用户不存在');
  return user;
}
