import * as v from 'valibot';

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

export type AccountEventInput = v.InferOutput<typeof AccountEventSchema>;
