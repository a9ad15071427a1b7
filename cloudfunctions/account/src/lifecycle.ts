import type { AccountActions } from '../../../contracts';
import { cloud } from '../../../server/cloud';
import { AppFailure } from '../../../server/errors';
import type { Identity } from '../../../server/identity';
import { deleteUserData, getUser, removeSession } from '../../../server/users';
import type { DeleteFileReply } from '../../../server/storage';

export async function logout(identity: Identity): Promise<AccountActions['logout']['result']> {
  await removeSession(identity.openid);
  return { loggedOut: true };
}

/**
 * 注销. The avatar file goes first: if storage fails, nothing else has changed and the user can retry. Then every
 * document of the user, in one transaction. A later login creates a brand-new user.
 */
export async function deleteAccount(identity: Identity): Promise<AccountActions['deleteAccount']['result']> {
  const user = await getUser(identity.openid);
  const files = [user?.avatarUrl, ...(user?.orphanedFiles ?? [])].filter((id): id is string => !!id);
  if (files.length > 0) {
    const { fileList } = (await cloud.deleteFile({ fileList: files })) as DeleteFileReply;
    // A file that is already gone is fine; any other failure stops the deletion before it is half done.
    const failed = fileList.filter((file) => file.status !== 0 && !/NONEXIST/i.test(String(file.errMsg)));
    if (failed.length > 0) {
      throw new AppFailure('INTERNAL', '删除头像失败，请稍后重试', { statuses: failed.map((file) => file.status) });
    }
  }
  await deleteUserData(identity.openid);
  return { deleted: true };
}
