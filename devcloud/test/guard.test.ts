/**
 * The control API's hardening (guard.ts): devcloud listens on loopback only, and refuses what a web page in a browser
 * on the same machine could send it: a cross-origin request (CSRF), a Host that is not its own (DNS rebinding) and
 * CORS preflights. Clients that send no Origin (curl, Node, wx-server-sdk, the simulated device) keep working.
 */
import * as http from 'http';
import { mkdtemp, mkdir, rm, writeFile } from 'fs/promises';
import { connect } from 'net';
import { networkInterfaces, tmpdir } from 'os';
import { createRequire } from 'module';
import { join } from 'path';
import type { DevCloud } from '../hub';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

/** A function that writes a document: what a forged request would like to trigger. */
const WRITER = `
  const cloud = require(${JSON.stringify(createRequire(__filename).resolve('wx-server-sdk'))});
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
  exports.main = async (event) => {
    await cloud.database().collection('guarded').add({ data: { tag: event.tag } });
    return 'written';
  };`;

let functionsDir: string;
let t: TestCloud;
let cloud: DevCloud;
let port: number;
beforeAll(async () => {
  functionsDir = await mkdtemp(join(tmpdir(), 'devcloud-guard-'));
  await mkdir(join(functionsDir, 'writer'));
  await writeFile(join(functionsDir, 'writer', 'index.js'), WRITER);
  t = await startTestCloud({ functionsDir, collections: ['guarded'] });
  cloud = t.cloud!;
  port = Number(new URL(cloud.url).port);
});
afterAll(async () => {
  await t?.stop();
  await rm(functionsDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** One request to devcloud on 127.0.0.1, with whatever headers a browser (or an attacker's page) would send. */
function request(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const EVIL = 'http://evil.example';

describe('cross-origin requests (CSRF)', () => {
  test('a cross-origin POST is refused with 403 and a JSON error, and runs nothing', async () => {
    const tag = uniqueUser('csrf');
    const invocations = cloud.runtime.stats.invocations;
    const reply = await request(
      'POST',
      '/devcloud/functions/invoke',
      { origin: EVIL },
      { name: 'writer', event: { tag }, user: 'mallory' },
    );
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    expect(reply.body).toEqual({ code: 'FORBIDDEN', message: expect.stringContaining(EVIL) as string });
    expect(cloud.runtime.stats.invocations).toBe(invocations);
    expect(await cloud.documents('guarded')).toEqual([]);
  });

  test('a cross-origin upload stores no file; the same upload without an Origin does', async () => {
    const user = uniqueUser('upload');
    const upload = { user, cloudPath: `guard/${user}.txt`, base64: Buffer.from('hello').toString('base64') };
    const before = await cloud.storage.list();
    const refused = await request('POST', '/devcloud/storage/upload', { origin: 'null' }, upload);
    expect(refused.status).toBe(403);
    expect(await cloud.storage.list()).toEqual(before);
    const accepted = await request('POST', '/devcloud/storage/upload', {}, upload);
    expect(accepted.status).toBe(200);
    expect(await cloud.storage.read(String(accepted.body.fileID))).toEqual(Buffer.from('hello'));
  });

  test('a cross-origin read of the database is refused too (and so is the SDK API)', async () => {
    expect((await request('GET', '/devcloud/db/guarded', { origin: EVIL })).status).toBe(403);
    const sdkCall = await request(
      'POST',
      '/fn/writer/admin',
      { origin: EVIL },
      { action: 'database.insertDocument', collectionName: 'guarded', data: ['{"tag":"forged"}'] },
    );
    expect(sdkCall.status).toBe(403);
    expect(await cloud.documents('guarded')).toEqual([]);
  });

  test("CORS preflights are refused, even ones claiming devcloud's own origin", async () => {
    for (const origin of [EVIL, `http://127.0.0.1:${port}`]) {
      const reply = await request('OPTIONS', '/devcloud/functions/invoke', {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      });
      expect(reply.status).toBe(403);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
      expect(reply.headers['access-control-allow-methods']).toBeUndefined();
    }
  });

  test("devcloud's own origin (127.0.0.1 or localhost) and requests without an Origin are served", async () => {
    for (const headers of [{ origin: `http://127.0.0.1:${port}` }, { origin: `http://localhost:${port}` }, {}] as Array<
      Record<string, string>
    >) {
      const tag = uniqueUser('own');
      const reply = await request('POST', '/devcloud/functions/invoke', headers, { name: 'writer', event: { tag } });
      expect(reply.status).toBe(200);
      expect(reply.body.result).toBe('written');
      expect((await cloud.documents('guarded')).some((doc) => doc.tag === tag)).toBe(true);
    }
  });
});

describe('DNS rebinding', () => {
  test('a Host other than 127.0.0.1:<port> or localhost:<port> is refused, and writes nothing', async () => {
    const tag = uniqueUser('rebind');
    const before = await cloud.documents('guarded');
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1:${port + 1}`,
      `localhost.evil.example:${port}`,
    ]) {
      const reply = await request('POST', '/devcloud/functions/invoke', { host }, { name: 'writer', event: { tag } });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ code: 'FORBIDDEN', message: expect.stringContaining('Host') as string });
      expect((await request('GET', '/devcloud/db/guarded', { host })).status).toBe(403);
    }
    expect(await cloud.documents('guarded')).toEqual(before);
  });

  test('localhost:<port> is devcloud too', async () => {
    const reply = await request('GET', '/devcloud/info', { host: `localhost:${port}` });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ url: cloud.url, appid: cloud.appid });
  });
});

test('devcloud listens on loopback only: another address of this machine is refused a connection', async () => {
  expect(new URL(cloud.url).hostname).toBe('127.0.0.1');
  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === 'IPv4' && !address.internal);
  if (!external) return; // a machine with loopback only: nothing else to try
  const outcome = await new Promise<string>((resolve) => {
    const socket = connect({ host: external.address, port }, () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
  expect(outcome).toBe('ECONNREFUSED');
});
