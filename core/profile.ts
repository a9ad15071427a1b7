import type { AdminUserView, UserProfile } from '../contracts';
import { AppFailure } from './errors';
import type { UserRecord } from './ports';

/** The user as the client sees it: never the full phone number, the session_key or anything of the store's. */
export function toProfile(user: UserRecord): UserProfile {
  const profile: UserProfile = {
    openid: user.openid,
    createdAt: user.createdAt.toISOString(),
    lastLoginAt: user.lastLoginAt.toISOString(),
    loginCount: user.loginCount,
  };
  if (user.unionid) profile.unionid = user.unionid;
  if (user.nickName) profile.nickName = user.nickName;
  if (user.avatarUrl) profile.avatarUrl = user.avatarUrl;
  if (user.phoneMasked) profile.phoneMasked = user.phoneMasked;
  if (user.consent) profile.consent = { version: user.consent.version, at: user.consent.at.toISOString() };
  return profile;
}

/** What an administrator sees: the profile (phone masked), status and session version; no secret. */
export function toAdminView(user: UserRecord): AdminUserView {
  return {
    ...toProfile(user),
    status: user.status,
    sessionVersion: user.sessionVersion,
    ...(user.banReason ? { banReason: user.banReason } : {}),
    ...(user.bannedAt ? { bannedAt: user.bannedAt.toISOString() } : {}),
  };
}

export function bannedFailure(): AppFailure {
  return new AppFailure('USER_BANNED', '该账号已被停用');
}

export function userNotFound(message = '账号不存在，请先登录'): AppFailure {
  return new AppFailure('USER_NOT_FOUND', message);
}
