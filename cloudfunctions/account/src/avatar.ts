/**
 * Avatars live at avatars/<OPENID>/<millis>-<random>.<ext> (services/account.ts names them so) in this
 * environment's bucket. Anything else is refused: the fileID is later handed to deleteFile with admin rights, so
 * dot segments, encoded separators or another environment's bucket must never pass.
 */
const AVATAR_FILE = /^[0-9]{10,16}-[a-z0-9]{1,8}\.[A-Za-z0-9]{1,5}$/;

export function isOwnAvatar(fileID: string, identity: { openid: string; env?: string }): boolean {
  const match = /^cloud:\/\/([A-Za-z0-9-]+)\.[A-Za-z0-9-]+\/avatars\/([^/]+)\/([^/]+)$/.exec(fileID);
  if (!match) return false;
  const [, env, owner, file] = match;
  return owner === identity.openid && (!identity.env || env === identity.env) && AVATAR_FILE.test(file ?? '');
}
