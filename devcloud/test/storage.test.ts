/**
 * devcloud storage against the REAL wx-server-sdk: uploadFile, getTempFileURL, deleteFile as a cloud function
 * makes them, served by a small local CloudBase (one http server in this file).
 */
import { mkdtemp, rm } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import cloud from 'wx-server-sdk';
import { DevStorage, StorageError } from '../storage';
import type { CloudbaseHarness, CloudbaseRoute } from './support/cloudbase-harness';
import { actionReply, httpRequest, jsonReply, readJson, startCloudbaseHarness } from './support/cloudbase-harness';

const ENV = 'test-env';
const APPID = 'wx0123456789abcdef';
/** bucketOf('test-env', APPID): "te" is 0x74 0x65. */
const BUCKET = `7465-${ENV}-${APPID}`;

let harness: CloudbaseHarness;
let baseUrl: string;
let storage: DevStorage;
/** When set, the upload metadata reaching the SDK carries a wrong token, so the PUT is refused. */
let tamperUploadToken = false;

function errorCode(err: unknown): string {
  return err instanceof StorageError ? err.code : 'SYS_ERR';
}

/** The CloudBase API as the SDK sees it: JSON actions on /fn/<name>/admin, raw storage URLs under /storage. */
const route: CloudbaseRoute = async (req, res, { url, functionName }) => {
  if (functionName) {
    const body = await readJson(req);
    const reply = await actionReply(
      'req-1',
      async () => {
        const fields = await storage.handle(String(body['action']), body);
        if (tamperUploadToken && body['action'] === 'storage.getUploadMetadata') {
          return { ...fields, data: { ...(fields['data'] as Record<string, unknown>), token: 'wrong' } };
        }
        return fields;
      },
      errorCode,
    );
    jsonReply(res, reply);
    return;
  }
  const after = (req.url ?? '').slice('/storage'.length);
  if (url.pathname.startsWith('/storage/') && (await storage.serve(req, res, after))) return;
  res.writeHead(404).end();
};

beforeAll(async () => {
  harness = await startCloudbaseHarness({ env: ENV, route });
  baseUrl = harness.baseUrl;
  storage = new DevStorage({ envId: ENV, appId: APPID, publicBaseUrl: `${baseUrl}/storage` });
});

afterAll(() => harness.close());

beforeEach(() => harness.asFunction('uploader'));

async function tempUrls(
  fileList: string[],
): Promise<Array<{ fileID: string; tempFileURL: string; status: number; errMsg: string; maxAge: number }>> {
  const result = await cloud.getTempFileURL({ fileList });
  if (!result) throw new Error('getTempFileURL returned nothing');
  return result.fileList;
}

async function deleteFiles(fileList: string[]): Promise<Array<{ fileID: string; status: number; errMsg: string }>> {
  const result = await cloud.deleteFile({ fileList });
  if (!result) throw new Error('deleteFile returned nothing');
  return result.fileList;
}

describe('uploadFile -> getTempFileURL -> download -> deleteFile with the real SDK', () => {
  const cloudPath = 'avatars/头像 1.png';
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
  const expectedFileId = `cloud://${ENV}.${BUCKET}/${cloudPath}`;

  it('runs the whole life of a file', async () => {
    const uploaded = await cloud.uploadFile({ cloudPath, fileContent: bytes });
    expect(uploaded.fileID).toBe(expectedFileId);
    expect(uploaded.errMsg).toBe('uploadFile:ok');
    expect(await storage.list()).toEqual([expectedFileId]);
    expect(await storage.read(expectedFileId)).toEqual(bytes);
    expect((await storage.stat(expectedFileId))?.ownerOpenid).toBeUndefined(); // a server-side upload has no owner

    const [link] = await tempUrls([expectedFileId]);
    expect(link).toMatchObject({ fileID: expectedFileId, status: 0, errMsg: 'ok', maxAge: 86400 });
    // Not percent-encoded, like the real service; HTTP clients encode it (node-sdk downloadFile uses encodeURI).
    expect(link?.tempFileURL.startsWith(`${baseUrl}/storage/${BUCKET}/${cloudPath}?sign=`)).toBe(true);

    const download = await httpRequest('GET', encodeURI(link?.tempFileURL ?? ''));
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('image/png');
    expect(download.body).toEqual(bytes);

    const downloaded = await cloud.downloadFile({ fileID: expectedFileId });
    expect(downloaded.fileContent).toEqual(bytes);

    const deleted = await deleteFiles([expectedFileId]);
    expect(deleted).toEqual([{ fileID: expectedFileId, status: 0, errMsg: 'ok' }]);
    expect(await storage.list()).toEqual([]);
    expect(await storage.read(expectedFileId)).toBeUndefined();

    const [missing] = await tempUrls([expectedFileId]);
    expect(missing).toMatchObject({ fileID: expectedFileId, status: -503003, tempFileURL: '' });
    expect((await httpRequest('GET', encodeURI(link?.tempFileURL ?? ''))).status).toBe(404);
    expect(await deleteFiles([expectedFileId])).toEqual([
      { fileID: expectedFileId, status: -503003, errMsg: 'storage file not exists' },
    ]);
  });

  it('puts the service per-file code on the wire for a missing file', async () => {
    const reply = await storage.handle('storage.batchGetDownloadUrl', {
      envName: ENV,
      file_list: [{ fileid: expectedFileId }],
    });
    expect(reply).toEqual({
      data: { download_list: [{ fileID: expectedFileId, tempFileURL: '', code: 'STORAGE_FILE_NONEXIST' }] },
    });
    const deleted = await storage.handle('storage.batchDeleteFile', { envName: ENV, fileid_list: [expectedFileId] });
    expect(deleted).toEqual({ data: { delete_list: [{ fileID: expectedFileId, code: 'STORAGE_FILE_NONEXIST' }] } });
  });
});

describe('refusals', () => {
  it('refuses a download URL without a valid signature', async () => {
    const fileID = await storage.putFile('private/a.txt', Buffer.from('secret'));
    const [link] = await tempUrls([fileID]);
    const unsigned = `${baseUrl}/storage/${BUCKET}/private/a.txt`;
    expect((await httpRequest('GET', unsigned)).status).toBe(403);
    const forged = (link?.tempFileURL ?? '').replace(/sign=[0-9a-f]+/, 'sign=00000000000000000000000000000000');
    expect((await httpRequest('GET', forged)).status).toBe(403);
    expect((await httpRequest('GET', link?.tempFileURL ?? '')).body.toString()).toBe('secret');
    await deleteFiles([fileID]);
  });

  it('refuses an upload PUT without the metadata the service handed out', async () => {
    const reply = await httpRequest('PUT', `${baseUrl}/storage/${BUCKET}/x.txt`, {}, Buffer.from('nope'));
    expect(reply.status).toBe(403);
    expect(reply.body.toString()).toContain('<Code>AccessDenied</Code>');
    expect(await storage.list()).toEqual([]);
  });

  it('binds upload metadata to its cloudPath', async () => {
    const meta = await storage.handle('storage.getUploadMetadata', { envName: ENV, path: 'a/one.txt', method: 'put' });
    const data = meta['data'] as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['authorization', 'cosFileId', 'fileId', 'token', 'url']);
    expect(Object.values(data).every((v) => typeof v === 'string')).toBe(true);
    const headers = {
      authorization: data['authorization'],
      'x-cos-security-token': data['token'],
      'x-cos-meta-fileid': data['cosFileId'],
    };
    const elsewhere = await httpRequest('PUT', `${baseUrl}/storage/${BUCKET}/a/two.txt`, headers, Buffer.from('x'));
    expect(elsewhere.status).toBe(403);
    const ok = await httpRequest('PUT', data['url'] ?? '', headers, Buffer.from('one'));
    expect(ok.status).toBe(200);
    expect(ok.body.length).toBe(0);
    expect(await storage.read(data['fileId'] ?? '')).toEqual(Buffer.from('one'));
    await deleteFiles([data['fileId'] ?? '']);
  });

  it('answers a refused PUT with COS XML, which the SDK turns into STORAGE_REQUEST_FAIL', async () => {
    tamperUploadToken = true;
    try {
      const rejection: unknown = await cloud
        .uploadFile({ cloudPath: 'x.txt', fileContent: Buffer.from('x') })
        .catch((e: unknown) => e);
      expect(rejection).toMatchObject({ errCode: -1, code: 'STORAGE_REQUEST_FAIL' });
      expect((rejection as Error).message).toContain('[AccessDenied]');
    } finally {
      tamperUploadToken = false;
    }
    expect(await storage.list()).toEqual([]);
  });

  it('rejects a bad cloudPath through the SDK with the service code in e.code (errCode collapses to -1)', async () => {
    const rejection: unknown = await cloud
      .uploadFile({ cloudPath: '../escape.txt', fileContent: Buffer.from('x') })
      .catch((e: unknown) => e);
    expect(rejection).toMatchObject({ errCode: -1, code: 'INVALID_PARAM' });
    expect(await storage.list()).toEqual([]);
  });

  it('reports fileIDs of another env or bucket per file', async () => {
    const foreign = `cloud://other-env.6f74-other-env-${APPID}/a.png`;
    const [item] = await tempUrls([foreign]);
    expect(item).toMatchObject({ fileID: foreign, status: -503002, tempFileURL: '' });
  });

  it('rejects a call for another env and an unknown action', async () => {
    await expect(
      storage.handle('storage.batchDeleteFile', { envName: 'other-env', fileid_list: [] }),
    ).rejects.toMatchObject({ code: 'INVALID_ENV' });
    await expect(storage.handle('storage.nope', { envName: ENV })).rejects.toMatchObject({ code: 'INVALID_PARAM' });
    await expect(storage.handle('storage.batchGetDownloadUrl', { envName: ENV, file_list: 'x' })).rejects.toMatchObject(
      { code: 'INVALID_PARAM' },
    );
  });
});

describe('putFile (the device upload) and the directory backend', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devcloud-storage-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps the owner and survives a restart when given a directory', async () => {
    const first = new DevStorage({ dir, envId: ENV, appId: APPID, publicBaseUrl: `${baseUrl}/storage` });
    const fileID = await first.putFile('users/o1/avatar.jpg', Buffer.from('jpeg'), 'openid-1');
    await first.putFile('users/o1', Buffer.from('a key that is also a prefix'), 'openid-1');
    expect(fileID).toBe(`cloud://${ENV}.${BUCKET}/users/o1/avatar.jpg`);

    const second = new DevStorage({ dir, envId: ENV, appId: APPID, publicBaseUrl: `${baseUrl}/storage` });
    expect(await second.list()).toEqual([`cloud://${ENV}.${BUCKET}/users/o1`, fileID]);
    expect(await second.read(fileID)).toEqual(Buffer.from('jpeg'));
    expect(await second.stat(fileID)).toMatchObject({
      cloudPath: 'users/o1/avatar.jpg',
      size: 4,
      ownerOpenid: 'openid-1',
    });
    const reply = await second.handle('storage.batchDeleteFile', { envName: ENV, fileid_list: [fileID] });
    expect(reply).toEqual({ data: { delete_list: [{ fileID, code: 'SUCCESS' }] } });
    expect(await first.read(fileID)).toBeUndefined();
  });

  it('refuses paths that could escape the directory', async () => {
    const disk = new DevStorage({ dir, envId: ENV, appId: APPID, publicBaseUrl: `${baseUrl}/storage` });
    for (const bad of ['/abs.txt', 'a/../b', 'a//b', 'a\\b', '', 'dir/']) {
      await expect(disk.putFile(bad, Buffer.from('x'))).rejects.toMatchObject({ code: 'INVALID_PARAM' });
    }
  });
});
