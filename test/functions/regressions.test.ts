/**
 * Defects found from outside (reliability issue, section 1), each pinned by a test that failed before its fix.
 * Run as built, in devcloud's runtime, with the real wx-server-sdk.
 */
import { randomBytes } from 'crypto';
import type { Envelope, LoginResult, UserProfile } from '../../contracts';
import type { AccountEvent } from '../../contracts';
import { createDevice } from 'devcloud';
import { launchServices } from '../support/services';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

type Reply = Envelope<{ user?: UserProfile; deleted?: true; cloudPath?: string }>;

async function account(user: string, event: Partial<AccountEvent> | Record<string, unknown>): Promise<Reply> {
  const report = await t.control.invoke('account', event, user);
  expect(report.error).toBeUndefined();
  return report.result as Reply;
}

async function loggedIn(prefix = 'reg'): Promise<{ name: string; openid: string }> {
  const name = uniqueUser(prefix);
  const report = await t.control.invoke('login', { code: await t.control.loginCode(name) }, name);
  const result = report.result as Envelope<LoginResult>;
  if (!result.ok) throw new Error(`login failed: ${result.error.code}`);
  ok(await account(name, { action: 'recordConsent', version: 1 })); // 《用户协议》和《隐私政策》, as the profile page does
  return { name, openid: result.data.user.openid };
}

async function upload(openid: string): Promise<string> {
  const name = `${Date.now()}-${randomBytes(3).toString('hex')}.jpg`;
  return t.cloud!.storage.putFile(`avatars/${openid}/${name}`, randomBytes(32), openid);
}

async function filesOf(openid: string): Promise<string[]> {
  return (await t.cloud!.storage.list()).filter((id) => id.includes(`/avatars/${openid}/`));
}

async function usersDoc(openid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents('users')).find((doc) => doc._id === openid);
}

/** Nothing of the user is left: no document in any collection, no file in storage. */
async function expectNothingLeft(openid: string): Promise<void> {
  for (const collection of ['users', 'sessions']) {
    expect((await t.control.documents(collection)).filter((doc) => doc._id === openid)).toEqual([]);
  }
  expect(await filesOf(openid)).toEqual([]);
}

/** Every file in the user's folder is their avatar or tracked in their files map. */
async function expectEveryFileTracked(openid: string): Promise<void> {
  const doc = (await usersDoc(openid)) as { avatarUrl?: string; files?: Record<string, { path: string }> } | undefined;
  const tracked = new Set(Object.values(doc?.files ?? {}).map((file) => file.path));
  for (const fileID of await filesOf(openid)) {
    const path = fileID.slice(fileID.indexOf('/avatars/') + 1);
    expect({ fileID, tracked: fileID === doc?.avatarUrl || tracked.has(path) }).toEqual({ fileID, tracked: true });
  }
}

function ok(reply: Reply): NonNullable<Extract<Reply, { ok: true }>['data']> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.code}`);
  return reply.data;
}

describe('a. 注销 completes when files are already gone', () => {
  test('the user deleted their own avatar file first', async () => {
    const { name, openid } = await loggedIn();
    const avatar = await upload(openid);
    ok(await account(name, { action: 'updateProfile', avatarFileID: avatar }));
    const device = createDevice({ devcloudUrl: t.control.url, user: name });
    const reply = await device.wx.cloud.deleteFile({ fileList: [avatar] });
    expect(reply.fileList[0]?.status).toBe(0);
    expect(ok(await account(name, { action: 'deleteAccount', confirm: true })).deleted).toBe(true);
    await expectNothingLeft(openid);
  });

  test('a database fault after the files were deleted: the retry completes', async () => {
    const { name, openid } = await loggedIn();
    ok(await account(name, { action: 'updateProfile', avatarFileID: await upload(openid) }));
    await t.control.injectDatabaseFault({ skip: 1 }); // the read goes through, the next database call fails
    expect(await account(name, { action: 'deleteAccount', confirm: true })).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
    await t.control.clearFaults();
    expect(ok(await account(name, { action: 'deleteAccount', confirm: true })).deleted).toBe(true);
    await expectNothingLeft(openid);
  });

  test('a second 注销 of a deleted account answers deleted, idempotently', async () => {
    const { name, openid } = await loggedIn();
    ok(await account(name, { action: 'deleteAccount', confirm: true }));
    expect(ok(await account(name, { action: 'deleteAccount', confirm: true })).deleted).toBe(true);
    await expectNothingLeft(openid);
  });
});

describe("b. only this environment's own bucket", () => {
  test('another bucket with my folder and a valid name is AVATAR_INVALID and changes nothing', async () => {
    const { name, openid } = await loggedIn();
    const env = (await t.control.info()).envId;
    const foreign = `cloud://${env}.7465-${env}-1999999999/avatars/${openid}/${Date.now()}-abc123.jpg`;
    const before = await usersDoc(openid);
    expect(await account(name, { action: 'updateProfile', avatarFileID: foreign })).toMatchObject({
      ok: false,
      error: { code: 'AVATAR_INVALID' },
    });
    expect(await usersDoc(openid)).toEqual(before);
    ok(await account(name, { action: 'deleteAccount', confirm: true }));
    await expectNothingLeft(openid);
  });

  test('a well-formed name that was never uploaded is AVATAR_INVALID', async () => {
    const { name, openid } = await loggedIn();
    const real = await upload(openid);
    const missing = real.replace(/\/[^/]+$/, `/${Date.now()}-zzz999.jpg`);
    expect(await account(name, { action: 'updateProfile', avatarFileID: missing })).toMatchObject({
      ok: false,
      error: { code: 'AVATAR_INVALID' },
    });
  });
});

describe('c. races leave no file behind', () => {
  test('注销 racing a save of a new avatar: nothing of the user survives, whatever the interleaving', async () => {
    for (let trial = 0; trial < 15; trial += 1) {
      const { name, openid } = await loggedIn('race-del');
      const avatar = await upload(openid);
      const [, deletion] = await Promise.all([
        account(name, { action: 'updateProfile', avatarFileID: avatar }),
        account(name, { action: 'deleteAccount', confirm: true }),
      ]);
      expect(deletion.ok).toBe(true);
      await expectNothingLeft(openid);
    }
  });

  test('two saves with different avatars: one wins, no uploaded file goes untracked', async () => {
    for (let trial = 0; trial < 15; trial += 1) {
      const { name, openid } = await loggedIn('race-save');
      const [first, second] = [await upload(openid), await upload(openid)];
      const replies = await Promise.all([
        account(name, { action: 'updateProfile', avatarFileID: first }),
        account(name, { action: 'updateProfile', avatarFileID: second }),
      ]);
      expect(replies.every((reply) => reply.ok)).toBe(true);
      const avatar = (await usersDoc(openid))?.avatarUrl;
      expect([first, second]).toContain(avatar);
      expect(await t.cloud!.storage.read(String(avatar))).toBeInstanceOf(Buffer);
      await expectEveryFileTracked(openid);
      ok(await account(name, { action: 'deleteAccount', confirm: true }));
      await expectNothingLeft(openid);
    }
  });
});

describe('d. the client deletes its upload only after a definite "not saved"', () => {
  function launch(user: string) {
    const device = createDevice({ devcloudUrl: t.control.url, user });
    return { device, ...launchServices(device) };
  }

  test('the save reached the server but its reply was lost: the file stays and is the avatar', async () => {
    const { device, account: service, auth } = launch(uniqueUser('lost'));
    const { user } = await auth.ensureLogin();
    ok(await account(device.user, { action: 'recordConsent', version: 1 }));
    // The phone's second callFunction of the save (updateProfile, after prepareAvatarUpload) runs, then its reply is lost.
    await t.control.injectFault({
      target: 'device',
      mode: 'lost',
      skip: 1,
      match: { action: 'cloud.callFunction', openid: user.openid },
    });
    await expect(
      service.saveProfile({ avatarTempPath: device.chooseAvatarEvent().detail.avatarUrl }),
    ).rejects.toMatchObject({ code: 'NETWORK' });
    const avatar = String((await usersDoc(user.openid))?.avatarUrl);
    expect(avatar).toMatch(/^cloud:\/\//);
    expect(await t.cloud!.storage.read(avatar)).toBeInstanceOf(Buffer);
    expect(device.trail).not.toContain('deleteFile');
  });

  test('the save never reached the server: the file stays, tracked by the reservation, and 注销 removes it', async () => {
    const { device, account: service, auth } = launch(uniqueUser('reset'));
    const { user } = await auth.ensureLogin();
    ok(await account(device.user, { action: 'recordConsent', version: 1 }));
    await t.control.injectFault({
      target: 'device',
      mode: 'reset',
      skip: 1,
      match: { action: 'cloud.callFunction', openid: user.openid },
    });
    await expect(
      service.saveProfile({ avatarTempPath: device.chooseAvatarEvent().detail.avatarUrl }),
    ).rejects.toMatchObject({ code: 'NETWORK' });
    expect(await filesOf(user.openid)).toHaveLength(1);
    await expectEveryFileTracked(user.openid);
    expect(device.trail).not.toContain('deleteFile');
    await service.deleteAccount();
    await expectNothingLeft(user.openid);
  });
});

describe('e. two faults do not lose a file', () => {
  test('the old avatar cannot be deleted: it stays tracked, and 注销 removes it later', async () => {
    const { name, openid } = await loggedIn();
    const old = await upload(openid);
    ok(await account(name, { action: 'updateProfile', avatarFileID: old }));
    // The superseded file's delete fails, and so does every database write after the save's own.
    await t.control.injectFault({ target: 'storage', mode: 'error', match: { action: 'storage.batchDeleteFile' } });
    const fresh = await upload(openid);
    expect(ok(await account(name, { action: 'updateProfile', avatarFileID: fresh })).user?.avatarUrl).toBe(fresh);
    await t.control.clearFaults();
    expect(await t.cloud!.storage.read(old)).toBeInstanceOf(Buffer);
    await expectEveryFileTracked(openid);
    ok(await account(name, { action: 'deleteAccount', confirm: true }));
    await expectNothingLeft(openid);
  });

  test('the old avatar is deleted but forgetting it fails: the entry stays, harmless, and 注销 still completes', async () => {
    const { name, openid } = await loggedIn();
    ok(await account(name, { action: 'updateProfile', avatarFileID: await upload(openid) }));
    const fresh = await upload(openid);
    // Recording the new file and setting it pass; the next write (forgetting the swept file) fails.
    await t.control.injectFault({
      target: 'database',
      mode: 'reset',
      skip: 2,
      match: { action: 'database.modifyAndReturnDoc', openid },
    });
    expect(ok(await account(name, { action: 'updateProfile', avatarFileID: fresh })).user?.avatarUrl).toBe(fresh);
    await t.control.clearFaults();
    await expectEveryFileTracked(openid);
    expect(await filesOf(openid)).toEqual([fresh]);
    ok(await account(name, { action: 'deleteAccount', confirm: true }));
    await expectNothingLeft(openid);
  });
});

describe('f. invisible nicknames', () => {
  test.each([
    ['zero-width space', '\u200B'],
    ['zero-width joiners around text', 'a\u200C\u200Db'],
    ['word joiner', '\u2060'],
    ['NUL', 'a\u0000b'],
    ['newline', '小\n明'],
    ['bidi override', '\u202Eabc'],
    ['soft hyphen only', '\u00AD'],
    ['Hangul filler', '\u3164'],
    ['braille blank', '\u2800'],
    ['Mongolian vowel separator', 'a\u180Eb'],
    ['tag characters', '\u{E0041}\u{E0042}'],
    ['a lone surrogate', 'a\uD800'],
    ['21 characters', 'a'.repeat(21)],
    ['spaces only', ' \u3000 '],
  ])('%s is NICKNAME_INVALID and nothing changes', async (_what, nickName) => {
    const { name, openid } = await loggedIn('nick');
    ok(await account(name, { action: 'updateProfile', nickName: '原名' }));
    expect(await account(name, { action: 'updateProfile', nickName })).toMatchObject({
      ok: false,
      error: { code: 'NICKNAME_INVALID' },
    });
    expect((await usersDoc(openid))?.nickName).toBe('原名');
  });

  test('visible names survive NFC normalisation and trimming; emoji sequences are fine', async () => {
    const { name } = await loggedIn('nick');
    expect(ok(await account(name, { action: 'updateProfile', nickName: ' e\u0301 ' })).user?.nickName).toBe('\u00E9');
    expect(ok(await account(name, { action: 'updateProfile', nickName: '👨‍👩‍👧❤️' })).user?.nickName).toBe('👨‍👩‍👧❤️');
  });
});

describe('g. error logs keep their code', () => {
  test('an unexpected database failure is logged with code INTERNAL and the SDK errCode beside it', async () => {
    const { name } = await loggedIn('log');
    const before = (await t.control.logs()).length;
    await t.control.injectDatabaseFault({ times: 5 });
    expect(await account(name, { action: 'updateProfile', nickName: '日志' })).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
    const lines = (await t.control.logs()).slice(before).map((entry) => entry.line);
    const error = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.level === 'error');
    expect(error).toMatchObject({ code: 'INTERNAL', fn: 'account', errCode: -502001 });
  });
});

describe('i. paid and limited calls come after the account check', () => {
  test("a stranger's nickname is USER_NOT_FOUND before any content check", async () => {
    const name = uniqueUser('stranger');
    // The content check would refuse this name: a stranger must not even get that far.
    expect(await account(name, { action: 'updateProfile', nickName: '赌博大师' })).toMatchObject({
      ok: false,
      error: { code: 'USER_NOT_FOUND' },
    });
  });

  test("a phone code obtained by one user cannot be bound to another's account", async () => {
    const alice = await loggedIn('alice');
    const mallory = await loggedIn('mallory');
    const { code } = await t.control.phoneNumberDetail(alice.name);
    expect(await account(mallory.name, { action: 'bindPhone', code })).toMatchObject({
      ok: false,
      error: { code: 'PHONE_CODE_INVALID' },
    });
    expect(await usersDoc(mallory.openid)).not.toHaveProperty('phoneNumber');
    expect(await usersDoc(mallory.openid)).not.toHaveProperty('phoneMasked');
    // The refused attempt did not spend Alice's code.
    expect(ok(await account(alice.name, { action: 'bindPhone', code })).user?.phoneMasked).toMatch(/\*\*\*\*/);
  });

  test("a stranger's phone code is not spent: it still works once they have an account", async () => {
    const name = uniqueUser('stranger');
    const { code } = await t.control.phoneNumberDetail(name);
    expect(await account(name, { action: 'bindPhone', code })).toMatchObject({
      ok: false,
      error: { code: 'USER_NOT_FOUND' },
    });
    await t.control.invoke('login', {}, name);
    ok(await account(name, { action: 'recordConsent', version: 1 }));
    expect(ok(await account(name, { action: 'bindPhone', code })).user?.phoneMasked).toMatch(/\*\*\*\*/);
  });
});

describe('j. concurrent logins with a code', () => {
  test('100 concurrent code logins of one user all succeed, leave one document and count every login', async () => {
    const name = uniqueUser('burst');
    const { openid } = await t.control.user(name);
    const codes: string[] = [];
    for (let i = 0; i < 100; i += 1) codes.push(await t.control.loginCode(name));
    const reports = await Promise.all(codes.map((code) => t.control.invoke('login', { code }, name)));
    const results = reports.map((report) => report.result as Envelope<LoginResult>);
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(results.filter((result) => result.ok && result.data.isNewUser)).toHaveLength(1);
    const docs = (await t.control.documents('users')).filter((doc) => doc._id === openid);
    expect(docs).toHaveLength(1);
    expect(docs[0]?.loginCount).toBe(100);
  }, 120_000);
});
