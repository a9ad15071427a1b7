/**
 * Bans, the login audit log, the registration risk check and the admin function, run as built in devcloud's
 * runtime with the real wx-server-sdk.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import type { AdminEvent, Envelope, LoginResult } from '../../contracts';
import { DEFAULT_APPID, openidFor } from 'devcloud';
import { pseudonymOf } from '../../core/pseudonym';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const ADMIN = uniqueUser('admin');
const ADMIN_OPENID = openidFor(DEFAULT_APPID, ADMIN);

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({
    functionEnv: {
      admin: { ADMIN_OPENIDS: ` ${ADMIN_OPENID} , oSomeoneElse `, LOG_RETENTION_DAYS: '30' },
      login: { RISK_BLOCK_RANK: '3' },
    },
  });
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

type Reply = Envelope<Record<string, unknown>>;

async function invoke(fn: string, event: unknown, user?: string): Promise<Reply> {
  const report = await t.control.invoke(fn, event, user);
  expect(report.error).toBeUndefined();
  return report.result as Reply;
}

const admin = (event: AdminEvent | Record<string, unknown>, user = ADMIN) => invoke('admin', event, user);

async function loginWithCode(name: string, extra: Record<string, unknown> = {}): Promise<Envelope<LoginResult>> {
  return (await invoke('login', { code: await t.control.loginCode(name), ...extra }, name)) as Envelope<LoginResult>;
}

async function docsOf(collection: string, openid: string, key = '_id'): Promise<Array<Record<string, unknown>>> {
  return (await t.control.documents(collection)).filter((doc) => doc[key] === openid);
}

function data(reply: Reply): Record<string, unknown> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.code}`);
  return reply.data;
}

describe('the login audit log', () => {
  test('one entry per login call with an identity, with its outcome and never a secret', async () => {
    const name = uniqueUser('audit');
    const { openid } = await t.control.user(name);
    const code = await t.control.loginCode(name);
    expect((await invoke('login', { code }, name)).ok).toBe(true); // new user, with a code
    expect((await invoke('login', {}, name)).ok).toBe(true); // returning, without
    expect(await invoke('login', { code }, name)).toMatchObject({ error: { code: 'WX_CODE_INVALID' } }); // used
    expect(await invoke('login', { code: 42 }, name)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    const entries = (await docsOf('login_logs', openid, 'openid')).sort((a, b) =>
      String(a.at).localeCompare(String(b.at)),
    );
    expect(entries).toMatchObject([
      { ok: true, withCode: true, isNewUser: true, clientIp: '127.0.0.1', source: 'wx_client' },
      { ok: true, withCode: false, isNewUser: false },
      { ok: false, withCode: true, errorCode: 'WX_CODE_INVALID' },
      { ok: false, withCode: true, errorCode: 'INVALID_ARGUMENT' },
    ]);
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(
        expect.arrayContaining(['_id', 'at', 'clientIp', 'ok', 'openid', 'source', 'withCode']),
      );
      expect(JSON.stringify(entry)).not.toContain(code);
      expect(JSON.stringify(entry)).not.toMatch(/session|token/i);
    }
    expect(entries[2]).not.toHaveProperty('isNewUser');
  });

  test('a first login without a code is logged as new', async () => {
    const name = uniqueUser('audit');
    const { openid } = await t.control.user(name);
    expect((await invoke('login', {}, name)).ok).toBe(true);
    expect(await docsOf('login_logs', openid, 'openid')).toMatchObject([{ ok: true, isNewUser: true }]);
  });

  test('a call without an identity leaves no entry (there is nobody to attribute it to)', async () => {
    const before = (await t.control.documents('login_logs')).length;
    expect(await invoke('login', {})).toMatchObject({ error: { code: 'NO_IDENTITY' } });
    expect((await t.control.documents('login_logs')).length).toBe(before);
  });

  test('a failing audit write does not turn a good login into a failure', async () => {
    const name = uniqueUser('audit');
    expect((await loginWithCode(name)).ok).toBe(true);
    for (const mode of ['error', 'reset'] as const) {
      // Every write to login_logs fails (the prediction and the correction); the users write goes through.
      await t.control.injectFault({ target: 'database', mode, match: { collection: 'login_logs' }, times: 5 });
      expect(await invoke('login', { code: await t.control.loginCode(name) }, name)).toMatchObject({ ok: true });
      expect(await invoke('login', {}, name)).toMatchObject({ ok: true });
      await t.control.clearFaults();
    }
    expect((await docsOf('users', t.cloud!.user(name).openid))[0]?.loginCount).toBe(5);
  });

  test('clients can neither read nor write it', () => {
    for (const collection of ['login_logs', 'admin_logs']) {
      const file = join(__dirname, '../../database-rules', `${collection}.json`);
      const rule = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      expect(rule).toEqual({ read: false, write: false });
    }
  });
});

describe('bans', () => {
  test('a banned user cannot log in nor act on the account, writes nothing, and an unban restores both', async () => {
    const name = uniqueUser('banned');
    const { openid } = await t.control.user(name);
    expect((await loginWithCode(name)).ok).toBe(true);
    const banned = data(await admin({ action: 'ban', openid, reason: '刷单' }));
    expect(banned.user).toMatchObject({ status: 'banned', banReason: '刷单', sessionVersion: 2 });
    const before = await docsOf('users', openid);
    const session = await docsOf('sessions', openid);

    expect(await loginWithCode(name)).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
    expect(await invoke('login', {}, name)).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
    for (const event of [
      { action: 'updateProfile', nickName: '换个名字' },
      { action: 'prepareAvatarUpload', extension: 'jpg' },
      { action: 'bindPhone', code: (await t.control.phoneNumberDetail(name)).code },
      { action: 'logout' },
    ]) {
      expect(await invoke('account', event, name)).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
    }
    expect(await docsOf('users', openid)).toEqual(before);
    expect(await docsOf('sessions', openid)).toEqual(session); // the ban was read before any write
    const refused = await docsOf('login_logs', openid, 'openid');
    expect(refused.filter((entry) => entry.errorCode === 'USER_BANNED')).toHaveLength(2);

    // A second ban changes nothing; an unban lets the user back in.
    expect(data(await admin({ action: 'ban', openid })).user).toMatchObject({ sessionVersion: 2, banReason: '刷单' });
    expect(data(await admin({ action: 'unban', openid })).user).toMatchObject({ status: 'active' });
    expect((await docsOf('users', openid))[0]).not.toHaveProperty('banReason');
    expect(await loginWithCode(name)).toMatchObject({ ok: true, data: { user: { loginCount: 2 } } });
  });
});

describe('注销 of a banned user', () => {
  test('completes; the ban outlives it under a pseudonym and refuses a new account until an unban', async () => {
    const name = uniqueUser('banned-deletes');
    const { openid } = await t.control.user(name);
    expect((await loginWithCode(name)).ok).toBe(true);
    expect((await admin({ action: 'ban', openid, reason: '辱骂他人' })).ok).toBe(true);
    expect(await invoke('account', { action: 'deleteAccount', confirm: true }, name)).toMatchObject({ ok: true });
    for (const collection of ['users', 'sessions', 'phones']) expect(await docsOf(collection, openid)).toEqual([]);
    expect(await docsOf('login_logs', openid, 'openid')).toEqual([]);
    const kept = await docsOf('bans', pseudonymOf(openid));
    expect(kept).toHaveLength(1);
    expect(JSON.stringify(kept)).not.toContain(openid);

    // The same WeChat user comes back: refused, with or without a code, and nothing is created.
    expect(await loginWithCode(name)).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
    expect(await invoke('login', {}, name)).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
    expect(await docsOf('users', openid)).toEqual([]);
    // An unban of the OPENID lifts the kept ban (there is no account to show: USER_NOT_FOUND), and they may register.
    expect(await admin({ action: 'unban', openid })).toMatchObject({ error: { code: 'USER_NOT_FOUND' } });
    expect(await docsOf('bans', pseudonymOf(openid))).toEqual([]);
    expect(await loginWithCode(name)).toMatchObject({ ok: true, data: { isNewUser: true } });
  });

  test("admin_logs keep what was done, but not the deleted user's OPENID nor the ban reason", async () => {
    const name = uniqueUser('erased');
    const { openid } = await t.control.user(name);
    expect((await loginWithCode(name)).ok).toBe(true);
    expect((await admin({ action: 'getUser', openid })).ok).toBe(true);
    expect((await admin({ action: 'ban', openid, reason: '手机号 13912345678 刷单' })).ok).toBe(true);
    expect((await admin({ action: 'unban', openid })).ok).toBe(true);
    const before = (await t.control.documents('admin_logs')).filter((entry) => entry.target === openid);
    expect(before).toHaveLength(3);
    expect(await invoke('account', { action: 'deleteAccount', confirm: true }, name)).toMatchObject({ ok: true });

    const all = await t.control.documents('admin_logs');
    expect(JSON.stringify(all)).not.toContain(openid);
    expect(JSON.stringify(all)).not.toContain('13912345678');
    const kept = all.filter((entry) => entry.target === pseudonymOf(openid));
    expect(kept.map((entry) => entry.action).sort()).toEqual(['ban', 'getUser', 'unban']);
    for (const entry of kept) {
      expect(entry).toMatchObject({ admin: ADMIN_OPENID, state: 'completed', ok: true, pseudonymized: true });
      expect(entry).not.toHaveProperty('reason');
    }
  });

  test('an administrator who deletes their own account is pseudonymized as the actor too', async () => {
    const other = await startTestCloud({ functionEnv: { admin: { ADMIN_OPENIDS: ADMIN_OPENID } } });
    try {
      const target = uniqueUser('target');
      const { openid } = await other.control.user(target);
      await other.control.invoke('login', {}, target);
      await other.control.invoke('login', {}, ADMIN);
      expect((await other.control.invoke('admin', { action: 'getUser', openid }, ADMIN)).result).toMatchObject({
        ok: true,
      });
      const deleted = await other.control.invoke('account', { action: 'deleteAccount', confirm: true }, ADMIN);
      expect(deleted.result).toMatchObject({ ok: true });
      const entries = await other.control.documents('admin_logs');
      expect(entries).toMatchObject([{ admin: pseudonymOf(ADMIN_OPENID), target: openid, action: 'getUser' }]);
    } finally {
      await other.stop();
    }
  });
});

describe('the audit entry is part of the admin action', () => {
  test.each(['error', 'reset', 'lost'] as const)(
    'a %s on its first write: the action does not run, and the caller is told INTERNAL',
    async (mode) => {
      const name = uniqueUser('unaudited');
      const { openid } = await t.control.user(name);
      expect((await loginWithCode(name)).ok).toBe(true);
      await t.control.injectFault({ target: 'database', mode, match: { collection: 'admin_logs' }, times: 1 });
      expect(await admin({ action: 'ban', openid, reason: 'x' })).toMatchObject({
        ok: false,
        error: { code: 'INTERNAL' },
      });
      expect((await docsOf('users', openid))[0]).toMatchObject({ status: 'active', sessionVersion: 1 });
      // The retry records, then bans.
      expect(await admin({ action: 'ban', openid })).toMatchObject({ ok: true });
      const entries = (await t.control.documents('admin_logs')).filter((e) => e.target === openid && e.ok === true);
      expect(entries).toMatchObject([{ action: 'ban', state: 'completed' }]);
    },
  );

  test('a fault on the completing write: the ban stands, recorded as attempted', async () => {
    const name = uniqueUser('half-audited');
    const { openid } = await t.control.user(name);
    expect((await loginWithCode(name)).ok).toBe(true);
    await t.control.injectFault({ target: 'database', mode: 'error', match: { collection: 'admin_logs' }, skip: 1 });
    expect(await admin({ action: 'ban', openid })).toMatchObject({ ok: true });
    expect((await docsOf('users', openid))[0]).toMatchObject({ status: 'banned' });
    expect((await t.control.documents('admin_logs')).filter((e) => e.target === openid)).toMatchObject([
      { action: 'ban', admin: ADMIN_OPENID, state: 'attempted' },
    ]);
  });
});

describe('token refreshes', () => {
  test('are not logins: loginCount and lastLoginAt stay, the audit entry says refresh', async () => {
    const name = uniqueUser('refresher');
    const { openid } = await t.control.user(name);
    expect((await loginWithCode(name)).ok).toBe(true);
    const [before] = await docsOf('users', openid);
    for (let i = 0; i < 3; i += 1) {
      expect(await invoke('login', { refresh: true }, name)).toMatchObject({ ok: true, data: { isNewUser: false } });
    }
    expect((await docsOf('users', openid))[0]).toEqual(before);
    const entries = await docsOf('login_logs', openid, 'openid');
    expect(entries.filter((entry) => entry.refresh === true)).toHaveLength(3);
    const { entries: listed } = data(await admin({ action: 'listLogins', openid })) as {
      entries: Array<{ refresh?: boolean }>;
    };
    expect(listed.filter((entry) => entry.refresh)).toHaveLength(3);
  });

  test('never create an account, are refused for a banned one, and do not go with a code', async () => {
    const name = uniqueUser('no-account');
    const { openid } = await t.control.user(name);
    expect(await invoke('login', { refresh: true }, name)).toMatchObject({ error: { code: 'USER_NOT_FOUND' } });
    expect(await docsOf('users', openid)).toEqual([]);
    expect((await loginWithCode(name)).ok).toBe(true);
    expect(await loginWithCode(name, { refresh: true })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await invoke('login', { refresh: 'yes' }, name)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect((await admin({ action: 'ban', openid })).ok).toBe(true);
    expect(await invoke('login', { refresh: true }, name)).toMatchObject({ error: { code: 'USER_BANNED' } });
  });
});

describe('the registration risk check (RISK_BLOCK_RANK=3)', () => {
  test('a new user ranked at or above the threshold is refused, created nowhere, and logged', async () => {
    const name = uniqueUser('risky');
    const { openid } = await t.control.user(name, { riskRank: 3 });
    expect(await loginWithCode(name)).toMatchObject({ ok: false, error: { code: 'WX_RISKY_USER' } });
    expect(await docsOf('users', openid)).toEqual([]);
    expect(await docsOf('login_logs', openid, 'openid')).toMatchObject([{ ok: false, errorCode: 'WX_RISKY_USER' }]);
  });

  test('below the threshold the user is created', async () => {
    const name = uniqueUser('fine');
    await t.control.user(name, { riskRank: 2 });
    expect(await loginWithCode(name)).toMatchObject({ ok: true, data: { isNewUser: true } });
  });

  test('when the risk call fails the login goes ahead (fail-open) and the failure is logged', async () => {
    const name = uniqueUser('failopen');
    await t.control.user(name, { riskRank: 4 });
    await t.control.injectCloudCallFault({ api: 'riskControl.getUserRiskRank', errcode: -1, times: 2 });
    const before = (await t.control.logs()).length;
    expect(await loginWithCode(name)).toMatchObject({ ok: true, data: { isNewUser: true } });
    const lines = (await t.control.logs()).slice(before).map((entry) => entry.line);
    expect(lines.some((line) => line.includes('RISK_CHECK_FAILED'))).toBe(true);
  });

  test('a returning user is never refused by it', async () => {
    const name = uniqueUser('later');
    await t.control.user(name, { riskRank: 0 });
    expect((await loginWithCode(name)).ok).toBe(true);
    await t.control.user(name, { riskRank: 4 });
    expect(await loginWithCode(name)).toMatchObject({ ok: true, data: { isNewUser: false } });
  });
});

describe('the admin function', () => {
  test('everyone not in ADMIN_OPENIDS gets FORBIDDEN, and the attempt is recorded', async () => {
    const intruder = uniqueUser('intruder');
    const victim = uniqueUser('victim');
    const { openid } = await t.control.user(victim);
    expect((await loginWithCode(victim)).ok).toBe(true);
    expect(await admin({ action: 'ban', openid }, intruder)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await admin({ action: 'getUser', openid }, intruder)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(await invoke('admin', { action: 'getUser', openid })).toMatchObject({ error: { code: 'NO_IDENTITY' } });
    expect((await docsOf('users', openid))[0]).not.toHaveProperty('status', 'banned');
    const records = (await t.control.documents('admin_logs')).filter((entry) => entry.target === openid);
    expect(records).toHaveLength(2);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ admin: openidFor(DEFAULT_APPID, intruder), action: 'ban', errorCode: 'FORBIDDEN' }),
        expect.objectContaining({ action: 'getUser', ok: false, errorCode: 'FORBIDDEN' }),
      ]),
    );
  });

  test('getUser shows the profile, masked phone and status, never a secret', async () => {
    const name = uniqueUser('shown');
    const { openid } = await t.control.user(name, { phoneNumber: '13912345678' });
    expect((await loginWithCode(name)).ok).toBe(true);
    await invoke('account', { action: 'recordConsent', version: 1 }, name);
    await invoke('account', { action: 'bindPhone', code: (await t.control.phoneNumberDetail(name)).code }, name);
    const reply = await admin({ action: 'getUser', openid });
    expect(data(reply).user).toMatchObject({ openid, status: 'active', phoneMasked: '139****5678', sessionVersion: 1 });
    expect(JSON.stringify(reply)).not.toMatch(/13912345678|sessionKey|session_key/);
    expect(await admin({ action: 'getUser', openid: 'oNobody' })).toMatchObject({ error: { code: 'USER_NOT_FOUND' } });
    const record = (await t.control.documents('admin_logs')).find((entry) => entry.target === openid);
    expect(record).toMatchObject({ admin: ADMIN_OPENID, action: 'getUser', ok: true });
  });

  test('listLogins: newest first, limit 1-100', async () => {
    const name = uniqueUser('listed');
    const { openid } = await t.control.user(name);
    expect((await loginWithCode(name)).ok).toBe(true);
    for (let i = 0; i < 3; i += 1) expect((await invoke('login', {}, name)).ok).toBe(true);
    const { entries } = data(await admin({ action: 'listLogins', openid, limit: 2 })) as {
      entries: Array<{ at: string; withCode: boolean }>;
    };
    expect(entries).toHaveLength(2);
    expect(entries[0]!.at >= entries[1]!.at).toBe(true);
    expect(await admin({ action: 'listLogins', openid, limit: 101 })).toMatchObject({
      error: { code: 'INVALID_ARGUMENT' },
    });
    const all = data(await admin({ action: 'listLogins', openid })) as { entries: unknown[] };
    expect(all.entries).toHaveLength(4);
  });

  test('pruneLogs removes entries older than N days and nothing newer; a timer does it with LOG_RETENTION_DAYS', async () => {
    const name = uniqueUser('pruned');
    const { openid } = await t.control.user(name);
    expect((await loginWithCode(name)).ok).toBe(true);
    const day = 24 * 60 * 60 * 1000;
    const insertOld = (id: string, daysAgo: number) =>
      t.cloud!.database.handle('database.insertDocument', {
        envName: t.cloud!.envId,
        collectionName: 'login_logs',
        data: [
          JSON.stringify({
            _id: id,
            openid,
            at: { $date: new Date(Date.now() - daysAgo * day).toISOString() },
            ok: true,
            withCode: false,
          }),
        ],
      });
    await insertOld(`${openid}-old-90`, 90);
    await insertOld(`${openid}-old-40`, 40);
    await insertOld(`${openid}-old-10`, 10);
    expect(data(await admin({ action: 'pruneLogs', olderThanDays: 60 })).deleted).toBeGreaterThanOrEqual(1);
    let left = (await docsOf('login_logs', openid, 'openid')).map((doc) => doc._id);
    expect(left).not.toContain(`${openid}-old-90`);
    expect(left).toContain(`${openid}-old-40`);
    expect(await admin({ action: 'pruneLogs', olderThanDays: 0 })).toMatchObject({
      error: { code: 'INVALID_ARGUMENT' },
    });

    // The timer trigger: no user behind it, retention from LOG_RETENTION_DAYS (30 here).
    const report = await t.control.invoke('admin', { Type: 'Timer', TriggerName: 'pruneLogs', Time: new Date() });
    expect(report.result).toMatchObject({ ok: true });
    left = (await docsOf('login_logs', openid, 'openid')).map((doc) => doc._id);
    expect(left).not.toContain(`${openid}-old-40`);
    expect(left).toContain(`${openid}-old-10`);
    // From a phone, the same event is an ordinary admin call: FORBIDDEN for a non-admin.
    expect(await admin({ Type: 'Timer', TriggerName: 'pruneLogs' }, uniqueUser('fake-timer'))).toMatchObject({
      ok: false,
    });
  });
});
