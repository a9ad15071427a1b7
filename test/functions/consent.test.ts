/**
 * Consent to 《用户协议》和《隐私政策》 on the server: the account function records it on the users document, refuses the
 * actions that collect personal information (profile, avatar upload, phone number) from a user whose consent is
 * older than CONSENT_VERSION, and such a refusal changes nothing and makes no paid call. The built function, on
 * devcloud, with the real wx-server-sdk.
 */
import type { Envelope, LoginResult, UserProfile } from '../../contracts';
import { heldCall, startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

/** Runs `body` with the account function's CONSENT_VERSION set, then puts the default (1) back. */
async function withConsentVersion(version: string, body: () => Promise<void>): Promise<void> {
  await t.control.setFunctionEnv('account', { CONSENT_VERSION: version });
  try {
    await body();
  } finally {
    await t.control.setFunctionEnv('account', { CONSENT_VERSION: '' });
  }
}

type Reply = Envelope<Record<string, unknown>>;

async function account(user: string, event: Record<string, unknown>): Promise<Reply> {
  const report = await t.control.invoke('account', event, user);
  expect(report.error).toBeUndefined();
  return report.result as Reply;
}

async function loggedIn(): Promise<{ name: string; openid: string }> {
  const name = uniqueUser('consent');
  const result = (await t.control.invoke('login', { code: await t.control.loginCode(name) }, name))
    .result as Envelope<LoginResult>;
  if (!result.ok) throw new Error(result.error.code);
  return { name, openid: result.data.user.openid };
}

async function userDoc(openid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents('users')).find((doc) => doc._id === openid);
}

/** The cloud calls (phonenumber.getPhoneNumber, security.msgSecCheck: paid or limited) made for this user. */
async function cloudCallsOf(openid: string): Promise<string[]> {
  const calls = await t.control.recordedCalls();
  return calls.filter((call) => call.target === 'cloudCall' && call.openid === openid).map((call) => call.action);
}

/** What a refused action must not have done: a write, a paid or limited cloud call, a file. */
async function expectNothingDone(openid: string, before: Record<string, unknown> | undefined): Promise<void> {
  expect(await userDoc(openid)).toEqual(before);
  expect((await t.control.documents('phones')).filter((doc) => doc._id === openid)).toEqual([]);
  const { database } = await t.control.stats();
  expect(await cloudCallsOf(openid)).toEqual([]);
  for (const action of ['insertDocument', 'modifyDocument', 'modifyAndReturnDoc', 'removeDocument']) {
    expect({ action, count: database.byAction[`database.${action}`] ?? 0 }).toEqual({ action, count: 0 });
  }
  expect((await t.cloud!.storage.list()).filter((id) => id.includes(`/avatars/${openid}/`))).toEqual([]);
}

/** Every action that collects personal information, each as a client would send it. */
async function collectingActions(name: string, openid: string): Promise<Array<Record<string, unknown>>> {
  const avatarFileID = await t.cloud!.storage.putFile(`avatars/${openid}/${Date.now()}-c0ffee.jpg`, Buffer.from('a'));
  await t.cloud!.storage.handle('storage.batchDeleteFile', { fileid_list: [avatarFileID] }); // named, not stored
  const detail = await t.control.phoneNumberDetail(name);
  return [
    { action: 'updateProfile', nickName: '小明' },
    { action: 'updateProfile', avatarFileID },
    { action: 'prepareAvatarUpload', extension: 'jpg' },
    { action: 'bindPhone', code: detail.code },
    { action: 'bindPhoneLegacy', cloudID: detail.cloudID },
    { action: 'bindPhoneLegacy', encryptedData: detail.encryptedData, iv: detail.iv },
  ];
}

test('without a recorded consent every collecting action is CONSENT_REQUIRED, changes nothing and costs nothing', async () => {
  const { name, openid } = await loggedIn();
  const actions = await collectingActions(name, openid);
  const before = await userDoc(openid);
  await t.control.resetStats();
  await t.control.clearRecordedCalls();
  for (const event of actions) {
    expect({ event, reply: await account(name, event) }).toMatchObject({
      event,
      reply: {
        ok: false,
        error: { code: 'CONSENT_REQUIRED', message: '请先阅读并同意最新的《用户协议》和《隐私政策》' },
      },
    });
  }
  await expectNothingDone(openid, before);
});

test('recordConsent stores { version, at } on the users document; then the actions work', async () => {
  const { name, openid } = await loggedIn();
  expect(await account(name, { action: 'getConsent' })).toEqual({
    ok: true,
    data: { currentVersion: 1, upToDate: false },
  });
  const started = Date.now();
  const recorded = await account(name, { action: 'recordConsent', version: 1 });
  expect(recorded).toMatchObject({ ok: true, data: { user: { consent: { version: 1 } } } });
  const consent = (recorded as unknown as { data: { user: UserProfile } }).data.user.consent!;
  expect(Date.parse(consent.at)).toBeGreaterThanOrEqual(started - 1000);
  expect((await userDoc(openid))?.consent).toEqual({ version: 1, at: consent.at });
  expect(await account(name, { action: 'getConsent' })).toEqual({
    ok: true,
    data: { currentVersion: 1, upToDate: true, consent },
  });
  expect(await account(name, { action: 'updateProfile', nickName: '小明' })).toMatchObject({ ok: true });
  const { code } = await t.control.phoneNumberDetail(name);
  expect(await account(name, { action: 'bindPhone', code })).toMatchObject({
    ok: true,
    data: { user: { phoneMasked: '138****1234', consent } },
  });
});

test('when CONSENT_VERSION rises, older consents are refused until the user agrees to the new version', async () => {
  const { name, openid } = await loggedIn();
  expect(await account(name, { action: 'recordConsent', version: 1 })).toMatchObject({ ok: true });
  expect(await account(name, { action: 'updateProfile', nickName: '第一版' })).toMatchObject({ ok: true });
  const { code } = await t.control.phoneNumberDetail(name);

  await withConsentVersion('2', async () => {
    const before = await userDoc(openid);
    await t.control.resetStats();
    await t.control.clearRecordedCalls();
    expect(await account(name, { action: 'updateProfile', nickName: '第二版' })).toMatchObject({
      ok: false,
      error: { code: 'CONSENT_REQUIRED' },
    });
    expect(await account(name, { action: 'bindPhone', code })).toMatchObject({
      ok: false,
      error: { code: 'CONSENT_REQUIRED' },
    });
    // Agreeing to the old version again does not count; a version the server does not know yet is refused.
    expect(await account(name, { action: 'recordConsent', version: 1 })).toMatchObject({
      ok: false,
      error: { code: 'CONSENT_REQUIRED' },
    });
    expect(await account(name, { action: 'recordConsent', version: 3 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    await expectNothingDone(openid, before);

    expect(await account(name, { action: 'getConsent' })).toMatchObject({
      ok: true,
      data: { currentVersion: 2, upToDate: false, consent: { version: 1 } },
    });
    expect(await account(name, { action: 'recordConsent', version: 2 })).toMatchObject({
      ok: true,
      data: { user: { consent: { version: 2 } } },
    });
    expect(await account(name, { action: 'updateProfile', nickName: '第二版' })).toMatchObject({ ok: true });
    // The refused bind made no cloud call, so its code was never used and still binds the number.
    expect(await account(name, { action: 'bindPhone', code })).toMatchObject({
      ok: true,
      data: { user: { phoneMasked: '138****1234' } },
    });
    expect(await userDoc(openid)).toMatchObject({ nickName: '第二版', consent: { version: 2 } });
  });
});

test('logout, 注销 and login need no consent', async () => {
  const { name, openid } = await loggedIn();
  expect(await account(name, { action: 'logout' })).toMatchObject({ ok: true });
  expect((await t.control.invoke('login', {}, name)).result).toMatchObject({ ok: true });
  expect(await account(name, { action: 'deleteAccount', confirm: true })).toMatchObject({ ok: true });
  expect(await userDoc(openid)).toBeUndefined();
});

test.each([[0], [-1], [1.5], ['x'], ['01'], [null], [[1]]])(
  'recordConsent with version %j is INVALID_ARGUMENT and records nothing',
  async (version) => {
    const { name, openid } = await loggedIn();
    expect(await account(name, { action: 'recordConsent', version })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect((await userDoc(openid))?.consent).toBeUndefined();
  },
);

test('a version written as a decimal string is read as its number', async () => {
  const { name, openid } = await loggedIn();
  expect(await account(name, { action: 'recordConsent', version: '1' })).toMatchObject({ ok: true });
  expect((await userDoc(openid))?.consent).toMatchObject({ version: 1 });
});

test('a CONSENT_VERSION that is not a positive integer is CONFIG_ERROR, and nothing is written', async () => {
  const { name, openid } = await loggedIn();
  await withConsentVersion('v2', async () => {
    const before = await userDoc(openid);
    expect(await account(name, { action: 'recordConsent', version: 1 })).toMatchObject({
      ok: false,
      error: { code: 'CONFIG_ERROR' },
    });
    expect(await account(name, { action: 'updateProfile', nickName: '小明' })).toMatchObject({
      ok: false,
      error: { code: 'CONFIG_ERROR' },
    });
    expect(await userDoc(openid)).toEqual(before);
  });
});

test('recordConsent for a caller without an account is USER_NOT_FOUND and creates nothing', async () => {
  const name = uniqueUser('ghost');
  const { openid } = await t.control.user(name);
  expect(await account(name, { action: 'recordConsent', version: 1 })).toMatchObject({
    ok: false,
    error: { code: 'USER_NOT_FOUND' },
  });
  expect(await userDoc(openid)).toBeUndefined();
});

test('a refused save removes an upload the account does not track, and keeps one it does', async () => {
  const { name, openid } = await loggedIn();
  const untracked = await t.cloud!.storage.putFile(`avatars/${openid}/${Date.now()}-0a1b2c.jpg`, Buffer.from('u'));
  expect(await account(name, { action: 'updateProfile', avatarFileID: untracked })).toMatchObject({
    ok: false,
    error: { code: 'CONSENT_REQUIRED' },
  });
  // Left there, nothing would ever delete it: 注销 deletes the files the account knows.
  expect(await t.cloud!.storage.read(untracked)).toBeUndefined();

  expect(await account(name, { action: 'recordConsent', version: 1 })).toMatchObject({ ok: true });
  const reserved = await account(name, { action: 'prepareAvatarUpload', extension: 'jpg' });
  const { cloudPath } = (reserved as unknown as { data: { cloudPath: string } }).data;
  const tracked = await t.cloud!.storage.putFile(cloudPath, Buffer.from('t'));
  await withConsentVersion('2', async () => {
    expect(await account(name, { action: 'updateProfile', avatarFileID: tracked })).toMatchObject({
      ok: false,
      error: { code: 'CONSENT_REQUIRED' },
    });
  });
  expect(await t.cloud!.storage.read(tracked)).toBeInstanceOf(Buffer);
  expect(await account(name, { action: 'deleteAccount', confirm: true })).toMatchObject({ ok: true });
  expect(await t.cloud!.storage.read(tracked)).toBeUndefined();
});

test('a save that outlives its account (注销, then a new login) does not land on the new account', async () => {
  const { name, openid } = await loggedIn();
  expect(await account(name, { action: 'recordConsent', version: 1 })).toMatchObject({ ok: true });
  const upload = await t.cloud!.storage.putFile(`avatars/${openid}/${Date.now()}-5afe00.jpg`, Buffer.from('a'), openid);
  const held = (action: string) => ({
    target: 'database' as const,
    mode: 'hold' as const,
    match: { action, functionName: 'account', openid },
  });
  const heldOne = (action: string) =>
    heldCall(t.control, (call) => call.action === action && call.functionName === 'account' && call.openid === openid);
  // The save's first write (recording the unannounced upload) is held while the account is deleted...
  await t.control.injectFault(held('database.modifyAndReturnDoc'));
  const save = account(name, { action: 'updateProfile', avatarFileID: upload });
  const write = await heldOne('database.modifyAndReturnDoc');
  expect(await account(name, { action: 'deleteAccount', confirm: true })).toMatchObject({ ok: true });
  // ...then finds no account, and its re-read is held while the user logs in again: a new, consent-less account.
  await t.control.injectFault(held('database.getDocument'));
  await t.control.releaseHeld(write.seq);
  const reread = await heldOne('database.getDocument');
  expect((await t.control.invoke('login', {}, name)).result).toMatchObject({ ok: true, data: { isNewUser: true } });
  await t.control.releaseHeld(reread.seq);

  expect(await save).toMatchObject({ ok: false, error: { code: 'USER_NOT_FOUND' } });
  expect((await userDoc(openid))?.avatarUrl).toBeUndefined();
  expect(await t.cloud!.storage.read(upload)).toBeUndefined(); // nobody's file: deleted, not left untracked
});
