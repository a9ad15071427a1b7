import { NICKNAME_MAX_LENGTH, type AccountActions } from '../../../contracts';
import { cloud } from '../../../server/cloud';
import { AppFailure } from '../../../server/errors';
import type { Identity } from '../../../server/identity';
import { log } from '../../../server/log';
import { callOpenApi, openapi } from '../../../server/openapi';
import type { DeleteFileReply } from '../../../server/storage';
import { getUser, toProfile, updateUser } from '../../../server/users';

type Input = AccountActions['updateProfile']['event'];

/** Avatars live at avatars/<OPENID>/<file> in the environment's bucket; a fileID elsewhere is not the caller's. */
export function isOwnAvatar(fileID: string, openid: string): boolean {
  const match = /^cloud:\/\/[^/]+\/avatars\/([^/]+)\/[^/]+$/.exec(fileID);
  return match?.[1] === openid;
}

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
    if (!isOwnAvatar(input.avatarFileID, identity.openid)) throw new AppFailure('AVATAR_INVALID', '头像文件无效');
    changes.avatarUrl = input.avatarFileID;
  }
  const before = await getUser(identity.openid);
  if (!before) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  const after = await updateUser(identity.openid, changes);
  if (!after) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  if (before.avatarUrl && changes.avatarUrl && before.avatarUrl !== changes.avatarUrl) {
    await deleteOldAvatar(before.avatarUrl);
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

/** The profile is already saved: a file that cannot be deleted now is an orphan to log, not a failed update. */
async function deleteOldAvatar(fileID: string): Promise<void> {
  try {
    const { fileList } = (await cloud.deleteFile({ fileList: [fileID] })) as DeleteFileReply;
    const status = fileList[0]?.status;
    if (status !== 0) log.warn('account', 'AVATAR_ORPHANED', { status });
  } catch (error) {
    log.warn('account', 'AVATAR_ORPHANED', { errCode: (error as { errCode?: unknown }).errCode });
  }
}
