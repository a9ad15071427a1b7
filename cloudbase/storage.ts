import { cloud } from './cloud';

/**
 * Cloud storage as the account function uses it. Status codes are wx-server-sdk's (TCB_ERR_CODE): a per-file
 * STORAGE_FILE_NONEXIST becomes status -503003 with errMsg 'storage file not exists', a file of another environment
 * or bucket STORAGE_EXCEED_AUTHORITY -503002, a malformed fileID INVALID_PARAM -501007. Branch on the status, never
 * on the message text.
 */
export const FILE_NOT_FOUND = -503003;
const NOT_IN_OUR_STORAGE = new Set([FILE_NOT_FOUND, -503002, -501007]);

/** What cloud.deleteFile and cloud.getTempFileURL resolve to (their typings also allow void, for the callback form). */
interface FileListReply {
  fileList: Array<{ fileID: string; status: number; errMsg?: string; tempFileURL?: string }>;
}

/** CloudBase deletes at most 50 files per call. */
const DELETE_BATCH = 50;

export interface DeleteOutcome {
  /** Deleted now, already gone, or never in this environment's storage: either way nothing of ours is left. */
  gone: string[];
  failed: Array<{ fileID: string; status: number }>;
}

/**
 * Deletes files, idempotently: a file that is already gone counts as deleted, so a retry after any fault (a lost
 * reply, a concurrent delete, the user removing their own upload) converges instead of failing forever.
 * A failure of the whole call (network, reset) rejects: nothing is known then.
 */
export async function deleteFiles(fileIDs: readonly string[]): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { gone: [], failed: [] };
  for (let start = 0; start < fileIDs.length; start += DELETE_BATCH) {
    const batch = fileIDs.slice(start, start + DELETE_BATCH);
    const { fileList } = (await cloud.deleteFile({ fileList: [...batch] })) as FileListReply;
    for (const fileID of batch) {
      const status = fileList.find((entry) => entry.fileID === fileID)?.status ?? -1;
      if (status === 0 || NOT_IN_OUR_STORAGE.has(status)) outcome.gone.push(fileID);
      else outcome.failed.push({ fileID, status });
    }
  }
  return outcome;
}

/**
 * Whether the file exists in this environment's storage, asked of the service itself: a fileID naming another
 * bucket or environment, or a file never uploaded, is not ours to keep. Rejects when the service cannot be asked.
 */
export async function fileExists(fileID: string): Promise<boolean> {
  const { fileList } = (await cloud.getTempFileURL({ fileList: [fileID] })) as FileListReply;
  return fileList[0]?.status === 0;
}

/**
 * This environment's bucket, as CloudBase names it: `<hex of the env id's first two characters>-<env>-<appid>`, the
 * appid being the Tencent Cloud account's (TENCENTCLOUD_APPID, set by the SCF runtime). Undefined when unknown.
 */
export function environmentBucket(env: string | undefined): string | undefined {
  const accountAppId = process.env.TENCENTCLOUD_APPID;
  if (!env || !accountAppId) return undefined;
  return `${Buffer.from(env.slice(0, 2)).toString('hex')}-${env}-${accountAppId}`;
}
