/**
 * Bans against 注销 and a new login of the same WeChat user, ordered by held database calls (found by the race fuzz
 * in test/functions/races.test.ts, which meets them only now and then):
 * - a ban that finds no account, while a login creates one, bans that account instead of answering ok about it;
 * - a login whose kept-ban read came before a banned user's 注销 kept the ban, and whose insert came after, ends
 *   banned and refused: no unbanned account stands beside a kept ban.
 */
import type { Envelope } from '../../contracts';
import { DEFAULT_APPID, openidFor } from 'devcloud';
import { pseudonymOf } from '../../core/pseudonym';
import { heldCall, startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const ADMIN = uniqueUser('ban-race-admin');
const ADMIN_OPENID = openidFor(DEFAULT_APPID, ADMIN);

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({ functionEnv: { admin: { ADMIN_OPENIDS: ADMIN_OPENID } } });
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

async function invoke(fn: string, event: Record<string, unknown>, user: string): Promise<Envelope<unknown>> {
  const report = await t.control.invoke(fn, event, user);
  expect(report.error).toBeUndefined();
  return report.result as Envelope<unknown>;
}

async function userDoc(openid: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents('users')).find((doc) => doc._id === openid);
}

/** Holds the next call of `action` on `collection` that `functionName` makes for the caller `openid`. */
async function hold(action: string, collection: string, functionName: string, openid: string) {
  await t.control.injectFault({
    target: 'database',
    mode: 'hold',
    match: { action, collection, functionName, openid },
  });
}
const heldOne = (action: string, functionName: string, openid: string) =>
  heldCall(t.control, (call) => call.action === action && call.functionName === functionName && call.openid === openid);

test('a ban that finds no account while a login creates one bans the new account', async () => {
  const name = uniqueUser('ban-race');
  const { openid } = await t.control.user(name);
  expect(await invoke('login', {}, name)).toMatchObject({ ok: true });
  expect(await invoke('account', { action: 'deleteAccount', confirm: true }, name)).toMatchObject({ ok: true });
  // The ban's update finds no account; its re-read is held while the user logs in again (a new account).
  await hold('database.getDocument', 'users', 'admin', ADMIN_OPENID);
  const ban = invoke('admin', { action: 'ban', openid }, ADMIN);
  const reread = await heldOne('database.getDocument', 'admin', ADMIN_OPENID);
  expect(await invoke('login', {}, name)).toMatchObject({ ok: true, data: { isNewUser: true } });
  await t.control.releaseHeld(reread.seq);

  const answer = await ban;
  expect(answer).toMatchObject({ ok: true, data: { user: { status: 'banned' } } });
  expect(await userDoc(openid)).toMatchObject({ status: 'banned' });
  expect(await invoke('login', {}, name)).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
});

test('a login that read no kept ban before a banned user’s 注销 kept it, and inserted after, is banned and refused', async () => {
  const name = uniqueUser('kept-race');
  const { openid } = await t.control.user(name);
  expect(await invoke('login', {}, name)).toMatchObject({ ok: true });
  expect(await invoke('admin', { action: 'ban', openid }, ADMIN)).toMatchObject({ ok: true });
  // The login finds the account banned (no count), reads no kept ban, and its insert is held...
  await hold('database.insertDocument', 'users', 'login', openid);
  const login = invoke('login', {}, name);
  const insert = await heldOne('database.insertDocument', 'login', openid);
  // ...while the banned user deletes their account: the ban is kept, the account goes.
  expect(await invoke('account', { action: 'deleteAccount', confirm: true }, name)).toMatchObject({ ok: true });
  expect((await t.control.documents('bans')).some((doc) => doc._id === pseudonymOf(openid))).toBe(true);
  await t.control.releaseHeld(insert.seq);

  expect(await login).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
  expect(await userDoc(openid)).toMatchObject({ status: 'banned' });
  expect((await t.control.documents('sessions')).some((doc) => doc._id === openid)).toBe(false);
  expect(await invoke('login', {}, name)).toMatchObject({ ok: false, error: { code: 'USER_BANNED' } });
});
