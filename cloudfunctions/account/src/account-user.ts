import { AppFailure } from '../../../server/errors';
import type { Identity } from '../../../server/identity';
import { bannedFailure, getUser, type UserDocument } from '../../../server/users';

/**
 * The caller's account, read before any paid or limited call (content check, phone number): a caller without an
 * account gets USER_NOT_FOUND, a banned one USER_BANNED, and neither costs anything. `require()` throws that answer;
 * the read itself may be shared with other work in parallel.
 */
export async function accountOf(identity: Identity): Promise<{ user: UserDocument | null; require(): UserDocument }> {
  const user = await getUser(identity.openid);
  return {
    user,
    require() {
      if (!user) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
      if (user.status === 'banned') throw bannedFailure();
      return user;
    },
  };
}

export async function requireAccount(identity: Identity): Promise<UserDocument> {
  return (await accountOf(identity)).require();
}
