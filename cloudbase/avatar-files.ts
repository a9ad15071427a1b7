import { AppFailure, describeError } from '../core/errors';
import { log } from '../core/log';
import type { AvatarFiles, Identity, UserRecord } from '../core/ports';
import { db } from './cloud';
import { fileKey, newAvatarFile, ownedFiles, parseAvatarFileID, rankAt, resolveFileID } from './files';
import { deleteFiles, fileExists } from './storage';
import type { OwnedFile, UserDocument } from './user-data';
import { documentOf, getUser, toRecord, updateUser, updateUserWhere } from './users';

/**
 * Avatars on CloudBase: the phone uploads to avatars/<OPENID>/<millis>-<random>.<ext> in this environment's bucket
 * (a path the server picked and recorded first), then names the fileID in updateProfile. The files map on the
 * users document tracks every such file, so 注销 finds them all; ranks decide which of two racing saves wins.
 */
export function cloudAvatarFiles(identity: Identity): AvatarFiles {
  // One parse per fileID for the whole invocation: a save asks about the same fileID several times.
  const parsed = new Map<string, ReturnType<typeof parseAvatarFileID>>();
  const own = (fileID: string) => {
    if (!parsed.has(fileID)) parsed.set(fileID, parseAvatarFileID(fileID, identity));
    return parsed.get(fileID);
  };
  return {
    reserve: async (user, extension) => {
      const file = newAvatarFile(user.openid, extension, new Date());
      const recorded = await updateUser(user.openid, {
        [`files.${fileKey(file.path)}`]: file,
        filesVersion: db().command.inc(1),
      });
      if (!recorded) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
      return file.path;
    },
    isOwn: (fileID) => own(fileID) !== undefined,
    check: async (fileID) => {
      const ref = own(fileID);
      // Asked of the service itself, which also refuses another bucket's file or one never uploaded.
      if (!ref || !(await fileExists(fileID))) {
        throw new AppFailure('AVATAR_INVALID', '头像文件无效', { reason: ref ? 'not in storage' : 'not own avatar' });
      }
      return ref.path;
    },
    tracks: (user, fileID) => {
      const doc = documentOf(user);
      const ref = own(fileID);
      return doc.avatarUrl === fileID || (ref !== undefined && doc.files?.[fileKey(ref.path)] !== undefined);
    },
    // Best effort: it is in the caller's own folder (checked), so it is theirs to lose.
    forget: async (fileID) => {
      if (own(fileID)) await deleteFiles([fileID]).catch(() => undefined);
    },
    set: (user, fileID, path, changes) => setAvatar(documentOf(user), fileID, path, changes),
    sweep: (user) => sweepSupersededFiles(documentOf(user), identity),
  };
}

/**
 * Makes `fileID` the user's avatar, with `changes` (nickname, updatedAt) in the same write. The file is recorded in
 * the user's files map first (if prepareAvatarUpload did not already), then set only over an older avatar: when
 * two saves race, the later-recorded file wins and the other is swept, never the other way round. Returns the
 * account as it is afterwards, or null when the user has no document.
 */
async function setAvatar(
  user: UserDocument,
  fileID: string,
  path: string,
  changes: Record<string, unknown>,
): Promise<UserRecord | null> {
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
  const previous = user.avatarUrl ? parseAvatarFileID(user.avatarUrl, { openid: user._id }) : undefined;
  if (previous && !user.files?.[fileKey(previous.path)] && user.avatarUrl !== fileID) {
    update[`files.${fileKey(previous.path)}`] = {
      path: previous.path,
      fileID: previous.fileID,
      rank: '0',
      at: new Date(),
    };
  }
  const newer = _.or([
    { ...sameAccount, avatarRank: _.lt(entry.rank) },
    { ...sameAccount, avatarRank: _.exists(false) },
  ]);
  const updated =
    (await updateUserWhere(newer, update, user._id)) ?? (await updateUserWhere(sameAccount, changes, user._id));
  // Not set on the first try: the account is gone, or a newer avatar is already set (ours is superseded) and the
  // rest was applied alone.
  return updated ? toRecord(updated) : null;
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
async function sweepSupersededFiles(user: UserDocument, identity: Identity): Promise<void> {
  const rank = user.avatarRank ?? '';
  const stale = ownedFiles(user).filter(({ file }) => file.rank < rank);
  const orphans = user.orphanedFiles ?? [];
  if (stale.length === 0 && orphans.length === 0) return;
  try {
    const byFileID = new Map<string, string | undefined>();
    for (const { key, file } of stale) {
      const fileID = file.fileID ?? resolveFileID(user, identity.env, file.path);
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
