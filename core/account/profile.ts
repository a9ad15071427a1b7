import type { AccountActions, AvatarExtension } from '../../contracts';
import { AppFailure } from '../errors';
import { checkNickname } from '../nickname';
import type { AvatarFiles, AvatarImage, Identity, KitContext, UserRecord } from '../ports';
import { toProfile, userNotFound } from '../profile';
import { callWeChat } from '../wechat-calls';
import { accountOf } from './access';

type Input = AccountActions['updateProfile']['event'];
type Result = AccountActions['updateProfile']['result'];

export async function prepareAvatarUpload(
  ctx: KitContext,
  identity: Identity,
  extension: AvatarExtension,
): Promise<AccountActions['prepareAvatarUpload']['result']> {
  const files = avatarFiles(ctx);
  const user = (await accountOf(ctx, identity)).requireConsent();
  return { cloudPath: await files.reserve(user, extension) };
}

/**
 * Nickname and/or avatar. Order matters: checks that need no I/O first (bad input changes nothing and costs
 * nothing), then the account and its consent to 《用户协议》和《隐私政策》 (no content check, which WeChat limits, for a
 * caller without either) with the avatar's presence in storage asked alongside, then the content check, then one
 * write.
 */
export async function updateProfile(ctx: KitContext, identity: Identity, input: Input): Promise<Result> {
  if (input.nickName === undefined && input.avatarFileID === undefined) {
    throw new AppFailure('INVALID_ARGUMENT', '参数错误：需要 nickName 或 avatarFileID');
  }
  const nickName = input.nickName === undefined ? undefined : validNickname(input.nickName);
  if (input.avatarFileID !== undefined) return saveWithAvatar(ctx, identity, input.avatarFileID, nickName);
  const user = (await accountOf(ctx, identity)).requireConsent();
  const nick = nickName ?? '';
  await contentCheck(ctx, identity.openid, nick);
  const after = await ctx.store.updateProfile(user, { nickName: nick, updatedAt: new Date() });
  if (!after) throw userNotFound();
  return { user: toProfile(after) };
}

/** updateProfile with an avatar the phone uploaded (and maybe a nickname), on a host with avatar files. */
async function saveWithAvatar(
  ctx: KitContext,
  identity: Identity,
  fileID: string,
  nickName: string | undefined,
): Promise<Result> {
  const files = avatarFiles(ctx);
  if (!files.isOwn(fileID)) throw new AppFailure('AVATAR_INVALID', '头像文件无效', { reason: 'not own avatar' });
  const [account, avatar] = await Promise.allSettled([accountOf(ctx, identity), files.check(fileID)]);
  if (account.status === 'rejected') throw account.reason;
  const known = account.value.user;
  let user: UserRecord;
  try {
    user = account.value.requireConsent();
  } catch (refusal) {
    // No account or no consent: an upload the account does not track would be left in the user's folder, where
    // 注销 (which deletes what the account tracks) would never find it. The client deletes it too; this covers a
    // client that cannot. A tracked file is left alone: the account still knows it.
    if (!known || !files.tracks(known, fileID)) await files.forget(fileID);
    throw refusal;
  }
  if (avatar.status === 'rejected') throw avatar.reason;
  if (nickName !== undefined) await contentCheck(ctx, identity.openid, nickName);
  const changes = { ...(nickName === undefined ? {} : { nickName }), updatedAt: new Date() };
  const after = await files.set(user, fileID, avatar.value, changes);
  if (!after) {
    await files.forget(fileID);
    throw userNotFound();
  }
  await files.sweep(after);
  return { user: toProfile(after) };
}

/**
 * An avatar image the host receives itself (the own server's POST /api/avatar): the same account and consent rules
 * as updateProfile, then stored and set in one step.
 */
export async function setAvatarImage(ctx: KitContext, identity: Identity, image: AvatarImage): Promise<Result> {
  if (!ctx.avatarImages) throw new AppFailure('INVALID_ARGUMENT', '参数错误：不支持上传头像');
  const user = (await accountOf(ctx, identity)).requireConsent();
  const after = await ctx.avatarImages.replace(user, image, new Date());
  if (!after) throw userNotFound();
  return { user: toProfile(after) };
}

function validNickname(input: string): string {
  const nickname = checkNickname(input);
  if (!nickname.ok)
    throw new AppFailure('NICKNAME_INVALID', '昵称需为 1 到 20 个可见字符', { reason: nickname.reason });
  return nickname.nickName;
}

function avatarFiles(ctx: KitContext): AvatarFiles {
  if (!ctx.avatarFiles) throw new AppFailure('INVALID_ARGUMENT', '参数错误：请使用头像上传接口');
  return ctx.avatarFiles;
}

/** WeChat's content check (v2) for a nickname: scene 1 = profile. Anything but "pass" is refused. */
async function contentCheck(ctx: KitContext, openid: string, nickName: string): Promise<void> {
  const reply = await callWeChat(
    'security.msgSecCheck',
    () => ctx.wechat.msgSecCheck({ openid, scene: 1, content: nickName, nickname: nickName }),
    { 87014: { code: 'CONTENT_RISKY', message: '昵称包含不合规内容，请修改后再试' } },
  );
  const suggest = reply.result?.suggest;
  if (suggest !== 'pass') throw new AppFailure('CONTENT_RISKY', '昵称包含不合规内容，请修改后再试', { suggest });
}
