import type { AccountActions } from '../../../contracts';
import { AppFailure } from '../../../cloudbase/errors';
import type { Identity } from '../../../cloudbase/identity';
import { checkNickname } from '../../../cloudbase/nickname';
import { callOpenApi, openapi } from '../../../cloudbase/openapi';
import { deleteFiles } from '../../../cloudbase/storage';
import { fileKey, toProfile, updateUserWhere, type UserDocument } from '../../../cloudbase/users';
import { accountOf, requireConsentedAccount } from './account-user';
import {
  checkAvatarFile,
  ownAvatarPath,
  reserveAvatar,
  sameAccountAs,
  setAvatar,
  sweepSupersededFiles,
} from './avatar';

type Input = AccountActions['updateProfile']['event'];
type Result = AccountActions['updateProfile']['result'];

export async function prepareAvatarUpload(
  identity: Identity,
  input: AccountActions['prepareAvatarUpload']['event'],
): Promise<AccountActions['prepareAvatarUpload']['result']> {
  const user = await requireConsentedAccount(identity);
  return { cloudPath: await reserveAvatar(user, input.extension) };
}

/**
 * Nickname and/or avatar. Order matters: checks that need no I/O first (bad input changes nothing and costs
 * nothing), then the account and its consent to 《用户协议》和《隐私政策》 (no content check, which WeChat limits, for a
 * caller without either) with the avatar's presence in storage asked alongside, then the content check, then one
 * write.
 */
export async function updateProfile(identity: Identity, input: Input): Promise<Result> {
  if (input.nickName === undefined && input.avatarFileID === undefined) {
    throw new AppFailure('INVALID_ARGUMENT', '参数错误：需要 nickName 或 avatarFileID');
  }
  const changes: Record<string, unknown> = {};
  if (input.nickName !== undefined) {
    const nickname = checkNickname(input.nickName);
    if (!nickname.ok)
      throw new AppFailure('NICKNAME_INVALID', '昵称需为 1 到 20 个可见字符', { reason: nickname.reason });
    changes.nickName = nickname.nickName;
  }
  const fileID = input.avatarFileID;
  if (fileID !== undefined && !ownAvatarPath(fileID, identity)) {
    throw new AppFailure('AVATAR_INVALID', '头像文件无效', { reason: 'not own avatar' });
  }
  const [account, avatar] = await Promise.allSettled([
    accountOf(identity),
    fileID === undefined ? Promise.resolve(undefined) : checkAvatarFile(fileID, identity),
  ]);
  if (account.status === 'rejected') throw account.reason;
  if (!account.value.user) await forgetUpload(fileID, identity);
  let user: UserDocument;
  try {
    user = account.value.requireConsent();
  } catch (refusal) {
    // No consent: an upload the account does not track would be left in the user's folder, where 注销 (which
    // deletes what the account tracks) would never find it. The client deletes it too; this covers a client
    // that cannot. A tracked file is left alone: the account still knows it.
    const known = account.value.user;
    if (known && fileID !== undefined && !tracksFile(known, fileID, identity)) await forgetUpload(fileID, identity);
    throw refusal;
  }
  if (avatar.status === 'rejected') throw avatar.reason;
  if (typeof changes.nickName === 'string') await contentCheck(identity.openid, changes.nickName);
  changes.updatedAt = new Date();

  let after: UserDocument | null;
  if (fileID !== undefined && avatar.value !== undefined) {
    after = await setAvatar(user, fileID, avatar.value, changes);
    if (!after) await forgetUpload(fileID, identity);
  } else {
    after = await updateUserWhere(sameAccountAs(user), changes, identity.openid);
  }
  if (!after) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  if (fileID !== undefined) await sweepSupersededFiles(after, identity);
  return { user: toProfile(after) };
}

/** Does the account know this file (its avatar, or a file it recorded)? */
function tracksFile(user: UserDocument, fileID: string, identity: Identity): boolean {
  const path = ownAvatarPath(fileID, identity);
  return user.avatarUrl === fileID || (path !== undefined && user.files?.[fileKey(path)] !== undefined);
}

/**
 * The caller has no account (never had one, or 注销 won a race with this save): their upload belongs to nobody
 * and would outlive the account, so it goes now. It is in the caller's own folder (checked), so it is theirs.
 */
async function forgetUpload(fileID: string | undefined, identity: Identity): Promise<void> {
  if (fileID === undefined || !ownAvatarPath(fileID, identity)) return;
  await deleteFiles([fileID]).catch(() => undefined); // best effort: the answer is USER_NOT_FOUND either way
}

/** WeChat's content check (v2) for a nickname: scene 1 = profile. Anything but "pass" is refused. */
async function contentCheck(openid: string, nickName: string): Promise<void> {
  const reply = await callOpenApi(
    'security.msgSecCheck',
    () => openapi().security.msgSecCheck({ openid, scene: 1, version: 2, content: nickName, nickname: nickName }),
    { 87014: { code: 'CONTENT_RISKY', message: '昵称包含不合规内容，请修改后再试' } },
  );
  const suggest = (reply as { result?: { suggest?: string } }).result?.suggest;
  if (suggest !== 'pass') {
    throw new AppFailure('CONTENT_RISKY', '昵称包含不合规内容，请修改后再试', { suggest });
  }
}
