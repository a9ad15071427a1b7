/**
 * Cloud paths, buckets and fileIDs.
 *
 * A real fileID is `cloud://<env>.<bucket>/<cloudPath>` with bucket `<hex of the env's first 2 chars>-<env>-<appid>`,
 * e.g. `cloud://prod-1a2b.7072-prod-1a2b-1250000000/avatars/u.png` ("pr" = 0x70 0x72).
 */

/** Longest cloudPath accepted: COS object keys are at most 850 bytes; keep well inside. */
const MAX_CLOUD_PATH = 850;

export function bucketOf(envId: string, appId: string): string {
  return `${Buffer.from(envId.slice(0, 2)).toString('hex')}-${envId}-${appId}`;
}

export function fileIdOf(envId: string, bucket: string, cloudPath: string): string {
  return `cloud://${envId}.${bucket}/${cloudPath}`;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Why a cloudPath is refused, or undefined when it is fine. Mirrors the documented rules (no leading "/",
 * no empty segment) and also refuses "." / ".." segments, backslashes and control characters, so a path can
 * never escape the storage directory or mean two different objects.
 */
export function cloudPathProblem(cloudPath: string): string | undefined {
  if (cloudPath.length === 0) return 'cloudPath is empty';
  if (Buffer.byteLength(cloudPath) > MAX_CLOUD_PATH) return `cloudPath is longer than ${MAX_CLOUD_PATH} bytes`;
  if (cloudPath.includes('\\') || hasControlCharacter(cloudPath))
    return 'cloudPath contains a control character or a backslash';
  const segments = cloudPath.split('/');
  if (segments.some((s) => s === '')) return 'cloudPath must not start or end with "/" nor contain "//"';
  if (segments.some((s) => s === '.' || s === '..')) return 'cloudPath must not contain "." or ".." segments';
  return undefined;
}

/** Percent-encodes each segment, keeping the slashes: the form of the upload URL the service returns. */
export function encodeCloudPath(cloudPath: string): string {
  return cloudPath.split('/').map(encodeURIComponent).join('/');
}

export type ParsedFileId = { ok: true; cloudPath: string } | { ok: false; code: string };

/**
 * The cloudPath of a fileID in this env's bucket. Another env or bucket gives STORAGE_EXCEED_AUTHORITY,
 * anything that is not a cloud:// fileID gives INVALID_PARAM (both per file, as batch replies carry them).
 */
export function parseFileId(fileID: string, envId: string, bucket: string): ParsedFileId {
  const match = /^cloud:\/\/([^/.]+)\.([^/]+)\/(.+)$/.exec(fileID);
  const [, env, fileBucket, cloudPath] = match ?? [];
  if (env === undefined || fileBucket === undefined || cloudPath === undefined)
    return { ok: false, code: 'INVALID_PARAM' };
  if (cloudPathProblem(cloudPath) !== undefined) return { ok: false, code: 'INVALID_PARAM' };
  if (env !== envId || fileBucket !== bucket) return { ok: false, code: 'STORAGE_EXCEED_AUTHORITY' };
  return { ok: true, cloudPath };
}
