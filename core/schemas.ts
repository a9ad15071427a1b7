import * as v from 'valibot';

/** The events of the three use cases, validated as `unknown` at the boundary: the types are derived from these. */

/** `{ code?, loginId?, refresh? }`; other fields (WeChat's own userInfo among them) are dropped, never trusted. */
export const LoginEventSchema = v.object({
  code: v.optional(
    v.pipe(v.string('code 必须是字符串'), v.minLength(1, 'code 不能为空'), v.maxLength(128, 'code 过长')),
  ),
  loginId: v.optional(
    v.pipe(v.string('loginId 必须是字符串'), v.regex(/^[A-Za-z0-9_-]{8,64}$/, 'loginId 须为 8 到 64 位字母数字')),
  ),
  refresh: v.optional(v.literal(true, 'refresh 只能为 true')),
});

/** The `account` event, validated as `unknown`: one object schema per action, picked by `action`. */
const nonEmpty = (what: string, max: number) =>
  v.pipe(v.string(`${what} 必须是字符串`), v.minLength(1, `${what} 不能为空`), v.maxLength(max, `${what} 过长`));

export const AVATAR_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif'] as const;

/**
 * A consent version: a positive integer. A decimal string ("2") is accepted too and read as its number, since a
 * version often travels through configuration as text.
 */
const consentVersion = v.union(
  [
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(999_999_999)),
    v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,8}$/), v.transform(Number)),
  ],
  'version 必须是正整数',
);

export const AccountEventSchema = v.variant('action', [
  v.object({ action: v.literal('getConsent') }),
  v.object({ action: v.literal('recordConsent'), version: consentVersion }),
  v.object({
    action: v.literal('prepareAvatarUpload'),
    extension: v.picklist(AVATAR_EXTENSIONS, `extension 必须是 ${AVATAR_EXTENSIONS.join('/')} 之一`),
  }),
  v.object({
    action: v.literal('updateProfile'),
    // Length is checked after trimming, in characters, by the handler (NICKNAME_INVALID); this bounds the input.
    nickName: v.optional(v.pipe(v.string('nickName 必须是字符串'), v.maxLength(200, 'nickName 过长'))),
    avatarFileID: v.optional(nonEmpty('avatarFileID', 512)),
  }),
  v.object({ action: v.literal('bindPhone'), code: nonEmpty('code', 256) }),
  v.pipe(
    v.object({
      action: v.literal('bindPhoneLegacy'),
      cloudID: v.optional(nonEmpty('cloudID', 512)),
      encryptedData: v.optional(nonEmpty('encryptedData', 8192)),
      iv: v.optional(nonEmpty('iv', 64)),
    }),
    v.check(
      (input) => input.cloudID !== undefined || (input.encryptedData !== undefined && input.iv !== undefined),
      '需要 cloudID，或 encryptedData 与 iv',
    ),
  ),
  v.object({ action: v.literal('logout') }),
  v.object({ action: v.literal('deleteAccount'), confirm: v.literal(true, '注销需要 confirm: true') }),
]);

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
