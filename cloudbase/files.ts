/**
 * What "a file of this user" means on CloudBase, in one place: the avatar fileID parsed once into a typed value,
 * and the files map on the users document (its keys, the ranks that order avatars, every file the user owns).
 * The avatar policy (avatar-files.ts) and 注销 (store.ts) import this; it imports neither.
 */
import { randomBytes } from 'crypto';
import type { AvatarExtension } from '../contracts';
import { log } from '../core/log';
import { environmentBucket } from './storage';
import type { OwnedFile, UserDocument } from './user-data';

/** cloud://<env>.<bucket>/avatars/<OPENID>/<millis>-<random>.<ext> */
export interface AvatarFileRef {
  fileID: string;
  env: string;
  bucket: string;
  /** The cloudPath: avatars/<OPENID>/<name>. */
  path: string;
  owner: string;
}

const AVATAR_FILE_ID = /^cloud:\/\/([A-Za-z0-9-]+)\.([A-Za-z0-9-]+)\/(avatars\/([^/]+)\/([^/]+))$/;
/** The name the server gives an avatar: anything else is refused, as the fileID later goes to deleteFile. */
const AVATAR_NAME = /^[0-9]{10,16}-[a-z0-9]{1,8}\.[A-Za-z0-9]{1,5}$/;

/**
 * The fileID as a well-formed avatar of `owner` in this environment's bucket, or undefined. Dot segments, encoded
 * separators, another user's folder or another environment's or bucket's file never pass.
 */
export function parseAvatarFileID(fileID: string, owner: { openid: string; env?: string }): AvatarFileRef | undefined {
  const match = AVATAR_FILE_ID.exec(fileID);
  if (!match) return undefined;
  const [, env = '', bucket = '', path = '', folder, name] = match;
  if (folder !== owner.openid || !AVATAR_NAME.test(name ?? '')) return undefined;
  if (owner.env && env !== owner.env) return undefined;
  const ourBucket = environmentBucket(owner.env);
  if (ourBucket && bucket !== ourBucket) return undefined;
  return { fileID, env, bucket, path, owner: owner.openid };
}

/** A files-map entry's key: the file name, with the '.' a field name may not hold replaced. */
export function fileKey(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\./g, '_');
}

/** The entries of the user's files map, with their keys. */
export function ownedFiles(user: UserDocument): Array<{ key: string; file: OwnedFile }> {
  return Object.entries(user.files ?? {}).map(([key, file]) => ({ key, file }));
}

/** Orders avatars: later calls rank higher (time first, then randomness). */
export function rankAt(now: Date, random = randomBytes(4).toString('hex')): string {
  return `${String(now.getTime()).padStart(15, '0')}-${random}`;
}

/** A new avatar cloudPath for the user, and its rank. */
export function newAvatarFile(openid: string, extension: AvatarExtension, now: Date): OwnedFile {
  const random = randomBytes(4).toString('hex');
  return {
    path: `avatars/${openid}/${now.getTime()}-${random.slice(0, 6)}.${extension}`,
    rank: rankAt(now, random),
    at: now,
  };
}

/**
 * Every file the user owns, as fileIDs: the avatar, the tracked files (a reserved path is resolved with the bucket
 * of another known fileID, or the environment's), and legacy orphans. Paths that cannot be resolved are logged:
 * 注销 must complete, and such a path was reserved but never confirmed by a save, so it may not even exist.
 */
export function allFileIDs(user: UserDocument, env: string | undefined): string[] {
  const ids = new Set<string>();
  if (user.avatarUrl) ids.add(user.avatarUrl);
  for (const id of user.orphanedFiles ?? []) ids.add(id);
  for (const { file } of ownedFiles(user)) {
    const fileID = file.fileID ?? resolveFileID(user, env, file.path);
    if (fileID) ids.add(fileID);
    else log.warn('account', 'FILE_UNRESOLVED', { reason: 'bucket unknown' });
  }
  return [...ids];
}

/** The fileID of a tracked path: the environment's bucket, or the bucket of a fileID the user already has. */
export function resolveFileID(user: UserDocument, env: string | undefined, path: string): string | undefined {
  const known = [user.avatarUrl, ...ownedFiles(user).map(({ file }) => file.fileID)].find((id) => id && bucketOf(id));
  const envId = env ?? (known ? /^cloud:\/\/([^/.]+)\./.exec(known)?.[1] : undefined);
  const bucket = environmentBucket(envId) ?? (known ? bucketOf(known) : undefined);
  return envId && bucket ? `cloud://${envId}.${bucket}/${path}` : undefined;
}

/** `<bucket>` of `cloud://<env>.<bucket>/<path>`. */
function bucketOf(fileID: string): string | undefined {
  return /^cloud:\/\/[^/.]+\.([^/]+)\//.exec(fileID)?.[1];
}
