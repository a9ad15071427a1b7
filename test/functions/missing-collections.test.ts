/**
 * A project that has not created every collection yet (docs/first-run-errors.md): what still works, and what refuses
 * rather than act without its record. devcloud serves only the collections that exist, as CloudBase does.
 */
import type { Envelope } from '../../contracts';
import { DEFAULT_APPID, openidFor } from 'devcloud';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const ADMIN = uniqueUser('admin');
let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({
    rulesDir: false,
    collections: ['users', 'sessions', 'phones', 'login_logs'], // no admin_logs, no bans
    functionEnv: { admin: { ADMIN_OPENIDS: openidFor(DEFAULT_APPID, ADMIN) } },
  });
});
afterAll(() => t.stop());

async function invoke(fn: string, event: unknown, user: string): Promise<Envelope<unknown>> {
  return (await t.control.invoke(fn, event, user)).result as Envelope<unknown>;
}

test('without bans: logins work and say so in the log; a banned user cannot delete, since the ban could not be kept', async () => {
  const name = uniqueUser('no-bans');
  const { openid } = await t.control.user(name);
  const before = (await t.control.logs()).length;
  expect(await invoke('login', { code: await t.control.loginCode(name) }, name)).toMatchObject({ ok: true });
  expect(await invoke('login', {}, name)).toMatchObject({ ok: true });
  const lines = (await t.control.logs()).slice(before).map((entry) => entry.line);
  expect(lines.some((line) => line.includes('COLLECTION_MISSING') && line.includes('bans'))).toBe(true);
  // The admin function cannot ban here (no admin_logs, below); mark the ban as the database would hold it.
  await t.cloud!.database.handle('database.modifyDocument', {
    collectionName: 'users',
    query: JSON.stringify({ _id: openid }),
    data: JSON.stringify({ $set: { status: 'banned' } }),
    merge: true,
  });
  expect(await invoke('account', { action: 'deleteAccount', confirm: true }, name)).toMatchObject({
    ok: false,
    error: { code: 'INTERNAL' },
  });
  expect((await t.control.documents('users')).some((doc) => doc._id === openid)).toBe(true);
});

test('without admin_logs: every admin call answers INTERNAL and changes nothing', async () => {
  const name = uniqueUser('no-admin-logs');
  const { openid } = await t.control.user(name);
  expect(await invoke('login', {}, name)).toMatchObject({ ok: true });
  expect(await invoke('admin', { action: 'ban', openid }, ADMIN)).toMatchObject({
    ok: false,
    error: { code: 'INTERNAL' },
  });
  expect((await t.control.documents('users')).find((doc) => doc._id === openid)).toMatchObject({ status: 'active' });
});
