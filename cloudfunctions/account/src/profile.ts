import { NICKNAME_MAX_LENGTH, type AccountActions } from '../../../contracts';
import { cloud, db } from '../../../server/cloud';
import { AppFailure } from '../../../server/errors';
import type { Identity } from '../../../server/identity';
import { log } from '../../../server/log';
import { isOwnAvatar } from './avatar';
import { callOpenApi, openapi } from '../../../server/openapi';
import type { DeleteFileReply } from '../../../server/storage';
import { getUser, toProfile, updateUser } from '../../../server/users';

type Input = AccountActions['updateProfile']['event'];

export async function updateProfile(
  identity: Identity,
  input: Input,
): Promise<AccountActions['updateProfile']['result']> {
  if (input.nickName === undefined && input.avatarFileID === undefined) {
    throw new AppFailure('INVALID_ARGUMENT', '参数错误：需要 nickName 或 avatarFileID');
  }
  const changes: Record<string, unknown> = { updatedAt: new Date() };
  if (input.nickName !== undefined) {
    const nickName = input.nickName.trim();
    const length = Array.from(nickName).length; // code points, not UTF-16 units: 20 emoji are 20 characters
    if (length === 0 || length > NICKNAME_MAX_LENGTH) {
      throw new AppFailure('NICKNAME_INVALID', `昵称需为 1 到 ${NICKNAME_MAX_LENGTH} 个字符`);
    }
    await checkNickname(identity.openid, nickName);
    changes.nickName = nickName;
  }
  if (input.avatarFileID !== undefined) {
    if (!isOwnAvatar(input.avatarFileID, identity)) throw new AppFailure('AVATAR_INVALID', '头像文件无效');
    changes.avatarUrl = input.avatarFileID;
  }
  const before = await getUser(identity.openid);
  if (!before) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  const after = await updateUser(identity.openid, changes);
  if (!after) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  if (before.avatarUrl && changes.avatarUrl && before.avatarUrl !== changes.avatarUrl) {
    await deleteOldAvatar(identity.openid, before.avatarUrl);
  }
  return { user: toProfile(after) };
}

/** WeChat's content check (v2) for a nickname: scene 1 = profile. Anything but "pass" is refused. */
async function checkNickname(openid: string, nickName: string): Promise<void> {
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

/**
 * The profile is already saved: a file that cannot be deleted now is not a failed update. It is remembered on the
 * user's document (orphanedFiles) so that account deletion still removes it.
 */
async function deleteOldAvatar(openid: string, fileID: string): Promise<void> {
  let status: unknown;
  try {
    status = ((await cloud.deleteFile({ fileList: [fileID] })) as DeleteFileReply).fileList[0]?.status;
  } catch (error) {
    status = (error as { errCode?: unknown }).errCode;
  }
  if (status === 0) return;
  log.warn('account', 'AVATAR_ORPHANED', { status });
  await updateUser(openid, { orphanedFiles: db().command.addToSet(fileID) }).catch(() => undefined);
}
