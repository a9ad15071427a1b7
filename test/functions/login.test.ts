/**
 * The login function's contract, run as built (cloudfunctions/login/index.js) in devcloud's function runtime
 * with the real wx-server-sdk talking to the local CloudBase and WeChat fakes.
 */
import type { Envelope, LoginResult } from '../../contracts';
import type { InvocationReport } from 'devcloud';
import { heldCall, startTestCloud, TEST_WECHAT_TIMEOUT_MS, uniqueUser, type TestCloud } from '../support/devcloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

interface UserDoc {
  _id: string;
  _openid: string;
  loginCount: number;
  createdAt: string;
  lastLoginAt: string;
  unionid?: string;
}

function envelope(report: InvocationReport): Envelope<LoginResult> {
  expect(report.error).toBeUndefined();
  return report.result as Envelope<LoginResult>;
}

async function login(user: string | undefined, event: unknown = {}): Promise<Envelope<LoginResult>> {
  return envelope(await t.control.invoke('login', event, user));
}

async function loginWithCode(user: string): Promise<Envelope<LoginResult>> {
  return login(user, { code: await t.control.loginCode(user) });
}

async function userDoc(openid: string): Promise<UserDoc | undefined> {
  return (await t.control.documents<UserDoc>('users')).find((doc) => doc._id === openid);
}

async function sessionDoc(openid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents('sessions')).find((doc) => doc._id === openid);
}

function expectError(result: Envelope<LoginResult>, code: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe(code);
  expect(result.error.message.length).toBeGreaterThan(0);
}

describe('without a code: identity from the WeChat context', () => {
  test('a first login creates the users document keyed by OPENID', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const result = await login(name);
    expect(result).toMatchObject({ ok: true, data: { isNewUser: true, user: { openid, loginCount: 1 } } });
    if (!result.ok) return;
    expect(new Date(result.data.user.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(result.data.user.lastLoginAt).toBe(result.data.user.createdAt);
    const doc = await userDoc(openid);
    expect(doc).toMatchObject({ _id: openid, _openid: openid, loginCount: 1 });
    expect(typeof doc?.loginCount).toBe('number');
    expect(await sessionDoc(openid)).toBeUndefined(); // no code, no WeChat call, no session_key
  });

  test('a returning user keeps createdAt, gets loginCount + 1, in one database round trip', async () => {
    const name = uniqueUser();
    const first = await login(name);
    await t.control.resetStats();
    const second = await login(name);
    const stats = await t.control.stats();
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.data.isNewUser).toBe(false);
    expect(second.data.user.loginCount).toBe(2);
    expect(second.data.user.createdAt).toBe(first.data.user.createdAt);
    expect(new Date(second.data.user.lastLoginAt).getTime()).toBeGreaterThanOrEqual(
      new Date(first.data.user.lastLoginAt).getTime(),
    );
    // One write to users (the increment that returns the document), and the audit entry written beside it.
    expect(stats.database.byAction).toEqual({ 'database.modifyAndReturnDoc': 1, 'database.modifyDocument': 1 });
    expect(stats.wechat.jscode2session).toBe(0);
    expect((await userDoc(first.data.user.openid))?.loginCount).toBe(2);
  });

  test('a returning user without a code waits for one database round trip, not two', async () => {
    const name = uniqueUser();
    const first = await login(name);
    if (!first.ok) throw new Error(first.error.code);
    const { openid } = first.data.user;
    // Both writes held: if the audit entry waited for the increment (two round trips in a row), they could never
    // be held at the same time.
    const writes = ['database.modifyAndReturnDoc', 'database.modifyDocument'];
    for (const action of writes) {
      await t.control.injectFault({
        target: 'database',
        mode: 'hold',
        match: { action, functionName: 'login', openid },
      });
    }
    const second = login(name);
    const held = await Promise.all(
      writes.map((action) => heldCall(t.control, (call) => call.action === action && call.openid === openid)),
    );
    expect(held.map((call) => call.collection).sort()).toEqual(['login_logs', 'users']);
    expect(await t.control.releaseHeld()).toBe(2);
    expect(await second).toMatchObject({ ok: true, data: { isNewUser: false, user: { loginCount: 2 } } });
  });

  test('a user bound to an Open Platform account gets their UNIONID', async () => {
    const name = uniqueUser();
    const user = await t.control.user(name, { unionid: true });
    const result = await login(name);
    expect(result).toMatchObject({ ok: true, data: { user: { openid: user.openid, unionid: user.unionid } } });
    expect((await userDoc(user.openid))?.unionid).toBe(user.unionid);
  });

  test('no OPENID in the context gives NO_IDENTITY, whatever event.userInfo claims', async () => {
    const victim = await t.control.user(uniqueUser('victim'));
    const before = await t.control.documents('users');
    const result = await login(undefined, { userInfo: { openId: victim.openid, appId: 'wx-forged' } });
    expectError(result, 'NO_IDENTITY');
    expect(await t.control.documents('users')).toEqual(before);
  });

  test('extra event fields are ignored', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const result = await login(name, { nickName: 'forged', loginCount: 999, _id: 'someone-else' });
    expect(result).toMatchObject({ ok: true, data: { user: { openid, loginCount: 1 } } });
    const doc = await userDoc(openid);
    expect(doc?.loginCount).toBe(1);
    expect(doc).not.toHaveProperty('nickName');
  });

  test.each([[42], [''], [{ nested: true }], [['a']], ['x'.repeat(200)]])(
    'code %j gives INVALID_ARGUMENT and writes nothing but its audit entry',
    async (code) => {
      const name = uniqueUser();
      const { openid } = await t.control.user(name);
      await t.control.resetStats();
      expectError(await login(name, { code }), 'INVALID_ARGUMENT');
      expect(await userDoc(openid)).toBeUndefined();
      const stats = await t.control.stats();
      expect(stats.database.byAction).toEqual({ 'database.modifyDocument': 1 });
      expect((await t.control.documents('login_logs')).filter((entry) => entry.openid === openid)).toMatchObject([
        { ok: false, errorCode: 'INVALID_ARGUMENT' },
      ]);
      expect(stats.wechat.jscode2session).toBe(0);
    },
  );
});

describe('with a code: code2Session for the session_key', () => {
  test('stores the session_key server-side and never returns or logs it', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const result = await loginWithCode(name);
    expect(result).toMatchObject({ ok: true, data: { isNewUser: true, user: { openid, loginCount: 1 } } });
    const session = await sessionDoc(openid);
    const sessionKey = String(session?.sessionKey);
    expect(sessionKey).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(session).toMatchObject({ _id: openid, appid: (await t.control.info()).appid });
    expect(JSON.stringify(result)).not.toContain(sessionKey);
    expect(JSON.stringify(result)).not.toMatch(/session/i);
    const logs = await t.control.logs();
    expect(logs.map((entry) => entry.line).join('\n')).not.toContain(sessionKey);
    // The session documents must not be readable as a user's own: no _openid field for client rules to match.
    expect(session).not.toHaveProperty('_openid');
  });

  test('a returning user with a code keeps createdAt and counts the login', async () => {
    const name = uniqueUser();
    const first = await loginWithCode(name);
    const second = await loginWithCode(name);
    expect(second).toMatchObject({ ok: true, data: { isNewUser: false, user: { loginCount: 2 } } });
    if (!first.ok || !second.ok) return;
    expect(second.data.user.createdAt).toBe(first.data.user.createdAt);
  });

  test('a new code rotates the session_key and the stored one follows', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    await loginWithCode(name);
    const firstKey = (await sessionDoc(openid))?.sessionKey;
    await loginWithCode(name);
    const secondKey = (await sessionDoc(openid))?.sessionKey;
    expect(secondKey).toBeDefined();
    expect(secondKey).not.toBe(firstKey);
  });

  test('an unknown code gives WX_CODE_INVALID (40029) and writes nothing', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    expectError(await login(name, { code: '0'.repeat(32) }), 'WX_CODE_INVALID');
    expect(await userDoc(openid)).toBeUndefined();
    expect(await sessionDoc(openid)).toBeUndefined();
  });

  test('a used code gives WX_CODE_INVALID (40163)', async () => {
    const name = uniqueUser();
    const code = await t.control.loginCode(name);
    expect((await login(name, { code })).ok).toBe(true);
    expectError(await login(name, { code }), 'WX_CODE_INVALID');
    expect((await userDoc((await t.control.user(name)).openid))?.loginCount).toBe(1);
  });

  test("another user's code gives WX_CODE_MISMATCH and writes nothing", async () => {
    const alice = uniqueUser('alice');
    const bob = uniqueUser('bob');
    const aliceId = (await t.control.user(alice)).openid;
    const bobId = (await t.control.user(bob)).openid;
    expectError(await login(alice, { code: await t.control.loginCode(bob) }), 'WX_CODE_MISMATCH');
    expect(await userDoc(aliceId)).toBeUndefined();
    expect(await userDoc(bobId)).toBeUndefined();
    expect(await sessionDoc(aliceId)).toBeUndefined();
    expect(await sessionDoc(bobId)).toBeUndefined();
  });

  test.each([
    [45011, 'WX_RATE_LIMITED'],
    [40226, 'WX_RISKY_USER'],
    [40029, 'WX_CODE_INVALID'],
    [40163, 'WX_CODE_INVALID'],
  ])('WeChat errcode %i gives %s, with one call and no write', async (errcode, code) => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const loginCode = await t.control.loginCode(name);
    await t.control.injectWeChatFault({ api: 'jscode2session', errcode });
    await t.control.resetStats();
    expectError(await login(name, { code: loginCode }), code);
    expect((await t.control.stats()).wechat.jscode2session).toBe(1);
    expect(await userDoc(openid)).toBeUndefined();
  });

  test('"system busy" (-1) once is retried and the login succeeds', async () => {
    const name = uniqueUser();
    const code = await t.control.loginCode(name);
    await t.control.injectWeChatFault({ api: 'jscode2session', errcode: -1 });
    await t.control.resetStats();
    expect(await login(name, { code })).toMatchObject({ ok: true, data: { user: { loginCount: 1 } } });
    expect((await t.control.stats()).wechat.jscode2session).toBe(2);
  });

  test('"system busy" twice gives WX_UNAVAILABLE after exactly one retry', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const code = await t.control.loginCode(name);
    await t.control.injectWeChatFault({ api: 'jscode2session', errcode: -1, times: 5 });
    await t.control.resetStats();
    expectError(await login(name, { code }), 'WX_UNAVAILABLE');
    expect((await t.control.stats()).wechat.jscode2session).toBe(2);
    expect(await userDoc(openid)).toBeUndefined();
  });

  test('a WeChat answer slower than the timeout gives WX_UNAVAILABLE while WeChat has still not answered', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const code = await t.control.loginCode(name);
    // A short timeout for this test only (read per call), and a WeChat that answers only when released: the one
    // way the login can answer is its timeout firing, however slow the machine.
    await t.control.setFunctionEnv('login', { WECHAT_API_TIMEOUT_MS: '300' });
    try {
      await t.control.injectFault({ target: 'wechat', mode: 'hold', match: { action: 'jscode2session', openid } });
      await t.control.resetStats();
      expectError(await login(name, { code }), 'WX_UNAVAILABLE');
      // Answered before WeChat did, and not retried: a timeout is not "system busy".
      expect((await t.control.heldCalls()).filter((call) => call.openid === openid)).toHaveLength(1);
      expect((await t.control.stats()).wechat.jscode2session).toBe(1);
      expect(await userDoc(openid)).toBeUndefined();
    } finally {
      await t.control.setFunctionEnv('login', { WECHAT_API_TIMEOUT_MS: String(TEST_WECHAT_TIMEOUT_MS) });
      await t.control.clearFaults();
    }
  });

  test('latency within the timeout slows the login but does not fail it', async () => {
    const name = uniqueUser();
    const code = await t.control.loginCode(name);
    await t.control.setLatency({ wechatMs: 300, databaseMs: 30 });
    try {
      const started = Date.now();
      expect(await login(name, { code })).toMatchObject({ ok: true, data: { user: { loginCount: 1 } } });
      // one WeChat call, then the writes in parallel: one database round trip at least
      expect(Date.now() - started).toBeGreaterThanOrEqual(300 + 30);
    } finally {
      await t.control.setLatency({ wechatMs: 0, databaseMs: 0 });
    }
  });

  test('a database failure gives INTERNAL and writes nothing', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    await t.control.injectDatabaseFault({ times: 100 });
    expectError(await loginWithCode(name), 'INTERNAL');
    expectError(await login(name), 'INTERNAL');
    await t.control.clearFaults();
    expect(await userDoc(openid)).toBeUndefined();
    expect(await sessionDoc(openid)).toBeUndefined();
  });

  test.each([0, 1, 2, 3])(
    'a database failure at call %i of a code login: an error leaves the user unchanged, a retry counts once',
    async (skip) => {
      const name = uniqueUser();
      const { openid } = await t.control.user(name);
      expect((await login(name)).ok).toBe(true); // an existing user, so a partial write would show in loginCount
      const loginId = `retry-${skip}-${Date.now()}`;
      await t.control.injectDatabaseFault({ skip, times: 1 });
      const first = await login(name, { code: await t.control.loginCode(name), loginId });
      await t.control.clearFaults();
      if (!first.ok) {
        expect(first.error.code).toBe('INTERNAL');
        expect((await userDoc(openid))?.loginCount).toBe(1);
      }
      // The client's retry: a fresh code, the same loginId.
      const retry = await login(name, { code: await t.control.loginCode(name), loginId });
      expect(retry).toMatchObject({ ok: true, data: { user: { loginCount: 2 } } });
      expect((await userDoc(openid))?.loginCount).toBe(2);
      expect(await sessionDoc(openid)).toBeDefined();
    },
  );
});

describe('concurrency', () => {
  test('concurrent first logins of one user leave one document and count every login', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const results = await Promise.all(Array.from({ length: 12 }, () => login(name)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(results.filter((result) => result.ok && result.data.isNewUser)).toHaveLength(1);
    const docs = (await t.control.documents<UserDoc>('users')).filter((doc) => doc._openid === openid);
    expect(docs).toHaveLength(1);
    expect(docs[0]?.loginCount).toBe(12);
  });

  test('concurrent first logins with codes leave one user and one session, every login counted', async () => {
    const name = uniqueUser();
    const { openid } = await t.control.user(name);
    const codes = [];
    for (let i = 0; i < 6; i += 1) codes.push(await t.control.loginCode(name));
    const results = await Promise.all(codes.map((code) => login(name, { code })));
    expect(results.every((result) => result.ok)).toBe(true);
    expect((await t.control.documents<UserDoc>('users')).filter((doc) => doc._id === openid)).toHaveLength(1);
    expect((await userDoc(openid))?.loginCount).toBe(6);
    expect((await t.control.documents('sessions')).filter((doc) => doc._id === openid)).toHaveLength(1);
  });

  test("concurrent logins of different users never see each other's identity", async () => {
    const names = Array.from({ length: 16 }, () => uniqueUser('many'));
    const users = await Promise.all(names.map((name) => t.control.user(name)));
    const results = await Promise.all(names.map((name) => login(name)));
    results.forEach((result, index) => {
      expect(result).toMatchObject({ ok: true, data: { user: { openid: users[index]?.openid } } });
    });
  });
});

describe('configuration', () => {
  test('a code without WECHAT_APPSECRET gives CONFIG_ERROR and no WeChat call', async () => {
    const bare = await startTestCloud({ functionEnv: { login: { WECHAT_APPSECRET: '' } } });
    try {
      const name = uniqueUser();
      const code = await bare.control.loginCode(name);
      await bare.control.resetStats();
      const result = envelope(await bare.control.invoke('login', { code }, name));
      expectError(result, 'CONFIG_ERROR');
      expect((await bare.control.stats()).wechat.jscode2session).toBe(0);
      expect(await bare.control.documents('users')).toEqual([]);
      // Without a code the AppSecret is not needed.
      expect(envelope(await bare.control.invoke('login', {}, name)).ok).toBe(true);
    } finally {
      await bare.stop();
    }
  });

  test('an unreachable WeChat API gives WX_UNAVAILABLE', async () => {
    const offline = await startTestCloud({ functionEnv: { login: { WECHAT_API_BASE: 'http://127.0.0.1:9' } } });
    try {
      const name = uniqueUser();
      const code = await offline.control.loginCode(name);
      expectError(envelope(await offline.control.invoke('login', { code }, name)), 'WX_UNAVAILABLE');
      expect(await offline.control.documents('users')).toEqual([]);
    } finally {
      await offline.stop();
    }
  });
});
