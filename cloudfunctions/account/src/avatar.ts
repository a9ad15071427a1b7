import { randomBytes } from 'crypto';
import type { AvatarExtension } from '../../../contracts';
import { db } from '../../../cloudbase/cloud';
import { AppFailure, describeError } from '../../../cloudbase/errors';
import type { Identity } from '../../../cloudbase/identity';
import { log } from '../../../cloudbase/log';
import { bucketOf, deleteFiles, environmentBucket, fileExists, fileIdOf } from '../../../cloudbase/storage';
import type { OwnedFile, UserDocument } from '../../../cloudbase/user-data';
import { fileKey, getUser, ownedFiles, updateUser, updateUserWhere } from '../../../cloudbase/users';

/**
 * Avatars live at avatars/<OPENID>/<millis>-<random>.<ext> in this environment's bucket. Anything else is refused:
 * the fileID is later handed to deleteFile with admin rights, so dot segments, encoded separators or another
 * environment's or bucket's file must never pass.
 */
const AVATAR_FILE = /^[0-9]{10,16}-[a-z0-9]{1,8}\.[A-Za-z0-9]{1,5}$/;

/** The cloudPath of a well-formed avatar fileID of the caller in this environment, or undefined. */
export function ownAvatarPath(fileID: string, identity: { openid: string; env?: string }): string | undefined {
  const match = /^cloud:\/\/([A-Za-z0-9-]+)\.([A-Za-z0-9-]+)\/(avatars\/([^/]+)\/([^/]+))$/.exec(fileID);
  if (!match) return undefined;
  const [, env, bucket, path, owner, file] = match;
  if (owner !== identity.openid || !AVATAR_FILE.test(file ?? '')) return undefined;
  if (identity.env && env !== identity.env) return undefined;
  const ourBucket = environmentBucket(identity.env);
  if (ourBucket && bucket !== ourBucket) return undefined;
  return path;
}

export function isOwnAvatar(fileID: string, identity: { openid: string; env?: string }): boolean {
  return ownAvatarPath(fileID, identity) !== undefined;
}

/** A new avatar cloudPath for the caller, and its rank: later calls rank higher (time first, then randomness). */
function newAvatarFile(openid: string, extension: AvatarExtension, now: Date): OwnedFile {
  const millis = now.getTime();
  const random = randomBytes(4).toString('hex');
  return {
    path: `avatars/${openid}/${millis}-${random.slice(0, 6)}.${extension}`,
    rank: rankAt(now, random),
    at: now,
  };
}

function rankAt(now: Date, random = randomBytes(4).toString('hex')): string {
  return `${String(now.getTime()).padStart(15, '0')}-${random}`;
}

/**
 * Records the path before the client uploads to it: if the save that follows never arrives (network, crash, a
 * fault), the file is still the user's, swept by the next avatar change or by 注销.
 */
export async function reserveAvatar(user: UserDocument, extension: AvatarExtension): Promise<string> {
  const file = newAvatarFile(user._id, extension, new Date());
  const recorded = await updateUser(user._id, {
    [`files.${fileKey(file.path)}`]: file,
    filesVersion: db().command.inc(1),
  });
  if (!recorded) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  return file.path;
}

/**
 * Checks an avatar fileID before anything is written: well-formed, the caller's folder, this environment's bucket,
 * and present in storage (asked of the service, which also refuses another bucket's file).
 */
export async function checkAvatarFile(fileID: string, identity: Identity): Promise<string> {
  const path = ownAvatarPath(fileID, identity);
  if (!path || !(await fileExists(fileID))) {
    throw new AppFailure('AVATAR_INVALID', '头像文件无效', { reason: path ? 'not in storage' : 'not own avatar' });
  }
  return path;
}

/**
 * Makes `fileID` the user's avatar, with `changes` (nickname, updatedAt) in the same write. The file is recorded in
 * the user's files map first (if prepareAvatarUpload did not already), then set only over an older avatar: when
 * two saves race, the later-recorded file wins and the other is swept, never the other way round. Returns the
 * document as it is afterwards, or null when the user has no document.
 */
export async function setAvatar(
  user: UserDocument,
  fileID: string,
  path: string,
  changes: Record<string, unknown>,
): Promise<UserDocument | null> {
  const _ = db().command;
  const key = fileKey(path);
  // Every write is to the account this save was checked against: not to one a login created after a racing 注销.
  const sameAccount = sameAccountAs(user);
  let entry = user.files?.[key];
  if (!entry) {
    const file: OwnedFile = { path, fileID, rank: rankAt(new Date()), at: new Date() };
    const recorded = await updateUserWhere(
      { ...sameAccount, [`files.${key}`]: _.exists(false) },
      { [`files.${key}`]: file, filesVersion: _.inc(1) },
      user._id,
    );
    // Null: no user, or a concurrent retry recorded it first; read which. A document that does not record the file
    // is not the account this save was checked against: 注销 removed that one and a login created another in
    // between. Setting the avatar there would leave a file the new account does not track (注销 would never
    // delete it) on an account whose consent was never checked: treat it as gone.
    const current = recorded ?? (await getUser(user._id));
    const recordedEntry = current && isSameAccount(current, user) ? current.files?.[key] : undefined;
    if (!recordedEntry) return null;
    entry = recordedEntry;
  }
  const update: Record<string, unknown> = {
    ...changes,
    avatarUrl: fileID,
    avatarRank: entry.rank,
    [`files.${key}.fileID`]: fileID,
  };
  // An avatar set before files were tracked: track it now, ranked below everything, so the sweep removes it.
  const previousPath = user.avatarUrl ? ownAvatarPath(user.avatarUrl, { openid: user._id }) : undefined;
  if (user.avatarUrl && previousPath && !user.files?.[fileKey(previousPath)] && user.avatarUrl !== fileID) {
    update[`files.${fileKey(previousPath)}`] = {
      path: previousPath,
      fileID: user.avatarUrl,
      rank: '0',
      at: new Date(),
    };
  }
  const newer = _.or([
    { ...sameAccount, avatarRank: _.lt(entry.rank) },
    { ...sameAccount, avatarRank: _.exists(false) },
  ]);
  const updated = await updateUserWhere(newer, update, user._id);
  if (updated) return updated;
  // Not set: the account is gone, or a newer avatar is already set (ours is superseded). Apply the rest alone.
  return updateUserWhere(sameAccount, changes, user._id);
}

/**
 * The query that names this incarnation of the user's account: its OPENID and when it was created. 注销 followed
 * by a login makes a new document under the same OPENID; a save checked against the old one must not land there.
 */
export function sameAccountAs(user: UserDocument): Record<string, unknown> {
  return { _id: user._id, createdAt: user.createdAt };
}

function isSameAccount(current: UserDocument, user: UserDocument): boolean {
  return new Date(current.createdAt).getTime() === new Date(user.createdAt).getTime();
}

/**
 * Deletes the files the current avatar has superseded (ranked below it) and legacy orphans, then forgets them.
 * A file is forgotten only once it is gone, so a failure here leaves it tracked for the next sweep or 注销.
 * Never fails the save that called it: the profile is already saved.
 */
export async function sweepSupersededFiles(user: UserDocument, identity: Identity): Promise<void> {
  const rank = user.avatarRank ?? '';
  const stale = ownedFiles(user).filter(({ file }) => file.rank < rank);
  const orphans = user.orphanedFiles ?? [];
  if (stale.length === 0 && orphans.length === 0) return;
  try {
    const byFileID = new Map<string, string | undefined>();
    for (const { key, file } of stale) {
      const fileID = file.fileID ?? resolveFileID(user, identity, file.path);
      if (fileID) byFileID.set(fileID, key);
    }
    for (const orphan of orphans) byFileID.set(orphan, undefined);
    const { gone, failed } = await deleteFiles([...byFileID.keys()]);
    if (failed.length > 0) log.warn('account', 'FILES_NOT_DELETED', { statuses: failed.map((f) => f.status) });
    const forget: Record<string, unknown> = {};
    for (const fileID of gone) {
      const key = byFileID.get(fileID);
      if (key) forget[`files.${key}`] = db().command.remove();
    }
    const goneOrphans = orphans.filter((id) => gone.includes(id));
    if (goneOrphans.length > 0) forget.orphanedFiles = db().command.pullAll(goneOrphans);
    if (Object.keys(forget).length > 0) await updateUser(user._id, forget);
  } catch (error) {
    log.warn('account', 'SWEEP_FAILED', describeError(error));
  }
}

/**
 * Every file the user owns, as fileIDs: the avatar, the tracked files (a reserved path is resolved with the bucket
 * of another known fileID, or the environment's), and legacy orphans. Paths that cannot be resolved are logged:
 * 注销 must complete, and such a path was reserved but never confirmed by a save, so it may not even exist.
 */
export function allFileIDs(user: UserDocument, identity: Identity): string[] {
  const ids = new Set<string>();
  if (user.avatarUrl) ids.add(user.avatarUrl);
  for (const id of user.orphanedFiles ?? []) ids.add(id);
  for (const { file } of ownedFiles(user)) {
    const fileID = file.fileID ?? resolveFileID(user, identity, file.path);
    if (fileID) ids.add(fileID);
    else log.warn('account', 'FILE_UNRESOLVED', { reason: 'bucket unknown' });
  }
  return [...ids];
}

function resolveFileID(user: UserDocument, identity: Identity, path: string): string | undefined {
  const known = [user.avatarUrl, ...ownedFiles(user).map(({ file }) => file.fileID)].find((id) => id && bucketOf(id));
  const env = identity.env ?? (known ? /^cloud:\/\/([^/.]+)\./.exec(known)?.[1] : undefined);
  const bucket = environmentBucket(env) ?? (known ? bucketOf(known) : undefined);
  return env && bucket ? fileIdOf(env, bucket, path) : undefined;
}
