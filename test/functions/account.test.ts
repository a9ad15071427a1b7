/**
 * The account function, built, in devcloud's runtime with the real wx-server-sdk: profile, phone number (cloud
 * call and legacy open data), logout, deletion, and that no event can reach another user's data.
 */
import { createCipheriv, randomBytes } from 'crypto';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import type { AccountEvent, Envelope, LoginResult, UserProfile } from '../../contracts';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

type AccountReply = Envelope<{ user?: UserProfile; loggedOut?: true; deleted?: true }>;

async function account(
  user: string | undefined,
  event: Partial<AccountEvent> | Record<string, unknown>,
): Promise<AccountReply> {
  const report = await t.control.invoke('account', event, user);
  expect(report.error).toBeUndefined();
  return report.result as AccountReply;
}

/**
 * A logged-in user (login with a code, so the server holds their session_key) who agreed to 《用户协议》和《隐私政策》
 * (version 1, the default CONSENT_VERSION), as the profile page records it before the first save.
 */
async function loggedIn(prefix = 'acct'): Promise<{ name: string; openid: string }> {
  const name = uniqueUser(prefix);
  const code = await t.control.loginCode(name);
  const report = await t.control.invoke('login', { code }, name);
  const result = report.result as Envelope<LoginResult>;
  if (!result.ok) throw new Error(`login failed: ${result.error.code}`);
  ok(await account(name, { action: 'recordConsent', version: 1 }));
  return { name, openid: result.data.user.openid };
}

/** The user's full phone number, as only the server can read it (the phones collection). */
async function storedPhone(openid: string): Promise<unknown> {
  return (await doc('phones', openid))?.phoneNumber;
}

async function doc(collection: string, id: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents(collection)).find((d) => d._id === id);
}

function expectError(reply: AccountReply, code: string): void {
  expect(reply).toMatchObject({ ok: false, error: { code } });
}

function ok(reply: AccountReply): { user?: UserProfile; loggedOut?: true; deleted?: true } {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.code}: ${reply.error.message}`);
  return reply.data;
}

async function putAvatar(
  openid: string,
  file = `${Date.now()}-${randomBytes(3).toString('hex')}.jpg`,
): Promise<string> {
  return t.cloud!.storage.putFile(`avatars/${openid}/${file}`, randomBytes(32), openid);
}

describe('profile', () => {
  test('a nickname is trimmed, checked and saved', async () => {
    const { name, openid } = await loggedIn();
    const { user } = ok(await account(name, { action: 'updateProfile', nickName: '  小明  ' }));
    expect(user?.nickName).toBe('小明');
    expect(await doc('users', openid)).toMatchObject({ nickName: '小明' });
  });

  test('20 characters are fine (emoji count once), 21 or blank are NICKNAME_INVALID and change nothing', async () => {
    const { name, openid } = await loggedIn();
    expect(ok(await account(name, { action: 'updateProfile', nickName: '😀'.repeat(20) })).user?.nickName).toBe(
      '😀'.repeat(20),
    );
    expectError(await account(name, { action: 'updateProfile', nickName: 'a'.repeat(21) }), 'NICKNAME_INVALID');
    expectError(await account(name, { action: 'updateProfile', nickName: '   ' }), 'NICKNAME_INVALID');
    expect((await doc('users', openid))?.nickName).toBe('😀'.repeat(20));
  });

  test('a nickname WeChat flags as risky is CONTENT_RISKY and nothing is saved', async () => {
    const { name, openid } = await loggedIn();
    ok(await account(name, { action: 'updateProfile', nickName: '正常名字' }));
    expectError(await account(name, { action: 'updateProfile', nickName: '赌博大师' }), 'CONTENT_RISKY');
    expect((await doc('users', openid))?.nickName).toBe('正常名字');
  });

  test('the content check failing (system busy twice) is WX_UNAVAILABLE, once busy is retried', async () => {
    const { name, openid } = await loggedIn();
    await t.control.injectCloudCallFault({ api: 'security.msgSecCheck', errcode: -1 });
    expect(ok(await account(name, { action: 'updateProfile', nickName: '重试成功' })).user?.nickName).toBe('重试成功');
    await t.control.injectCloudCallFault({ api: 'security.msgSecCheck', errcode: -1, times: 2 });
    expectError(await account(name, { action: 'updateProfile', nickName: '不会保存' }), 'WX_UNAVAILABLE');
    expect((await doc('users', openid))?.nickName).toBe('重试成功');
  });

  test('an avatar is saved as its fileID and a replaced one is deleted from storage', async () => {
    const { name, openid } = await loggedIn();
    const first = await putAvatar(openid);
    expect(ok(await account(name, { action: 'updateProfile', avatarFileID: first })).user?.avatarUrl).toBe(first);
    const second = await putAvatar(openid);
    ok(await account(name, { action: 'updateProfile', avatarFileID: second }));
    expect((await doc('users', openid))?.avatarUrl).toBe(second);
    expect(await t.cloud!.storage.read(first)).toBeUndefined();
    expect(await t.cloud!.storage.read(second)).toBeInstanceOf(Buffer);
  });

  test("another user's file as avatar is AVATAR_INVALID and changes nothing", async () => {
    const alice = await loggedIn('alice');
    const bob = await loggedIn('bob');
    const bobs = await putAvatar(bob.openid);
    expectError(await account(alice.name, { action: 'updateProfile', avatarFileID: bobs }), 'AVATAR_INVALID');
    expectError(
      await account(alice.name, { action: 'updateProfile', avatarFileID: 'https://evil.example/a.jpg' }),
      'AVATAR_INVALID',
    );
    expect((await doc('users', alice.openid))?.avatarUrl).toBeUndefined();
    expect(await t.cloud!.storage.read(bobs)).toBeInstanceOf(Buffer);
  });

  test('a caller without a users document gets USER_NOT_FOUND and no document is created', async () => {
    const name = uniqueUser('ghost');
    const { openid } = await t.control.user(name);
    expectError(await account(name, { action: 'updateProfile', nickName: '幽灵' }), 'USER_NOT_FOUND');
    expect(await doc('users', openid)).toBeUndefined();
  });
});

describe('phone number', () => {
  test('a getPhoneNumber code binds the number, returned masked, stored in full', async () => {
    const name = uniqueUser('phone');
    await t.control.user(name, { phoneNumber: '13912345678' });
    const code = await t.control.loginCode(name);
    const openid = ((await t.control.invoke('login', { code }, name)).result as { data: LoginResult }).data.user.openid;
    ok(await account(name, { action: 'recordConsent', version: 1 }));
    const detail = await t.control.phoneNumberDetail(name);
    const { user } = ok(await account(name, { action: 'bindPhone', code: detail.code }));
    expect(user?.phoneMasked).toBe('139****5678');
    expect(JSON.stringify(user)).not.toContain('13912345678');
    // Minimisation: the owner-readable users document has the masked number only; the full one is server-only.
    const users = await doc('users', openid);
    expect(users).toMatchObject({ phoneMasked: '139****5678', countryCode: '86' });
    expect(JSON.stringify(users)).not.toContain('13912345678');
    expect(await doc('phones', openid)).toMatchObject({ _id: openid, phoneNumber: '13912345678', countryCode: '86' });
  });

  test('a number stored in users by an older version moves to phones on the next bind', async () => {
    const { name, openid } = await loggedIn();
    await t.cloud!.database.handle('database.modifyDocument', {
      collectionName: 'users',
      queryType: 'DOC',
      query: JSON.stringify({ _id: openid }),
      data: JSON.stringify({ phoneNumber: '13700000000', countryCode: '86' }),
      merge: true,
      upsert: false,
    });
    const before = (await t.control.invoke('login', {}, name)).result as Envelope<LoginResult>;
    expect(before).toMatchObject({ ok: true, data: { user: { phoneMasked: '137****0000' } } });
    const { code } = await t.control.phoneNumberDetail(name);
    ok(await account(name, { action: 'bindPhone', code }));
    const users = await doc('users', openid);
    expect(users?.phoneNumber).toBeUndefined();
    expect(users?.phoneMasked).toBe('138****1234');
    expect(await storedPhone(openid)).toBe('13800001234');
  });

  test('a used or unknown code is PHONE_CODE_INVALID', async () => {
    const { name, openid } = await loggedIn();
    const { code } = await t.control.phoneNumberDetail(name);
    ok(await account(name, { action: 'bindPhone', code }));
    expectError(await account(name, { action: 'bindPhone', code }), 'PHONE_CODE_INVALID');
    expectError(await account(name, { action: 'bindPhone', code: 'not-a-code' }), 'PHONE_CODE_INVALID');
    expect(await storedPhone(openid)).toBe('13800001234');
  });

  test('an exhausted quota (1400001) is PHONE_QUOTA_EXHAUSTED and nothing is stored', async () => {
    const { name, openid } = await loggedIn();
    const { code } = await t.control.phoneNumberDetail(name);
    await t.control.injectCloudCallFault({ api: 'phonenumber.getPhoneNumber', errcode: 1400001 });
    expectError(await account(name, { action: 'bindPhone', code }), 'PHONE_QUOTA_EXHAUSTED');
    expect(await storedPhone(openid)).toBeUndefined();
    expect((await doc('users', openid))?.phoneMasked).toBeUndefined();
  });

  test('a function without the permission in config.json gets OPENAPI_PERMISSION_MISSING (-604101)', async () => {
    const dir = join(__dirname, '..', '..', '.devcloud', `test-functions-${process.pid}`);
    mkdirSync(join(dir, 'account'), { recursive: true });
    mkdirSync(join(dir, 'login'), { recursive: true });
    for (const fn of ['account', 'login']) {
      // The built folder: index.js and the side file of deferred SDK parts (scripts/sdk-defer.ts).
      for (const file of ['index.js', 'sdk-deferred.js'])
        copyFileSync(join(__dirname, '..', '..', 'cloudfunctions', fn, file), join(dir, fn, file));
    }
    writeFileSync(
      join(dir, 'account', 'config.json'),
      JSON.stringify({ permissions: { openapi: ['security.msgSecCheck'] } }),
    );
    const bare = await startTestCloud({ functionsDir: dir });
    try {
      const name = uniqueUser();
      const code = await bare.control.loginCode(name);
      await bare.control.invoke('login', { code }, name);
      await bare.control.invoke('account', { action: 'recordConsent', version: 1 }, name);
      const detail = await bare.control.phoneNumberDetail(name);
      const reply = (await bare.control.invoke('account', { action: 'bindPhone', code: detail.code }, name)).result;
      expect(reply).toMatchObject({ ok: false, error: { code: 'OPENAPI_PERMISSION_MISSING' } });
    } finally {
      await bare.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('legacy encryptedData is decrypted with the stored session_key', async () => {
    const { name, openid } = await loggedIn();
    const { encryptedData, iv } = await t.control.phoneNumberDetail(name);
    const { user } = ok(await account(name, { action: 'bindPhoneLegacy', encryptedData, iv }));
    expect(user?.phoneMasked).toBe('138****1234');
    expect(await storedPhone(openid)).toBe('13800001234');
  });

  test('a stale session_key (a newer wx.login never reached the server) is SESSION_EXPIRED, and changes nothing', async () => {
    const { name, openid } = await loggedIn();
    await t.control.loginCode(name); // rotates WeChat's key; the server still holds the old one
    const { encryptedData, iv, cloudID } = await t.control.phoneNumberDetail(name);
    expectError(await account(name, { action: 'bindPhoneLegacy', encryptedData, iv }), 'SESSION_EXPIRED');
    expect(await storedPhone(openid)).toBeUndefined();
    // The cloudID needs no session_key at all.
    expect(ok(await account(name, { action: 'bindPhoneLegacy', cloudID })).user?.phoneMasked).toBe('138****1234');
  });

  test('open data for another appid, or too old, is OPEN_DATA_INVALID', async () => {
    const { name, openid } = await loggedIn();
    const sessionKey = String((await doc('sessions', openid))?.sessionKey);
    const forge = (watermark: Record<string, unknown>) => {
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv);
      const plain = JSON.stringify({
        phoneNumber: '13000000000',
        purePhoneNumber: '13000000000',
        countryCode: '86',
        watermark,
      });
      return {
        encryptedData: Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64'),
        iv: iv.toString('base64'),
      };
    };
    const now = Math.floor(Date.now() / 1000);
    const otherApp = forge({ appid: 'wx-someone-else', timestamp: now });
    expectError(await account(name, { action: 'bindPhoneLegacy', ...otherApp }), 'OPEN_DATA_INVALID');
    const { appid } = await t.control.info();
    const old = forge({ appid, timestamp: now - 3600 });
    expectError(await account(name, { action: 'bindPhoneLegacy', ...old }), 'OPEN_DATA_INVALID');
    expect(await storedPhone(openid)).toBeUndefined();
  });

  test('an unknown cloudID is OPEN_DATA_INVALID and stores nothing', async () => {
    const { name, openid } = await loggedIn();
    expectError(await account(name, { action: 'bindPhoneLegacy', cloudID: '99_unknown' }), 'OPEN_DATA_INVALID');
    expect(await storedPhone(openid)).toBeUndefined();
  });
});

describe('logout and deletion', () => {
  test('logout forgets the session_key and keeps the account', async () => {
    const { name, openid } = await loggedIn();
    expect(await doc('sessions', openid)).toBeDefined();
    expect(ok(await account(name, { action: 'logout' })).loggedOut).toBe(true);
    expect(await doc('sessions', openid)).toBeUndefined();
    expect(await doc('users', openid)).toBeDefined();
    const { encryptedData, iv } = await t.control.phoneNumberDetail(name);
    expectError(await account(name, { action: 'bindPhoneLegacy', encryptedData, iv }), 'SESSION_EXPIRED');
  });

  test('deletion needs confirm: true, and without it nothing is deleted', async () => {
    const { name, openid } = await loggedIn();
    for (const confirm of [undefined, false, 'true', 1]) {
      expectError(await account(name, { action: 'deleteAccount', confirm }), 'INVALID_ARGUMENT');
    }
    expect(await doc('users', openid)).toBeDefined();
  });

  test('deletion leaves nothing of the user in any collection or in storage; a later login is a new user', async () => {
    const { name, openid } = await loggedIn('leaver');
    const stayer = await loggedIn('stayer');
    const avatar = await putAvatar(openid);
    ok(await account(name, { action: 'updateProfile', avatarFileID: avatar, nickName: '要走了' }));
    const { code } = await t.control.phoneNumberDetail(name);
    ok(await account(name, { action: 'bindPhone', code }));
    expect(await storedPhone(openid)).toBe('13800001234');

    expect(ok(await account(name, { action: 'deleteAccount', confirm: true })).deleted).toBe(true);
    expect(await storedPhone(openid)).toBeUndefined();

    for (const collection of await t.cloud!.database.collections()) {
      const docs = await t.control.documents(collection);
      expect(docs.filter((d) => d._id === openid || d._openid === openid)).toEqual([]);
    }
    expect(await t.cloud!.storage.read(avatar)).toBeUndefined();
    expect(await doc('users', stayer.openid)).toBeDefined();
    expect(await doc('sessions', stayer.openid)).toBeDefined();

    const again = (await t.control.invoke('login', {}, name)).result as Envelope<LoginResult>;
    expect(again).toMatchObject({ ok: true, data: { isNewUser: true, user: { loginCount: 1 } } });
    if (again.ok) expect(again.data.user.nickName).toBeUndefined();
  });
});

describe('isolation and validation', () => {
  test('fields naming another user are ignored: every action acts on the caller only', async () => {
    const alice = await loggedIn('alice');
    const bob = await loggedIn('bob');
    const aimAtBob = { openid: bob.openid, _openid: bob.openid, _id: bob.openid, userInfo: { openId: bob.openid } };
    ok(await account(alice.name, { action: 'updateProfile', nickName: 'Alice', ...aimAtBob }));
    ok(await account(alice.name, { action: 'logout', ...aimAtBob }));
    ok(await account(alice.name, { action: 'deleteAccount', confirm: true, ...aimAtBob }));
    expect(await doc('users', bob.openid)).toMatchObject({ _id: bob.openid, loginCount: 1 });
    expect((await doc('users', bob.openid))?.nickName).toBeUndefined();
    expect(await doc('sessions', bob.openid)).toBeDefined();
    expect(await doc('users', alice.openid)).toBeUndefined();
  });

  test("another user's cloudID is refused by WeChat (-601007) and binds nothing", async () => {
    const alice = await loggedIn('alice');
    const bob = await loggedIn('bob');
    const { cloudID } = await t.control.phoneNumberDetail(alice.name);
    expectError(await account(bob.name, { action: 'bindPhoneLegacy', cloudID }), 'OPEN_DATA_INVALID');
    expect(await storedPhone(bob.openid)).toBeUndefined();
    // Alice's own cloudID still works for her.
    expect(ok(await account(alice.name, { action: 'bindPhoneLegacy', cloudID })).user?.phoneMasked).toBe('138****1234');
  });

  test('a call without WeChat identity is NO_IDENTITY, even when userInfo names a user', async () => {
    const bob = await loggedIn('bob');
    const reply = await account(undefined, {
      action: 'deleteAccount',
      confirm: true,
      userInfo: { openId: bob.openid },
    });
    expectError(reply, 'NO_IDENTITY');
    expect(await doc('users', bob.openid)).toBeDefined();
  });

  test.each([
    [{ action: 'dropDatabase' }],
    [{}],
    [{ action: 'updateProfile' }],
    [{ action: 'updateProfile', nickName: 42 }],
    [{ action: 'bindPhone' }],
    [{ action: 'bindPhoneLegacy', encryptedData: 'abc' }],
  ])('%j is INVALID_ARGUMENT and changes nothing', async (event) => {
    const { name, openid } = await loggedIn();
    const before = await doc('users', openid);
    await t.control.resetStats();
    expectError(await account(name, event), 'INVALID_ARGUMENT');
    expect(await doc('users', openid)).toEqual(before);
    const stats = await t.control.stats();
    expect(stats.database.byAction['database.modifyDocument'] ?? 0).toBe(0);
    expect(stats.database.byAction['database.modifyAndReturnDoc'] ?? 0).toBe(0);
  });
});
