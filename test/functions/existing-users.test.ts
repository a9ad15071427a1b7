/**
 * An existing `users` collection (docs/existing-project.md): documents the kit did not create meet the login.
 */
import type { Envelope, LoginResult } from '../../contracts';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t.stop());

async function insert(doc: Record<string, unknown>): Promise<void> {
  await t.cloud!.database.handle('database.insertDocument', {
    envName: t.cloud!.envId,
    collectionName: 'users',
    data: [JSON.stringify(doc)],
  });
}

const login = async (name: string) =>
  (await t.control.invoke('login', { code: await t.control.loginCode(name) }, name)).result as Envelope<LoginResult>;

test.each([
  ['no createdAt at all', {}],
  ['an unreadable createdAt', { createdAt: 'yesterday-ish' }],
])(
  'a document with %s is adopted: counted once, given a createdAt and an accountId, its fields kept',
  async (_what, extra) => {
    const name = uniqueUser('legacy');
    const { openid } = await t.control.user(name);
    await insert({ _id: openid, _openid: openid, nickName: '老用户', points: 42, ...extra });
    const first = await login(name);
    expect(first).toMatchObject({ ok: true, data: { isNewUser: false, user: { nickName: '老用户', loginCount: 1 } } });
    const doc = (await t.control.documents('users')).find((user) => user._id === openid)!;
    expect(doc).toMatchObject({ points: 42, loginCount: 1 });
    expect(doc.accountId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Number.isNaN(new Date(doc.createdAt as string).getTime())).toBe(false);
    if (first.ok) expect(first.data.user.createdAt).toBe(new Date(doc.createdAt as string).toISOString());
    // The next login sees a whole document: nothing is adopted twice.
    expect(await login(name)).toMatchObject({ ok: true, data: { user: { loginCount: 2 } } });
    expect((await t.control.documents('users')).find((user) => user._id === openid)).toMatchObject({
      accountId: doc.accountId,
      createdAt: doc.createdAt,
    });
  },
);

test('a createdAt given as an ISO string or a number is read as it is', async () => {
  for (const createdAt of ['2023-05-06T07:08:09.000Z', Date.UTC(2022, 0, 2)]) {
    const name = uniqueUser('legacy-date');
    const { openid } = await t.control.user(name);
    await insert({ _id: openid, _openid: openid, createdAt, loginCount: 7 });
    expect(await login(name)).toMatchObject({
      ok: true,
      data: { user: { createdAt: new Date(createdAt).toISOString(), loginCount: 8 } },
    });
  }
});
