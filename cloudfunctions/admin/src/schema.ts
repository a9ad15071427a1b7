import * as v from 'valibot';

/** The `admin` event, validated as `unknown`: one object schema per action, picked by `action`. */
const openid = v.pipe(v.string('openid 必须是字符串'), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'openid 格式错误'));

export const AdminEventSchema = v.variant('action', [
  v.object({ action: v.literal('getUser'), openid }),
  v.object({
    action: v.literal('ban'),
    openid,
    reason: v.optional(v.pipe(v.string('reason 必须是字符串'), v.maxLength(200, 'reason 过长'))),
  }),
  v.object({ action: v.literal('unban'), openid }),
  v.object({
    action: v.literal('listLogins'),
    openid,
    limit: v.optional(
      v.pipe(
        v.number('limit 必须是数字'),
        v.integer('limit 必须是整数'),
        v.minValue(1),
        v.maxValue(100, 'limit 最大 100'),
      ),
    ),
  }),
  v.object({
    action: v.literal('pruneLogs'),
    olderThanDays: v.pipe(
      v.number('olderThanDays 必须是数字'),
      v.integer('olderThanDays 必须是整数'),
      v.minValue(1, 'olderThanDays 至少 1'),
      v.maxValue(3650, 'olderThanDays 最大 3650'),
    ),
  }),
]);
