import type { AccountAction, AccountActions, AvatarExtension, ErrorCode, UserProfile } from '../../contracts';
import { clearLogin, loginAgain, rememberUser } from './auth';
import { callAccount as call, ClientError } from './cloud';
import { isPrivacyDenied } from './privacy';

/**
 * errno of a phone-number button when the mini-program's paid quota is used up: WeChat checks the quota when the
 * button is tapped and hands no code (手机号快速验证组件, 查询和扣费节点说明).
 */
export const PHONE_NO_QUOTA_ERRNO = 1400001;

/**
 * What <button open-type="getPhoneNumber"> (or "getRealtimePhoneNumber") gives: a code (current flow) and, on older
 * setups, legacy open data; on failure an errno.
 */
export interface PhoneNumberDetail {
  errMsg?: string;
  errno?: number;
  code?: string;
  cloudID?: string;
  encryptedData?: string;
  iv?: string;
}

export interface ProfileChanges {
  nickName?: string;
  /** The temporary path from <button open-type="chooseAvatar">: uploaded before the profile is saved. */
  avatarTempPath?: string;
}

/**
 * Saves nickname and/or avatar. An avatar goes through three steps: the server picks and records its cloudPath
 * (so the file is the user's even if the save never arrives), the phone uploads it there, and the save names it.
 */
export async function saveProfile(changes: ProfileChanges): Promise<UserProfile> {
  const event: { nickName?: string; avatarFileID?: string } = {};
  if (changes.nickName !== undefined) event.nickName = changes.nickName;
  if (changes.avatarTempPath) event.avatarFileID = await uploadAvatar(changes.avatarTempPath);
  try {
    const { user: updated } = await callAccount('updateProfile', event);
    rememberUser(updated);
    return updated;
  } catch (error) {
    // Delete the upload only when the server definitely did not save it. After NETWORK, BAD_RESPONSE or INTERNAL
    // it may have: the file stays, tracked by the server since prepareAvatarUpload, and swept by it later.
    if (event.avatarFileID && definitelyNotSaved(error)) {
      await wx.cloud.deleteFile({ fileList: [event.avatarFileID] }).catch(() => undefined);
    }
    throw error;
  }
}

/** A server answer other than INTERNAL: the account function answers these before it writes anything. */
function definitelyNotSaved(error: unknown): boolean {
  if (!(error instanceof ClientError)) return false;
  return !['NETWORK', 'BAD_RESPONSE', 'INTERNAL'].includes(error.code);
}

/**
 * Binds the phone number from the button's detail. Prefers the code; then a cloudID (needs no session_key); then
 * encryptedData, which the server decrypts with the stored session_key. If that key is stale the server says
 * SESSION_EXPIRED: log in again with a fresh code and retry once. wx.login is never called between receiving the
 * data and its first send, since a new login may rotate the key the data was encrypted with.
 */
export async function bindPhone(detail: PhoneNumberDetail): Promise<UserProfile> {
  let result: { user: UserProfile };
  const refusal = phoneRefusal(detail);
  if (refusal) throw new ClientError(refusal);
  if (detail.code) {
    result = await callAccount('bindPhone', { code: detail.code });
  } else if (detail.cloudID) {
    result = await callAccount('bindPhoneLegacy', { cloudID: detail.cloudID });
  } else if (detail.encryptedData && detail.iv) {
    const data = { encryptedData: detail.encryptedData, iv: detail.iv };
    try {
      result = await callAccount('bindPhoneLegacy', data);
    } catch (error) {
      if (!(error instanceof ClientError) || error.code !== 'SESSION_EXPIRED') throw error;
      await loginAgain();
      result = await callAccount('bindPhoneLegacy', data);
    }
  } else {
    throw new ClientError('PHONE_UNAVAILABLE'); // unreachable: phoneRefusal answered for every detail without data
  }
  rememberUser(result.user);
  return result.user;
}

/** Does the button's detail carry something to bind (a code or open data)? A decline or a failure does not. */
export function hasPhoneData(detail: PhoneNumberDetail): boolean {
  return Boolean(detail.code || detail.cloudID || (detail.encryptedData && detail.iv));
}

/**
 * The user's decline, and only that: "getPhoneNumber:fail user deny" and the real-time button's
 * "getRealtimePhoneNumber:fail user deny". Some clients wrote "fail:user deny", DevTools once "getPhoneNumber:user
 * deny", as reported on WeChat's forum (developers.weixin.qq.com/community/develop/doc/00024a37dd0650f0209a3022c5d800
 * and .../000ec4d15f06786e87f7649255b400).
 */
const USER_DENY = /^get(?:Realtime)?PhoneNumber:(?:fail[ :]?)?\s*user deny$/;

/** Why the phone button handed nothing to bind, or undefined when it did. */
export function phoneRefusal(detail: PhoneNumberDetail): ErrorCode | undefined {
  if (hasPhoneData(detail)) return undefined;
  if (isPrivacyDenied(detail)) return 'PRIVACY_DENIED';
  if (detail.errno === PHONE_NO_QUOTA_ERRNO) return 'PHONE_QUOTA_EXHAUSTED';
  if (USER_DENY.test(detail.errMsg ?? '')) return 'PHONE_DENIED';
  // "getPhoneNumber:fail no permission": personal or unverified mini-programs may not use the component
  // (community/develop/doc/000602abcd8630f3cd415526866c00); "...:fail jsapi has no permission" (errno 102); and
  // anything else that is not the user saying no.
  return 'PHONE_UNAVAILABLE';
}

/** The version of 《用户协议》和《隐私政策》 the server requires, and whether this user agreed to it. */
export async function getConsent(): Promise<AccountActions['getConsent']['result']> {
  return callAccount('getConsent', {});
}

/** Records the user's agreement to 《用户协议》和《隐私政策》 of `version` (getConsent's currentVersion). */
export async function recordConsent(version: number): Promise<UserProfile> {
  const { user } = await callAccount('recordConsent', { version });
  rememberUser(user);
  return user;
}

/** Logs out: the server forgets the session_key, the device forgets the login, even if the server is unreachable. */
export async function logout(): Promise<void> {
  try {
    await callAccount('logout', {});
  } finally {
    clearLogin();
  }
}

/** 注销: deletes everything the server holds for the user, then the device's login. Ask the user first. */
export async function deleteAccount(): Promise<void> {
  await callAccount('deleteAccount', { confirm: true });
  clearLogin();
}

/**
 * One account action. USER_NOT_FOUND means the account is gone (deleted from another phone): the cached login
 * is forgotten so that the next ensureLogin() logs in for real instead of trusting it.
 */
async function callAccount<A extends AccountAction>(
  action: A,
  event: AccountActions[A]['event'],
): Promise<AccountActions[A]['result']> {
  try {
    return await call(action, event);
  } catch (error) {
    if (error instanceof ClientError && error.code === 'USER_NOT_FOUND') clearLogin();
    throw error;
  }
}

async function uploadAvatar(tempPath: string): Promise<string> {
  const { cloudPath } = await callAccount('prepareAvatarUpload', { extension: avatarExtension(tempPath) });
  try {
    const { fileID } = await wx.cloud.uploadFile({ cloudPath, filePath: tempPath });
    return fileID;
  } catch {
    throw new ClientError('UPLOAD_FAILED');
  }
}

const AVATAR_EXTENSIONS: readonly AvatarExtension[] = ['jpg', 'jpeg', 'png', 'webp', 'gif'];

/** chooseAvatar's temporary path ends with the image type; anything unexpected is saved as jpg. */
function avatarExtension(tempPath: string): AvatarExtension {
  const extension = /\.(\w{1,5})$/.exec(tempPath)?.[1]?.toLowerCase();
  return AVATAR_EXTENSIONS.find((known) => known === extension) ?? 'jpg';
}
