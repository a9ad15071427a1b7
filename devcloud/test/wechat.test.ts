/**
 * devcloud's WeChat server API fake, called over real HTTP at `${cloud.url}/wx/...` the way a cloud function calls
 * api.weixin.qq.com: single-use codes that expire, rotating session keys, checksession signatures, phone codes,
 * the per-user rate limit and fault injection.
 */
import { createHmac } from 'crypto';
import * as http from 'http';
import { performance } from 'perf_hooks';
import { DEFAULT_APPID, DEFAULT_APPSECRET, openidFor, unionidFor } from '../wechat/identity';
import type { DevCloud } from '../hub';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

const CODE_TTL_MS = 5 * 60 * 1000;
const SESSION_TTL_MS = 3 * 24 * 3600 * 1000;

let t: TestCloud;
let cloud: DevCloud;
beforeAll(async () => {
  t = await startTestCloud();
  cloud = t.cloud!;
});
afterAll(() => t.stop());
afterEach(() => {
  cloud.clearFaults();
  cloud.wechat.latencyMs = 0;
  cloud.wechat.now = Date.now;
});

interface WxReply {
  status: number;
  body: Record<string, unknown>;
  ms: number;
}

/** One request to the fake with Node's http, as cloudbase/wechat.ts sends it. */
function wxCall(method: 'GET' | 'POST', path: string, query: Record<string, string>, body?: unknown): Promise<WxReply> {
  const url = `${cloud.url}/wx${path}?${new URLSearchParams(query).toString()}`;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            ms: performance.now() - started,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

function code2Session(code: string, overrides: Record<string, string> = {}): Promise<WxReply> {
  return wxCall('GET', '/sns/jscode2session', {
    appid: DEFAULT_APPID,
    secret: DEFAULT_APPSECRET,
    js_code: code,
    grant_type: 'authorization_code',
    ...overrides,
  });
}

async function accessToken(): Promise<string> {
  const reply = await wxCall('GET', '/cgi-bin/token', {
    grant_type: 'client_credential',
    appid: DEFAULT_APPID,
    secret: DEFAULT_APPSECRET,
  });
  expect(reply.body).toMatchObject({ expires_in: 7200 });
  const token = reply.body.access_token;
  if (typeof token !== 'string') throw new Error(`no access_token in ${JSON.stringify(reply.body)}`);
  return token;
}

/** The documented signature: hex(HMAC-SHA256(key = session_key, message = "")). */
function sign(sessionKey: string): string {
  return createHmac('sha256', sessionKey).update('').digest('hex');
}

function checkSession(token: string, openid: string, signature: string): Promise<WxReply> {
  return wxCall('GET', '/wxa/checksession', { access_token: token, openid, signature, sig_method: 'hmac_sha256' });
}

/** A user of the mini-program with a fresh wx.login code; `session_key` is what exchanging that code yields. */
async function loggedIn(options: { unionid?: boolean } = {}): Promise<{ openid: string; sessionKey: string }> {
  const { openid } = cloud.user(uniqueUser('wx'), options);
  const reply = await code2Session(cloud.wechat.issueLoginCode(openid));
  expect(reply.body.openid).toBe(openid);
  return { openid, sessionKey: String(reply.body.session_key) };
}

function expectErrcode(reply: WxReply, errcode: number): void {
  expect(reply.status).toBe(200); // WeChat reports errors in the body, with HTTP 200
  expect(reply.body.errcode).toBe(errcode);
  expect(typeof reply.body.errmsg).toBe('string');
  expect(String(reply.body.errmsg).length).toBeGreaterThan(0);
  expect(reply.body.openid).toBeUndefined();
  expect(reply.body.session_key).toBeUndefined();
}

describe('simulated users (identity.ts)', () => {
  test('OPENIDs are stable per (appid, user), 28 characters, different in another appid; UNIONID is shared', () => {
    const a = openidFor(DEFAULT_APPID, 'alice');
    expect(openidFor(DEFAULT_APPID, 'alice')).toBe(a);
    expect(a).toMatch(/^o[A-Za-z0-9]{27}$/);
    expect(openidFor(DEFAULT_APPID, 'bob')).not.toBe(a);
    expect(openidFor('wx1111111111111111', 'alice')).not.toBe(a);
    expect(unionidFor('alice')).toMatch(/^u[A-Za-z0-9]{27}$/);
    expect(unionidFor('alice')).not.toBe(unionidFor('bob'));
    expect(cloud.user('alice').openid).toBe(a);
  });
});

describe('jscode2session', () => {
  test('a wx.login code yields openid and the current session_key, once; the second use is 40163', async () => {
    const { openid } = cloud.user(uniqueUser());
    const code = cloud.wechat.issueLoginCode(openid);
    expect(code).toMatch(/^[0-9a-f]{32}$/);
    const first = await code2Session(code);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ openid, session_key: cloud.wechat.currentSessionKey(openid) });
    expect(Buffer.from(String(first.body.session_key), 'base64')).toHaveLength(16);
    expectErrcode(await code2Session(code), 40163);
  });

  test('an unknown code is 40029', async () => {
    expectErrcode(await code2Session('0123456789abcdef0123456789abcdef'), 40029);
    expectErrcode(await code2Session(''), 40029);
  });

  test('a code lives 5 minutes: still good just before, 40029 after', async () => {
    const { openid } = cloud.user(uniqueUser());
    const base = Date.now();
    cloud.wechat.now = () => base;
    const young = cloud.wechat.issueLoginCode(openid);
    const old = cloud.wechat.issueLoginCode(openid);
    cloud.wechat.now = () => base + CODE_TTL_MS - 1000;
    expect((await code2Session(young)).body.openid).toBe(openid);
    cloud.wechat.now = () => base + CODE_TTL_MS + 1;
    expectErrcode(await code2Session(old), 40029);
  });

  test('a wrong appid is 40013 and a wrong secret 40125, and neither spends the code', async () => {
    const { openid } = cloud.user(uniqueUser());
    const code = cloud.wechat.issueLoginCode(openid);
    expectErrcode(await code2Session(code, { appid: 'wx00000000000000ff' }), 40013);
    expectErrcode(await code2Session(code, { secret: 'not-the-secret' }), 40125);
    expect((await code2Session(code)).body.openid).toBe(openid);
  });

  test('unionid comes back only for a user bound to an Open Platform account', async () => {
    const bound = cloud.user(uniqueUser('bound'), { unionid: true });
    const plain = cloud.user(uniqueUser('plain'));
    const boundReply = await code2Session(cloud.wechat.issueLoginCode(bound.openid));
    const plainReply = await code2Session(cloud.wechat.issueLoginCode(plain.openid));
    expect(bound.unionid).toMatch(/^u/);
    expect(boundReply.body.unionid).toBe(bound.unionid);
    expect(plainReply.body.openid).toBe(plain.openid);
    expect(plainReply.body).not.toHaveProperty('unionid');
  });

  test('each new code rotates the session_key', async () => {
    const { openid } = cloud.user(uniqueUser());
    const first = await code2Session(cloud.wechat.issueLoginCode(openid));
    const second = await code2Session(cloud.wechat.issueLoginCode(openid));
    expect(typeof first.body.session_key).toBe('string');
    expect(second.body.session_key).not.toBe(first.body.session_key);
    expect(cloud.wechat.currentSessionKey(openid)).toBe(second.body.session_key);
  });

  test('rate limit: the 101st call for one user within a minute is 45011, and the next minute is open again', async () => {
    const { openid } = cloud.user(uniqueUser('busy'));
    const other = cloud.user(uniqueUser('calm'));
    const base = Date.now();
    cloud.wechat.now = () => base;
    for (let i = 1; i <= 100; i += 1) {
      const reply = await code2Session(cloud.wechat.issueLoginCode(openid));
      if (reply.body.openid !== openid) throw new Error(`call ${i} failed: ${JSON.stringify(reply.body)}`);
    }
    const limited = cloud.wechat.issueLoginCode(openid);
    expectErrcode(await code2Session(limited), 45011);
    // Per user: someone else is not limited.
    expect((await code2Session(cloud.wechat.issueLoginCode(other.openid))).body.openid).toBe(other.openid);
    cloud.wechat.now = () => base + 61_000;
    expect((await code2Session(limited)).body.openid).toBe(openid); // the limited call did not spend the code
  });
});

describe('access token and checksession', () => {
  test('the current session_key signs a live session: errcode 0', async () => {
    const token = await accessToken();
    const { openid, sessionKey } = await loggedIn();
    const reply = await checkSession(token, openid, sign(sessionKey));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  test('a wrong signature is 87009, including the known SDK mistakes (signing the openid, raw bytes)', async () => {
    const token = await accessToken();
    const { openid, sessionKey } = await loggedIn();
    expectErrcode(await checkSession(token, openid, sign(sessionKey + 'x')), 87009);
    // WxJava #4123 signed the openid instead of "".
    expectErrcode(
      await checkSession(token, openid, createHmac('sha256', sessionKey).update(openid).digest('hex')),
      87009,
    );
    // PowerWeChat #609 sent the raw digest instead of its hex.
    expectErrcode(
      await checkSession(token, openid, createHmac('sha256', sessionKey).update('').digest().toString('latin1')),
      87009,
    );
    expectErrcode(
      await wxCall('GET', '/wxa/checksession', {
        access_token: token,
        openid,
        signature: sign(sessionKey),
        sig_method: 'md5',
      }),
      87009,
    );
    expect((await checkSession(token, openid, sign(sessionKey))).body.errcode).toBe(0);
  });

  test('a key rotated away by a newer wx.login is stale: 87009; the new key works', async () => {
    const token = await accessToken();
    const { openid, sessionKey: stale } = await loggedIn();
    const fresh = String((await code2Session(cloud.wechat.issueLoginCode(openid))).body.session_key);
    expectErrcode(await checkSession(token, openid, sign(stale)), 87009);
    expect((await checkSession(token, openid, sign(fresh))).body.errcode).toBe(0);
  });

  test('an expired session is 87009 even with the right signature', async () => {
    const token = await accessToken();
    const { openid, sessionKey } = await loggedIn();
    cloud.wechat.expireSession(openid);
    expectErrcode(await checkSession(token, openid, sign(sessionKey)), 87009);
  });

  test('sessions end on their own after 3 days', async () => {
    const token = await accessToken();
    const { openid, sessionKey } = await loggedIn();
    const base = Date.now();
    cloud.wechat.now = () => base + SESSION_TTL_MS + 1000;
    expectErrcode(await checkSession(token, openid, sign(sessionKey)), 87009);
  });

  test('a bad or missing access token is 40001; a token for a wrong appid or secret is refused', async () => {
    const { openid, sessionKey } = await loggedIn();
    expectErrcode(await checkSession('not-a-token', openid, sign(sessionKey)), 40001);
    expectErrcode(
      await wxCall('GET', '/wxa/checksession', { openid, signature: sign(sessionKey), sig_method: 'hmac_sha256' }),
      40001,
    );
    const badSecret = await wxCall('GET', '/cgi-bin/token', {
      grant_type: 'client_credential',
      appid: DEFAULT_APPID,
      secret: 'wrong',
    });
    expect(badSecret.body).toMatchObject({ errcode: 40125 });
    expect(badSecret.body.access_token).toBeUndefined();
    const badAppid = await wxCall('GET', '/cgi-bin/token', {
      grant_type: 'client_credential',
      appid: 'wx00000000000000ff',
      secret: DEFAULT_APPSECRET,
    });
    expect(badAppid.body).toMatchObject({ errcode: 40013 });
  });

  test('an API the fake does not serve is a 404, not a silent success', async () => {
    const unknown = await wxCall('GET', '/wxa/nosuchapi', {});
    expect(unknown.status).toBe(404);
    const wrongMethod = await wxCall('POST', '/sns/jscode2session', {}, {});
    expect(wrongMethod.status).toBe(404);
  });
});

describe('getuserphonenumber', () => {
  test('a phone code yields phone_info in WeChat shape, once; an unknown code is 40029', async () => {
    const token = await accessToken();
    const { openid } = cloud.user(uniqueUser('phone'), { phoneNumber: '13912345678' });
    const code = cloud.wechat.issuePhoneCode(openid);
    const before = Math.floor(Date.now() / 1000);
    const reply = await wxCall('POST', '/wxa/business/getuserphonenumber', { access_token: token }, { code });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: '13912345678',
        purePhoneNumber: '13912345678',
        countryCode: '86',
        watermark: { timestamp: expect.any(Number) as number, appid: DEFAULT_APPID },
      },
    });
    const { timestamp } = (reply.body.phone_info as { watermark: { timestamp: number } }).watermark;
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

    const again = await wxCall('POST', '/wxa/business/getuserphonenumber', { access_token: token }, { code });
    expectErrcode(again, 40029);
    expect(again.body.phone_info).toBeUndefined();
    const unknown = await wxCall('POST', '/wxa/business/getuserphonenumber', { access_token: token }, { code: 'nope' });
    expectErrcode(unknown, 40029);
  });

  test('needs a valid access token; a login code is not a phone code', async () => {
    const { openid } = cloud.user(uniqueUser('phone'));
    const code = cloud.wechat.issuePhoneCode(openid);
    expectErrcode(await wxCall('POST', '/wxa/business/getuserphonenumber', { access_token: 'x' }, { code }), 40001);
    const token = await accessToken();
    const loginCode = cloud.wechat.issueLoginCode(openid);
    expectErrcode(
      await wxCall('POST', '/wxa/business/getuserphonenumber', { access_token: token }, { code: loginCode }),
      40029,
    );
    // The 40001 did not spend it.
    const reply = await wxCall('POST', '/wxa/business/getuserphonenumber', { access_token: token }, { code });
    expect(reply.body).toMatchObject({ errcode: 0, phone_info: { purePhoneNumber: '13800001234' } });
  });
});

describe('fault injection', () => {
  test('an errcode fault applies `times` times, then the API answers normally again', async () => {
    const { openid } = cloud.user(uniqueUser());
    cloud.wechat.injectFault({ api: 'jscode2session', errcode: -1, times: 2 });
    const code = cloud.wechat.issueLoginCode(openid);
    expectErrcode(await code2Session(code), -1);
    expectErrcode(await code2Session(code), -1);
    expect((await code2Session(code)).body.openid).toBe(openid); // the faulted calls did not spend the code
  });

  test('faults for one API queue in order; `times` defaults to 1 and 0 injects nothing', async () => {
    const { openid } = cloud.user(uniqueUser());
    cloud.wechat.injectFault({ api: 'jscode2session', errcode: 40226, times: 0 });
    cloud.wechat.injectFault({ api: 'jscode2session', errcode: 40226 });
    cloud.wechat.injectFault({ api: 'jscode2session', errcode: 45011 });
    const code = cloud.wechat.issueLoginCode(openid);
    expectErrcode(await code2Session(code), 40226);
    expectErrcode(await code2Session(code), 45011);
    expect((await code2Session(code)).body.openid).toBe(openid);
  });

  test('faults are per API: a checksession fault does not touch jscode2session', async () => {
    const token = await accessToken();
    cloud.wechat.injectFault({ api: 'checksession', errcode: -1 });
    const { openid, sessionKey } = await loggedIn(); // jscode2session answers normally
    const calls = { ...cloud.wechat.calls };
    expectErrcode(await checkSession(token, openid, sign(sessionKey)), -1);
    expect((await checkSession(token, openid, sign(sessionKey))).body.errcode).toBe(0);
    expect(cloud.wechat.calls.checksession - calls.checksession).toBe(2);
    expect(cloud.wechat.calls.jscode2session - calls.jscode2session).toBe(0);
  });

  test('clearFaults drops pending faults', async () => {
    const { openid } = cloud.user(uniqueUser());
    cloud.injectWeChatFault({ api: 'jscode2session', errcode: -1, times: 5 });
    cloud.clearFaults();
    expect((await code2Session(cloud.wechat.issueLoginCode(openid))).body.openid).toBe(openid);
  });

  test('a delayMs fault delays one answer by that long, then the real reply comes', async () => {
    const { openid } = cloud.user(uniqueUser());
    cloud.clearRecordedCalls();
    cloud.wechat.injectFault({ api: 'jscode2session', delayMs: 400 });
    const slow = await code2Session(cloud.wechat.issueLoginCode(openid));
    // One answer only: the fault is used up, and the next exchange is recorded without it (not timed: on a loaded
    // machine any answer may be slow, and only the delayed one must be at least that slow).
    expect(cloud.pendingFaults()).toEqual([]);
    const after = await code2Session(cloud.wechat.issueLoginCode(openid));
    expect(slow.ms).toBeGreaterThanOrEqual(390);
    expect(slow.body.openid).toBe(openid);
    expect(after.body.openid).toBe(openid);
    const exchanges = cloud.recordedCalls().filter((call) => call.action === 'jscode2session');
    expect(exchanges.map((call) => call.fault ?? 'none')).toEqual(['delay', 'none']);
  });

  test('latencyMs is added to every answer of every API, on top of a fault delay', async () => {
    const { openid } = cloud.user(uniqueUser());
    const latencyMs = 250;
    cloud.wechat.latencyMs = latencyMs;
    const token = await wxCall('GET', '/cgi-bin/token', {
      grant_type: 'client_credential',
      appid: DEFAULT_APPID,
      secret: DEFAULT_APPSECRET,
    });
    const exchange = await code2Session(cloud.wechat.issueLoginCode(openid));
    const failed = await code2Session('unknown');
    cloud.wechat.injectFault({ api: 'jscode2session', delayMs: 200, errcode: -1 });
    const both = await code2Session(cloud.wechat.issueLoginCode(openid));
    for (const reply of [token, exchange, failed]) expect(reply.ms).toBeGreaterThanOrEqual(240);
    expect(exchange.body.openid).toBe(openid);
    expect(both.ms).toBeGreaterThanOrEqual(440);
    expectErrcode(both, -1);
    // Back to 0, it is gone: after an hour's latency, an answer at all (within the test's timeout) says so.
    cloud.wechat.latencyMs = 3_600_000;
    cloud.wechat.latencyMs = 0;
    expectErrcode(await code2Session('unknown'), 40029);
  });
});

describe('sessionAlive / expireSession (what wx.checkSession reads)', () => {
  test('no session before wx.login; alive after; expired by expireSession; a new wx.login revives it', () => {
    const { openid } = cloud.user(uniqueUser());
    expect(cloud.wechat.sessionAlive(openid)).toBe(false);
    cloud.wechat.issueLoginCode(openid);
    expect(cloud.wechat.sessionAlive(openid)).toBe(true);
    cloud.wechat.expireSession(openid);
    expect(cloud.wechat.sessionAlive(openid)).toBe(false);
    cloud.wechat.issueLoginCode(openid);
    expect(cloud.wechat.sessionAlive(openid)).toBe(true);
  });

  test('a session ends by itself after 3 days; expiring an unknown user creates nothing', () => {
    const { openid } = cloud.user(uniqueUser());
    const base = Date.now();
    cloud.wechat.now = () => base;
    cloud.wechat.issueLoginCode(openid);
    cloud.wechat.now = () => base + SESSION_TTL_MS - 1000;
    expect(cloud.wechat.sessionAlive(openid)).toBe(true);
    cloud.wechat.now = () => base + SESSION_TTL_MS + 1;
    expect(cloud.wechat.sessionAlive(openid)).toBe(false);

    const stranger = cloud.user(uniqueUser()).openid;
    cloud.wechat.expireSession(stranger);
    expect(cloud.wechat.sessionAlive(stranger)).toBe(false);
    expect(cloud.wechat.currentSessionKey(stranger)).toBeUndefined();
  });

  test('expiring one user leaves the others alone', () => {
    const a = cloud.user(uniqueUser()).openid;
    const b = cloud.user(uniqueUser()).openid;
    cloud.wechat.issueLoginCode(a);
    cloud.wechat.issueLoginCode(b);
    cloud.wechat.expireSession(a);
    expect(cloud.wechat.sessionAlive(a)).toBe(false);
    expect(cloud.wechat.sessionAlive(b)).toBe(true);
  });
});
