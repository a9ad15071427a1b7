/**
 * storage/: cloud storage as wx-server-sdk 4.0.2 sees it (@cloudbase/node-sdk 3.17.2, dist/storage/index.js):
 * - uploadFile: JSON action `storage.getUploadMetadata` {path, method:'put'} -> data {url, token, authorization,
 *   fileId, cosFileId}; then `PUT url` with the bytes and headers `authorization`, `Signature`,
 *   `x-cos-security-token` (= token), `x-cos-meta-fileid` (= cosFileId), `key`. The SDK ignores the status and
 *   only parses the body as XML: empty = ok, `<Error><Code/><Message/><RequestId/><TraceId/></Error>` = failure.
 * - getTempFileURL: `storage.batchGetDownloadUrl` {file_list:[{fileid, max_age?}]} -> data.download_list
 *   [{fileID, tempFileURL (not percent-encoded), code}]; a per-file code other than SUCCESS becomes
 *   status TCB_ERR_CODE[code] (STORAGE_FILE_NONEXIST -> -503003) with tempFileURL ''.
 * - deleteFile: `storage.batchDeleteFile` {fileid_list} -> data.delete_list [{fileID, code}].
 * Item shapes follow node-sdk's own typings (types/index.d.ts IFileUrlInfo, IDeleteFileResult).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { Mutex } from '../database/store';
import { FaultInjector } from '../faults';
import { BODY_LIMITS, BodyTooLarge, readBody } from '../http/body';
import { DiskBackend, MemoryBackend } from './backend';
import type { ObjectMeta, StorageBackend } from './backend';
import { bucketOf, cloudPathProblem, encodeCloudPath, fileIdOf, parseFileId } from './paths';

export interface DevStorageOptions {
  /** Directory for stored files; absent: in memory. */
  dir?: string;
  envId: string;
  appId: string;
  /** Where upload and download URLs point, e.g. http://127.0.0.1:PORT/storage (no trailing slash needed). */
  publicBaseUrl: string;
  /** devcloud's fault model: byte transfers (`storage.put`, `storage.get`) run through it. */
  faults?: FaultInjector;
}

/** A failure of a whole storage action; the server replies `{requestId, code, message}`. */
export class StorageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export interface StoredFileInfo {
  fileID: string;
  cloudPath: string;
  size: number;
  ownerOpenid?: string;
  uploadedAt: number;
}

/** Which function (and whose invocation) makes a storage call, when the server knows it. */
export interface StorageCaller {
  functionName?: string;
  openid?: string;
}

interface PendingUpload {
  cloudPath: string;
  authorization: string;
  cosFileId: string;
  expiresAt: number;
  /** Who asked for the upload metadata: the PUT that follows is theirs. */
  caller: StorageCaller;
}

/** A raw HTTP answer of the storage URLs (a COS-like object store). */
export interface StorageHttpReply {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** A byte transfer on a storage URL: `storage.put` (an upload's PUT) or `storage.get` (a download). */
export interface StorageTransfer {
  action: 'storage.put' | 'storage.get';
  caller: StorageCaller;
}

/** Every storage call devcloud answers: the SDK's JSON actions and the byte transfers on the storage URLs. */
export const STORAGE_ACTIONS: readonly string[] = [
  'storage.getUploadMetadata',
  'storage.batchGetDownloadUrl',
  'storage.batchDeleteFile',
  'storage.put',
  'storage.get',
];

/** Why a phone's write was refused: CloudBase's default rule lets only a file's creator write it. */
export const STORAGE_PERMISSION_DENIED = 'STORAGE_PERMISSION_DENIED';

/** How long upload metadata stays valid (the real one is short-lived too). */
const UPLOAD_TTL_MS = 10 * 60 * 1000;
/** Default life of a temp URL when the caller gives no maxAge. */
const DEFAULT_MAX_AGE_S = 24 * 60 * 60;
/** Largest upload accepted in one PUT: devcloud's own limit (COS takes 5 GB), as the whole body is held in memory. */
export const MAX_UPLOAD_BYTES = BODY_LIMITS.file;

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  mp4: 'video/mp4',
  mp3: 'audio/mpeg',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function contentTypeOf(cloudPath: string): string {
  const ext = cloudPath.slice(cloudPath.lastIndexOf('.') + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function headerText(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

export class DevStorage {
  private readonly backend: StorageBackend;
  private readonly envId: string;
  private readonly bucket: string;
  private readonly baseUrl: string;
  /** Signs temp URLs, so a download needs a URL this instance handed out. */
  private readonly signKey = randomBytes(32);
  private readonly pending = new Map<string, PendingUpload>();
  /** Phones' writes check the owner and write as one step, so two users racing for a path cannot both win. */
  private readonly userWrites = new Mutex();
  private readonly faults: FaultInjector;

  constructor(options: DevStorageOptions) {
    this.backend = options.dir ? new DiskBackend(options.dir) : new MemoryBackend();
    this.envId = options.envId;
    this.bucket = bucketOf(options.envId, options.appId);
    this.baseUrl = options.publicBaseUrl.replace(/\/+$/, '');
    this.faults = options.faults ?? new FaultInjector();
  }

  /** JSON actions from the SDK. Returns the reply fields next to requestId; throws StorageError. */
  async handle(
    action: string,
    body: Record<string, unknown>,
    caller: StorageCaller = {},
  ): Promise<Record<string, unknown>> {
    this.checkEnv(body['envName']);
    switch (action) {
      case 'storage.getUploadMetadata':
        return { data: this.uploadMetadata(body, caller) };
      case 'storage.batchGetDownloadUrl':
        return { data: { download_list: await this.downloadList(body['file_list']) } };
      case 'storage.batchDeleteFile':
        return { data: { delete_list: await this.deleteList(body['fileid_list']) } };
      default:
        throw new StorageError('INVALID_PARAM', `unsupported storage action: ${action}`);
    }
  }

  /**
   * Raw HTTP under publicBaseUrl: PUT uploads, GET/HEAD downloads. `pathAfterBase` is the request URL after
   * the base path (e.g. "/7465-test-env-wx123/a.png"), its query included or else taken from req.url.
   * False: not a path of ours.
   */
  async serve(req: IncomingMessage, res: ServerResponse, pathAfterBase: string): Promise<boolean> {
    const transfer = this.describeTransfer(req, pathAfterBase);
    if (!transfer) return false;
    // A fault of mode 'reset' or 'lost' throws DroppedConnection: the server destroys the connection.
    const reply = await this.faults.run(
      { target: 'storage', action: transfer.action, ...transfer.caller },
      {
        apply: async () =>
          (await this.respond(req, pathAfterBase)) ?? xmlError(404, 'NoSuchBucket', 'No such bucket.', pathAfterBase),
        refuse: (code) => {
          req.resume(); // the upload's bytes are not wanted
          const cosCode = typeof code === 'string' ? code : 'InternalError';
          return xmlError(500, cosCode, 'devcloud: injected storage fault', pathAfterBase);
        },
        outcomeOf: (reply) => (reply.status < 400 ? 'ok' : 'error'),
      },
    );
    res.writeHead(reply.status, reply.headers).end(req.method === 'HEAD' ? undefined : reply.body);
    return true;
  }

  /** What serve() answers, without writing it (undefined: not a path of ours). */
  private async respond(req: IncomingMessage, pathAfterBase: string): Promise<StorageHttpReply | undefined> {
    const url = this.urlOf(req, pathAfterBase);
    const prefix = `/${this.bucket}/`;
    if (!url.pathname.startsWith(prefix)) return undefined;
    let cloudPath: string;
    try {
      cloudPath = decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      req.resume();
      return xmlError(400, 'InvalidURI', 'Could not parse the specified URI.', url.pathname);
    }
    if (req.method === 'PUT') return this.receiveUpload(req, cloudPath);
    if (req.method === 'GET' || req.method === 'HEAD') return this.sendDownload(cloudPath, url);
    req.resume();
    return xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed.', cloudPath);
  }

  /** The transfer a request on the storage URLs is (undefined: not a path of ours), and whose upload it is. */
  private describeTransfer(req: IncomingMessage, pathAfterBase: string): StorageTransfer | undefined {
    if (!this.urlOf(req, pathAfterBase).pathname.startsWith(`/${this.bucket}/`)) return undefined;
    if (req.method !== 'PUT') return { action: 'storage.get', caller: {} };
    const upload = this.pending.get(headerText(req, 'x-cos-security-token'));
    return { action: 'storage.put', caller: upload ? { ...upload.caller } : {} };
  }

  /** A server-side write (or a test's): stores the bytes, owned by `ownerOpenid` when given; returns the fileID. */
  async putFile(cloudPath: string, bytes: Buffer, ownerOpenid?: string): Promise<string> {
    this.checkCloudPath(cloudPath);
    const meta: ObjectMeta = { cloudPath, size: bytes.length, uploadedAt: Date.now() };
    if (ownerOpenid !== undefined) meta.ownerOpenid = ownerOpenid;
    await this.backend.put(meta, bytes);
    return this.fileIdOf(cloudPath);
  }

  /**
   * wx.cloud.uploadFile from a phone, under CloudBase's default storage rule ("all users read, only the creator
   * reads and writes"): a path holding someone else's file (another user's, or one a function wrote) is refused
   * with STORAGE_PERMISSION_DENIED and keeps its bytes and owner. Returns the fileID.
   */
  async putFileAsUser(cloudPath: string, bytes: Buffer, openid: string): Promise<string> {
    this.checkCloudPath(cloudPath);
    return this.userWrites.run(async () => {
      const existing = await this.backend.stat(cloudPath);
      if (existing && existing.ownerOpenid !== openid)
        throw new StorageError(STORAGE_PERMISSION_DENIED, `${cloudPath} belongs to another user`);
      return this.putFile(cloudPath, bytes, openid);
    });
  }

  /**
   * wx.cloud.deleteFile from a phone, one file, under the same rule: only the creator deletes. Answers the per-file
   * status the client SDK reports (0, -503002 permission denied, -503003 no such file, or the fileID's own code).
   */
  async deleteFileAsUser(fileID: string, openid: string): Promise<{ status: number; errMsg: string }> {
    const parsed = parseFileId(fileID, this.envId, this.bucket);
    // wx-server-sdk's table: STORAGE_EXCEED_AUTHORITY (another env's file) is -503002; a malformed id stays -503003.
    if (!parsed.ok)
      return { status: parsed.code === 'STORAGE_EXCEED_AUTHORITY' ? -503002 : -503003, errMsg: parsed.code };
    return this.userWrites.run(async () => {
      const existing = await this.backend.stat(parsed.cloudPath);
      if (!existing) return { status: -503003, errMsg: 'storage file not exists' };
      if (existing.ownerOpenid !== openid) return { status: -503002, errMsg: 'storage permission denied' };
      await this.backend.delete(parsed.cloudPath);
      return { status: 0, errMsg: 'ok' };
    });
  }

  /** Every stored file with its size, owner and upload time, sorted by fileID. */
  async files(): Promise<StoredFileInfo[]> {
    const metas = await this.backend.list();
    return metas
      .map((meta) => ({ fileID: this.fileIdOf(meta.cloudPath), ...meta }))
      .sort((a, b) => (a.fileID < b.fileID ? -1 : a.fileID > b.fileID ? 1 : 0));
  }

  /** Stored fileIDs, sorted. */
  async list(): Promise<string[]> {
    const metas = await this.backend.list();
    return metas.map((meta) => this.fileIdOf(meta.cloudPath)).sort();
  }

  async read(fileID: string): Promise<Buffer | undefined> {
    const parsed = parseFileId(fileID, this.envId, this.bucket);
    return parsed.ok ? this.backend.get(parsed.cloudPath) : undefined;
  }

  /** Size and owner of a stored file (for security-rule checks and tests). */
  async stat(fileID: string): Promise<StoredFileInfo | undefined> {
    const parsed = parseFileId(fileID, this.envId, this.bucket);
    const meta = parsed.ok ? await this.backend.stat(parsed.cloudPath) : undefined;
    return meta && { fileID, ...meta };
  }

  private urlOf(req: IncomingMessage, pathAfterBase: string): URL {
    // Concatenated, not resolved: a path starting with "//" must not become a host name.
    const url = new URL(`http://storage.invalid${pathAfterBase}`);
    if (!pathAfterBase.includes('?')) url.search = new URL(`http://storage.invalid${req.url ?? '/'}`).search;
    return url;
  }

  private fileIdOf(cloudPath: string): string {
    return fileIdOf(this.envId, this.bucket, cloudPath);
  }

  private checkEnv(envName: unknown): void {
    // The SDK always sends envName; '' means "default env", which is this one.
    if (typeof envName === 'string' && envName !== '' && envName !== this.envId) {
      throw new StorageError('INVALID_ENV', `env ${envName} does not exist (this devcloud serves ${this.envId})`);
    }
  }

  private checkCloudPath(cloudPath: string): void {
    const problem = cloudPathProblem(cloudPath);
    if (problem !== undefined) throw new StorageError('INVALID_PARAM', problem);
  }

  private uploadMetadata(body: Record<string, unknown>, caller: StorageCaller): Record<string, string> {
    const cloudPath = body['path'];
    if (typeof cloudPath !== 'string') throw new StorageError('INVALID_PARAM', 'path must be a string');
    this.checkCloudPath(cloudPath);
    // Only the PUT form is served; node-sdk always asks for it.
    if (body['method'] !== undefined && body['method'] !== 'put') {
      throw new StorageError('INVALID_PARAM', `unsupported upload method: ${JSON.stringify(body['method'])}`);
    }
    this.prunePending();
    const token = randomBytes(24).toString('hex');
    const upload: PendingUpload = {
      cloudPath,
      authorization: `q-sign-algorithm=sha1&q-ak=devcloud&q-signature=${randomBytes(20).toString('hex')}`,
      cosFileId: randomBytes(24).toString('base64url'),
      expiresAt: Date.now() + UPLOAD_TTL_MS,
      caller: { ...caller },
    };
    this.pending.set(token, upload);
    return {
      url: `${this.baseUrl}/${this.bucket}/${encodeCloudPath(cloudPath)}`,
      token,
      authorization: upload.authorization,
      fileId: this.fileIdOf(cloudPath),
      cosFileId: upload.cosFileId,
    };
  }

  private prunePending(): void {
    const now = Date.now();
    for (const [token, upload] of this.pending) if (upload.expiresAt <= now) this.pending.delete(token);
  }

  private async downloadList(fileList: unknown): Promise<Record<string, unknown>[]> {
    if (!Array.isArray(fileList)) throw new StorageError('INVALID_PARAM', 'file_list must be an array');
    return Promise.all(fileList.map((item: unknown) => this.downloadItem(item)));
  }

  private async downloadItem(item: unknown): Promise<Record<string, unknown>> {
    const fileID = isRecord(item) && typeof item['fileid'] === 'string' ? item['fileid'] : '';
    const parsed = parseFileId(fileID, this.envId, this.bucket);
    if (!parsed.ok) return { fileID, tempFileURL: '', code: parsed.code };
    if (!(await this.backend.stat(parsed.cloudPath))) return { fileID, tempFileURL: '', code: 'STORAGE_FILE_NONEXIST' };
    const maxAge =
      isRecord(item) && typeof item['max_age'] === 'number' && item['max_age'] > 0
        ? item['max_age']
        : DEFAULT_MAX_AGE_S;
    // maxAge: wx-server-sdk copies f.maxAge into its result (index.js provider getTempFileURL) and types it.
    return { fileID, tempFileURL: this.tempUrl(parsed.cloudPath, maxAge), maxAge, code: 'SUCCESS' };
  }

  private async deleteList(fileidList: unknown): Promise<Record<string, unknown>[]> {
    if (!Array.isArray(fileidList)) throw new StorageError('INVALID_PARAM', 'fileid_list must be an array');
    return Promise.all(fileidList.map((item: unknown) => this.deleteItem(typeof item === 'string' ? item : '')));
  }

  private async deleteItem(fileID: string): Promise<Record<string, unknown>> {
    const parsed = parseFileId(fileID, this.envId, this.bucket);
    if (!parsed.ok) return { fileID, code: parsed.code };
    const deleted = await this.backend.delete(parsed.cloudPath);
    return { fileID, code: deleted ? 'SUCCESS' : 'STORAGE_FILE_NONEXIST' };
  }

  /** Like tcb.qcloud.la links: raw (not percent-encoded) path, `sign` and expiry `t` in the query. */
  private tempUrl(cloudPath: string, maxAgeSeconds: number): string {
    const t = Math.floor(Date.now() / 1000) + Math.floor(maxAgeSeconds);
    return `${this.baseUrl}/${this.bucket}/${cloudPath}?sign=${this.sign(cloudPath, t)}&t=${t}`;
  }

  private sign(cloudPath: string, t: number): string {
    return createHmac('sha256', this.signKey).update(`${cloudPath}\n${t}`).digest('hex').slice(0, 32);
  }

  private async receiveUpload(req: IncomingMessage, cloudPath: string): Promise<StorageHttpReply> {
    const upload = this.pending.get(headerText(req, 'x-cos-security-token'));
    const authorized =
      upload !== undefined &&
      upload.expiresAt > Date.now() &&
      upload.cloudPath === cloudPath &&
      sameSecret(headerText(req, 'authorization'), upload.authorization) &&
      headerText(req, 'x-cos-meta-fileid') === upload.cosFileId;
    if (!authorized) {
      req.resume();
      return xmlError(403, 'AccessDenied', 'Access Denied.', cloudPath);
    }
    const bytes = await readBody(req, MAX_UPLOAD_BYTES).catch((error: unknown) =>
      error instanceof BodyTooLarge ? undefined : Promise.reject(error),
    );
    if (!bytes) {
      // COS's code for an object over its limit; 413 and a closed connection, as every body over its limit.
      const reply = xmlError(
        413,
        'EntityTooLarge',
        'Your proposed upload exceeds the maximum allowed object size.',
        cloudPath,
      );
      return { ...reply, headers: { ...reply.headers, connection: 'close' } };
    }
    await this.backend.put({ cloudPath, size: bytes.length, uploadedAt: Date.now() }, bytes);
    return { status: 200, headers: { 'content-length': '0', etag: `"${randomBytes(16).toString('hex')}"` } };
  }

  private async sendDownload(cloudPath: string, url: URL): Promise<StorageHttpReply> {
    const t = Number(url.searchParams.get('t'));
    const sign = url.searchParams.get('sign') ?? '';
    if (!Number.isInteger(t) || !sameSecret(sign, this.sign(cloudPath, t)))
      return xmlError(403, 'AccessDenied', 'Access Denied.', cloudPath);
    if (t < Date.now() / 1000) return xmlError(403, 'AccessDenied', 'Request has expired.', cloudPath);
    const bytes = await this.backend.get(cloudPath);
    if (!bytes) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.', cloudPath);
    return {
      status: 200,
      headers: { 'content-type': contentTypeOf(cloudPath), 'content-length': String(bytes.length) },
      body: bytes,
    };
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A COS-style XML error. node-sdk destructures Code, Message, RequestId and TraceId, so all four are sent. */
export function xmlError(status: number, code: string, message: string, resource: string): StorageHttpReply {
  const id = randomUUID();
  const xml =
    `<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message><Resource>${escapeXml(resource)}</Resource>` +
    `<RequestId>${id}</RequestId><TraceId>${id}</TraceId></Error>`;
  return {
    status,
    headers: { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) },
    body: xml,
  };
}
