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
  if (user?.avatarUrl) {
    const { fileList } = (await cloud.deleteFile({ fileList: [user.avatarUrl] })) as DeleteFileReply;
    const status = fileList[0]?.status ?? 0;
    // A file that is already gone is fine; any other failure stops the deletion before it is half done.
    if (status !== 0 && !/NONEXIST/i.test(String(fileList[0]?.errMsg))) {
      throw new AppFailure('INTERNAL', '删除头像失败，请稍后重试', { status });
    }
  }
  await deleteUserData(identity.openid);
  return { deleted: true };
}
