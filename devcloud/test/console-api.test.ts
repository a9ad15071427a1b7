/**
 * The console's control routes (console-api.ts), without a browser: the invocation history and its live stream,
 * users with their token claims, the WeChat fake's state, documents written as database calls (with their faults),
 * storage with previews, import and export in `--import`'s format; and that none of them shows a session key.
 * The page itself is driven in Chromium by the kit's test/browser/console.test.ts.
 */
import { generateKeyPairSync } from 'crypto';
import * as http from 'http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { exportCollections } from '../database/collections';
import type { DevCloud } from '../hub';
import { KIT_FUNCTIONS, startTestCloud, uniqueUser, type TestCloud } from './support/cloud';
import type { InvocationRecord } from '../protocol';

/** A 1 x 1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let t: TestCloud;
let cloud: DevCloud;
beforeAll(async () => {
  const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  t = await startTestCloud({
    functionEnv: { login: { AUTH_TOKEN_PRIVATE_KEY: privateKey } },
    // The collections the console writes to below exist, as if created in the CloudBase console.
    collections: [`console_docs_${process.pid}`, `console_io_${process.pid}`],
  });
  cloud = t.cloud!;
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

/** A raw request (the guard's view of it: Origin and Host as given). */
function request(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${cloud.url}${path}`,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (body: Buffer) => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

describe('the page', () => {
  test('GET /console serves the page, built from its sources, never to be framed or to load anything foreign', async () => {
    const page = await request('/console');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    const html = page.body.toString('utf8');
    expect(html).toContain('<a class="skip-link" href="#main">Skip to content</a>');
    expect(html).toContain('<html lang="en">');
    const script = await request('/console/app.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // Preact and the views, bundled: the page needs nothing from a network.
    const code = script.body.toString('utf8');
    expect(code).toContain('/devcloud/events');
    // No URL but the XML namespaces Preact names (SVG, MathML): everything the page loads is devcloud's.
    expect(code.replace(/http:\/\/www\.w3\.org\/[\w/.]+/g, '')).not.toMatch(/https?:\/\//);
    expect((await request('/console/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await request('/console/nothing.js')).status).toBe(404);
  });

  test('a foreign origin or Host is refused, the page and its routes alike, and nothing happens', async () => {
    const user = uniqueUser('forged');
    const foreign = { origin: 'http://evil.example' };
    expect((await request('/console', { headers: foreign })).status).toBe(403);
    const forged = await request('/devcloud/users/login', {
      method: 'POST',
      headers: { ...foreign, 'content-type': 'text/plain' },
      body: JSON.stringify({ user }),
    });
    expect(forged.status).toBe(403);
    expect(json(forged.body).code).toBe('FORBIDDEN');
    const port = new URL(cloud.url).port;
    expect((await request('/console', { headers: { host: `rebound.example:${port}` } })).status).toBe(403);
    expect((await t.control.simulatedUsers()).map((u) => u.name)).not.toContain(user);
    // Its own origin is served.
    const own = await request('/devcloud/users', { headers: { origin: cloud.url } });
    expect(own.status).toBe(200);
  });
});

describe('invocations', () => {
  test('a login is recorded with its caller, event, result and start; the history lists it by seq', async () => {
    const user = uniqueUser('history');
    const before = (await t.control.invocations()).latestSeq;
    const answer = await t.control.logInAs(user);
    expect(answer.report?.result).toMatchObject({ ok: true });
    const { invocations } = await t.control.invocations(before);
    const record = invocations.find((candidate) => candidate.caller.user === user)!;
    expect(record).toMatchObject({
      functionName: 'login',
      status: 'done',
      caller: { user, openid: (await t.control.user(user)).openid, source: 'wx_client' },
      result: { ok: true, data: { isNewUser: true } },
    });
    expect(typeof record.cold).toBe('boolean');
    expect(record.durationMs).toBeGreaterThan(0);
    expect((record.event as { code?: string }).code).toMatch(/^[0-9a-f]{32}$/);
    expect(record.seq).toBeGreaterThan(before);
    expect((await t.control.invocations(record.seq)).invocations.map((r) => r.seq)).not.toContain(record.seq);
  });

  test('a failed invocation keeps callFunction error; a missing function is recorded too', async () => {
    const report = await t.control.invoke('nosuchfunction', {}, uniqueUser());
    const record = (await t.control.invocations()).invocations.find((r) => r.requestId === report.requestId)!;
    expect(record.error?.errCode).toBe(-501000);
    expect(record.result).toBeUndefined();
  });
});

describe('a function of its own', () => {
  let dir: string;
  let own: TestCloud;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devcloud-console-'));
    await mkdir(join(dir, 'chatty'));
    // Writes lines (one across two writes) and waits, so that concurrent invocations interleave their output.
    await writeFile(
      join(dir, 'chatty', 'index.js'),
      `exports.main = async (event) => {
         console.log('start ' + event.tag);
         process.stdout.write('half of ' + event.tag);
         await new Promise((resolve) => setTimeout(resolve, event.ms || 0));
         process.stdout.write(' and the rest\\n');
         console.error('end ' + event.tag);
         return event.tag;
       };`,
    );
    own = await startTestCloud({ functionsDir: dir, maxInstancesPerFunction: 4 });
  });
  afterAll(async () => {
    await own.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('each invocation gets its own log lines, concurrent ones included, before its report is out', async () => {
    const tags = ['a', 'b', 'c', 'd', 'e', 'f'];
    const reports = await Promise.all(tags.map((tag, i) => own.control.invoke('chatty', { tag, ms: 20 * (i % 3) })));
    const { invocations } = await own.control.invocations();
    for (const [index, tag] of tags.entries()) {
      const record = invocations.find((r) => r.requestId === reports[index]!.requestId)!;
      expect(record.logs).toEqual([`start ${tag}`, `half of ${tag} and the rest`, `end ${tag}`]);
    }
  });

  test('a token a function logs, takes or returns is kept as neither: log lines, event and result redacted', async () => {
    const jws = `eyJhbGciOiJFZERTQSJ9.${Buffer.from('{"sub":"o"}').toString('base64url')}.c2lnbmF0dXJl`;
    const report = await own.control.invoke('chatty', { tag: `Bearer ${jws}` });
    expect(report.result).toBe(`Bearer ${jws}`); // the caller gets it as it was
    const record = (await own.control.invocations()).invocations.find((r) => r.requestId === report.requestId)!;
    expect(record.logs).toEqual([
      'start Bearer [redacted token]',
      'half of Bearer [redacted token] and the rest',
      'end Bearer [redacted token]',
    ]);
    expect(record.event).toEqual({ tag: { $redacted: `a token, ${jws.length + 7} characters` } });
    expect(record.result).toEqual({ $redacted: `a token, ${jws.length + 7} characters` });
  });

  test('a hostile event (3000 levels deep) runs as before; the history keeps 64 levels and says so', async () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 3000; level += 1) deep = { level: deep };
    const report = await own.control.invoke('chatty', { tag: 'deep', deep });
    expect(report.result).toBe('deep');
    const record = (await own.control.invocations()).invocations.find((r) => r.requestId === report.requestId)!;
    let shown = (record.event as { deep: unknown }).deep;
    for (let level = 1; level < 64; level += 1) shown = (shown as { level: unknown }).level;
    expect(shown).toEqual({ $redacted: 'nested deeper than 64 levels' });
  });

  test('the history is a bounded buffer: the newest 500 invocations', async () => {
    const capacity = (await own.control.invocations()).capacity;
    expect(capacity).toBe(500);
    for (let i = 0; i < capacity + 10; i += 1) await own.cloud!.runtime.invoke('chatty', { tag: `n${i}` }, {});
    const { invocations, latestSeq } = await own.control.invocations();
    expect(invocations).toHaveLength(capacity);
    expect(invocations.at(-1)!.seq).toBe(latestSeq);
    expect(invocations.at(-1)!.result).toBe(`n${capacity + 9}`);
    expect(invocations[0]!.seq).toBe(latestSeq - capacity + 1);
  });
});

/** Reads GET /devcloud/events until `until` holds for the events so far. */
function readEvents(
  until: (events: Array<{ event: string; data: unknown }>) => boolean,
  action: () => Promise<unknown>,
): Promise<Array<{ event: string; data: unknown }>> {
  return new Promise((resolve, reject) => {
    const events: Array<{ event: string; data: unknown }> = [];
    const req = http.get(`${cloud.url}/devcloud/events`, (response) => {
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      let buffered = '';
      let started = false;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        const blocks = buffered.split('\n\n');
        buffered = blocks.pop() ?? '';
        for (const block of blocks) {
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
        if (!started) {
          started = true; // the stream is open: now act
          action().catch(reject);
        }
        if (until(events)) {
          req.destroy();
          resolve(events);
        }
      });
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
  });
}

describe('the live stream', () => {
  test('an invocation arrives as it starts and again when it ends; a control change arrives as a change', async () => {
    const user = uniqueUser('live');
    const events = await readEvents(
      (seen) =>
        seen.some((e) => e.event === 'change' && (e.data as { route: string }).route === 'POST /faults') &&
        seen.some((e) => e.event === 'invocation' && (e.data as InvocationRecord).status === 'done'),
      async () => {
        await t.control.invoke('login', {}, user);
        await t.control.injectFault({ target: 'wechat', mode: 'delay', delayMs: 1, times: 0 });
      },
    );
    const mine = events.filter((e) => e.event === 'invocation').map((e) => e.data as InvocationRecord);
    expect(mine.map((record) => record.status)).toEqual(['running', 'done']);
    expect(mine[0]!.caller.user).toBe(user);
  });
});

describe('users', () => {
  test("a user's token claims are the payload of the last token a login returned; no session key anywhere", async () => {
    const user = uniqueUser('claims');
    await t.control.logInAs(user);
    await t.control.logInAs(user); // a second login rotates the session key
    const { openid } = await t.control.user(user);
    const view = (await t.control.simulatedUsers()).find((candidate) => candidate.name === user)!;
    expect(view.openid).toBe(openid);
    expect(view.phoneMasked).toBe('138****1234');
    expect(view.session).toMatchObject({ alive: true, keyVersion: 2 });
    expect(view.token?.header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    expect(view.token?.claims).toMatchObject({ sub: openid, iss: cloud.appid, sv: 1 });
    expect(view.token?.expired).toBe(false);
    // The token as the phone got it (the console's own routes never show it: see the next test).
    const report = await t.control.invoke('login', { code: await t.control.loginCode(user) }, user);
    const token = (report.result as { data: { token: string } }).data.token;
    const latest = (await t.control.simulatedUsers()).find((candidate) => candidate.name === user)!;
    expect(latest.token?.claims).toEqual(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')));

    // Whatever the console reads, the session key WeChat holds (and the server stored) is not in it.
    const sessionKey = cloud.wechat.currentSessionKey(openid)!;
    expect((await t.control.documents<{ sessionKey: string }>('sessions')).map((d) => d.sessionKey)).toContain(
      sessionKey,
    );
    const seen = JSON.stringify([
      await t.control.simulatedUsers(),
      await t.control.weChatState(),
      await t.control.invocations(),
      await t.control.findDocuments('sessions', { limit: 500 }),
      await t.control.logInAs(user, { withCode: false }),
    ]);
    expect(seen).not.toContain(sessionKey);
    expect(seen).not.toContain(cloud.wechat.currentSessionKey(openid)!);
    expect(seen).toContain('"sessionKey":{"$redacted":"24 characters"}');
  });

  test('"log in as" is the phone\'s wx.login then callFunction: a device fault fails it as on a phone', async () => {
    const user = uniqueUser('device');
    await t.control.injectFault({ target: 'device', mode: 'error', match: { action: 'login' } });
    const refused = await t.control.logInAs(user);
    expect(refused.error?.errMsg).toContain('login:fail');
    expect(refused.report).toBeUndefined();
    const answered = await t.control.logInAs(user);
    expect(answered.report?.result).toMatchObject({ ok: true });
    await expect(t.control.logInAs('')).rejects.toThrow(/400/);
  });

  test('a WeChat fault set as the console sets it fails the next login with the mapped error', async () => {
    const user = uniqueUser('risky');
    await t.control.injectFault({ target: 'wechat', mode: 'error', match: { action: 'jscode2session' }, code: 40226 });
    const answer = await t.control.logInAs(user);
    expect(answer.report?.result).toMatchObject({ ok: false, error: { code: 'WX_RISKY_USER' } });
  });
});

describe('session tokens', () => {
  test('the history, its live stream and "log in as" keep no token: token fields and compact JWS strings are redacted', async () => {
    const user = uniqueUser('tokens');
    const code = await t.control.loginCode(user);
    let phoneToken = '';
    let refreshToken = '';
    const events = await readEvents(
      (seen) => seen.some((e) => e.event === 'invocation' && (e.data as InvocationRecord).status === 'done'),
      async () => {
        const report = await t.control.invoke('login', { code }, user);
        // The phone gets its tokens: what the function returned, untouched.
        const data = (report.result as { data: { token: string; refreshToken?: string } }).data;
        phoneToken = data.token;
        refreshToken = data.refreshToken ?? '';
      },
    );
    expect(phoneToken).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const record = (await t.control.invocations()).invocations.filter((r) => r.caller.user === user).at(-1)!;
    expect((record.result as { data: { token: unknown } }).data.token).toEqual({
      $redacted: `a token, ${phoneToken.length} characters`,
    });
    const answer = await t.control.logInAs(user);
    const seen = JSON.stringify([record, events, answer, await t.control.simulatedUsers()]);
    expect(seen).not.toContain(phoneToken);
    expect(seen).not.toContain(phoneToken.split('.')[2]!); // not even the signature
    if (refreshToken) expect(seen).not.toContain(refreshToken);
    expect(seen).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]*/);
  });
});
describe('the WeChat fake', () => {
  test('codes issued and used, key versions per rotation, calls: keys never, codes by their first characters', async () => {
    const user = uniqueUser('wechat');
    const { openid } = await t.control.user(user);
    const unused = await t.control.loginCode(user);
    await t.control.logInAs(user);
    const state = await t.control.weChatState();
    const codes = state.loginCodes.filter((code) => code.openid === openid);
    expect(codes.map((code) => code.status)).toEqual(['used', 'unused']); // newest first
    expect(codes[1]!.codePrefix).toBe(`${unused.slice(0, 6)}…`);
    expect(codes[0]!.usedAt).toBeDefined();
    expect(JSON.stringify(state)).not.toContain(unused);
    const rotations = state.rotations.filter((rotation) => rotation.openid === openid);
    expect(rotations.map((rotation) => [rotation.keyVersion, rotation.rotated, rotation.user])).toEqual([
      [2, true, user],
      [1, true, user],
    ]);
    expect(state.sessions.find((session) => session.openid === openid)).toMatchObject({ alive: true, keyVersion: 2 });
    expect(state.recentCalls.find((call) => call.openid === openid)).toMatchObject({
      target: 'wechat',
      action: 'jscode2session',
      outcome: 'ok',
      user,
    });
  });

  test('the fault form knows every target, mode and action', async () => {
    const response = await request('/devcloud/faults/options');
    const options = json(response.body) as { targets: string[]; modes: string[]; actions: Record<string, string[]> };
    expect(options.targets).toEqual(['database', 'storage', 'wechat', 'cloudCall', 'functions', 'device']);
    expect(options.modes).toEqual(['error', 'reset', 'lost', 'delay']);
    expect(options.actions.wechat).toContain('jscode2session');
    expect(options.actions.cloudCall).toEqual(expect.arrayContaining(['phonenumber.getPhoneNumber', 'getOpenData']));
    expect(options.actions.database).toContain('database.modifyDocument');
  });
});

describe('documents', () => {
  const collection = `console_docs_${process.pid}`;

  test("insert, search, replace and remove: database calls with the database's own checks", async () => {
    const { _id } = await t.control.insertDocument(collection, {
      name: '小明',
      createdAt: { $date: '2024-01-01T00:00:00.000Z' },
    });
    expect(_id).toMatch(/^[0-9a-f]{32}$/);
    await t.control.insertDocument(collection, { _id: 'fixed', name: 'other' });
    await expect(t.control.insertDocument(collection, { _id: 'fixed' })).rejects.toThrow(/409.*E11000/);

    const found = await t.control.findDocuments(collection, { search: '小明' });
    expect(found.total).toBe(1);
    expect(found.documents[0]).toEqual({ _id, name: '小明', createdAt: { $date: '2024-01-01T00:00:00Z' } });

    expect(await t.control.replaceDocument(collection, _id, { name: '小红', visits: 3 })).toEqual({ updated: 1 });
    const [stored] = (await t.control.documents(collection)).filter((doc) => doc._id === _id);
    expect(stored).toEqual({ _id, name: '小红', visits: 3 }); // replaced whole, as doc(id).set() does
    await expect(t.control.replaceDocument(collection, _id, { _id: 'other' })).rejects.toThrow(/400.*_id/);
    await expect(t.control.replaceDocument(collection, 'missing', { a: 1 })).rejects.toThrow(/404/);
    await expect(t.control.replaceDocument(collection, _id, { at: { $date: 'soon' } })).rejects.toThrow(/400/);

    expect(await t.control.removeDocument(collection, _id)).toEqual({ deleted: 1 });
    await expect(t.control.removeDocument(collection, _id)).rejects.toThrow(/404/);
    expect((await t.control.collections()).find((c) => c.name === collection)?.count).toBe(1);
  });

  test('a document saved with its {"$redacted"} markers keeps the stored secrets', async () => {
    const id = 'with-secret';
    await t.control.insertDocument(collection, { _id: id, sessionKey: 'c2VjcmV0LWtleS0xMjM0NQ==', note: 'a' });
    const [shown] = (await t.control.findDocuments(collection, { search: 'with-secret' })).documents;
    expect(shown).toEqual({ _id: id, sessionKey: { $redacted: '24 characters' }, note: 'a' });
    await t.control.replaceDocument(collection, id, { ...shown!, note: 'b' });
    const [stored] = (await t.control.documents(collection)).filter((doc) => doc._id === id);
    expect(stored).toEqual({ _id: id, sessionKey: 'c2VjcmV0LWtleS0xMjM0NQ==', note: 'b' });
    await expect(t.control.insertDocument(collection, { sessionKey: { $redacted: 'x' } })).rejects.toThrow(/400/);
    await expect(t.control.replaceDocument(collection, id, { other: { $redacted: 'x' } })).rejects.toThrow(/400/);
  });

  test('a document deeper than the console shows keeps its depth when saved', async () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 100; level += 1) deep = { level: deep };
    await t.control.insertDocument(collection, { _id: 'deep', deep, note: 'a' });
    const [shown] = (await t.control.findDocuments(collection, { search: '"_id":"deep"' })).documents;
    expect(JSON.stringify(shown)).toContain('nested deeper than 64 levels');
    await t.control.replaceDocument(collection, 'deep', { ...shown!, note: 'b' });
    const [stored] = (await t.control.documents(collection)).filter((doc) => doc._id === 'deep');
    expect(stored).toEqual({ _id: 'deep', deep, note: 'b' });
  });

  test("a pending database fault acts on the console's writes as on a function's", async () => {
    const id = 'faulted';
    await t.control.insertDocument(collection, { _id: id, n: 1 });
    await t.control.injectFault({ target: 'database', mode: 'error', match: { collection } });
    await expect(t.control.replaceDocument(collection, id, { n: 2 })).rejects.toThrow(/DATABASE_REQUEST_FAILED/);
    expect((await t.control.documents(collection)).find((doc) => doc._id === id)).toEqual({ _id: id, n: 1 });
    await t.control.injectFault({ target: 'database', mode: 'lost', match: { collection } });
    await expect(t.control.replaceDocument(collection, id, { n: 3 })).rejects.toThrow(/503.*FAULT_LOST/);
    expect((await t.control.documents(collection)).find((doc) => doc._id === id)).toEqual({ _id: id, n: 3 });
    const calls = (await t.control.recordedCalls()).filter((call) => call.collection === collection);
    expect(calls.slice(-2).map((call) => [call.action, call.outcome, call.fault])).toEqual([
      ['database.modifyDocument', 'faulted', 'error'],
      ['database.modifyDocument', 'faulted', 'lost'],
    ]);
  });

  test('an edited document is what the next invocation reads', async () => {
    const user = uniqueUser('edited');
    await t.control.logInAs(user);
    const { openid } = await t.control.user(user);
    const [shown] = (await t.control.findDocuments('users', { search: openid })).documents.filter(
      (doc) => doc._id === openid,
    );
    await t.control.replaceDocument('users', openid, { ...shown!, loginCount: 41, nickName: '控制台' });
    const answer = await t.control.logInAs(user, { withCode: false });
    expect(answer.report?.result).toMatchObject({ ok: true, data: { user: { loginCount: 42, nickName: '控制台' } } });
  });
});

describe('storage', () => {
  test('files with size, owner and a preview for images only', async () => {
    const user = uniqueUser('files');
    const { openid } = await t.control.user(user);
    const upload = (cloudPath: string, bytes: Buffer) =>
      request('/devcloud/storage/upload', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user, cloudPath, base64: bytes.toString('base64') }),
      });
    await upload(`console/${user}/avatar.jpg`, PNG); // a PNG under a .jpg name: the bytes decide
    await upload(`console/${user}/page.svg`, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'));
    const files = (await t.control.storedFiles()).filter((file) => file.cloudPath.startsWith(`console/${user}/`));
    expect(files.map((file) => [file.cloudPath.split('/').pop(), file.imageType, file.ownerUser])).toEqual([
      ['avatar.jpg', 'image/png', user],
      ['page.svg', undefined, user],
    ]);
    expect(files[0]).toMatchObject({ size: PNG.length, ownerOpenid: openid });
    const preview = await request(`/devcloud/storage/preview?fileID=${encodeURIComponent(files[0]!.fileID)}`);
    expect(preview.status).toBe(200);
    expect(preview.headers['content-type']).toBe('image/png');
    expect(preview.headers['content-security-policy']).toContain('sandbox');
    expect(preview.body.equals(PNG)).toBe(true);
    // An SVG is never served as a document of devcloud's origin.
    expect((await request(`/devcloud/storage/preview?fileID=${encodeURIComponent(files[1]!.fileID)}`)).status).toBe(
      404,
    );
  });
});

describe('import and export', () => {
  test("an export file is --export-on-exit's file; an import is --import's, all or nothing", async () => {
    const collection = `console_io_${process.pid}`;
    await t.control.insertDocument(collection, { _id: 'a', at: { $date: '2024-05-01T00:00:00.000Z' }, n: 1 });
    const entry = (await t.control.exportEntries()).find((e) => e.collection === collection)!;
    expect(entry).toEqual({ collection, file: `${collection}.json`, count: 1 });
    const download = await request(`/devcloud/export/${entry.file}`);
    expect(download.headers['content-disposition']).toBe(`attachment; filename="${entry.file}"`);
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-console-export-'));
    try {
      await exportCollections(cloud.database, dir);
      expect(download.body.toString('utf8')).toBe(await readFile(join(dir, entry.file), 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Into a devcloud of its own: the downloaded file, imported, is the same collection.
    const other = await startTestCloud({ functionsDir: KIT_FUNCTIONS, rulesDir: false });
    try {
      const text = download.body.toString('utf8');
      const bad = JSON.stringify([{ _id: 'b', at: { $date: 'not a date' } }]);
      await expect(
        other.control.importFiles([
          { name: entry.file, text },
          { name: 'second.json', text: bad },
        ]),
      ).rejects.toThrow(/400.*INVALID_COLLECTION_FILE.*second\.json: document 0: at is not a valid \$date/);
      expect(await other.control.collections()).toEqual([]);
      expect(await other.control.importFiles([{ name: entry.file, text }])).toEqual({ imported: { [collection]: 1 } });
      expect(await other.control.documents(collection)).toEqual(await t.control.documents(collection));
    } finally {
      await other.stop();
    }
  });
});
