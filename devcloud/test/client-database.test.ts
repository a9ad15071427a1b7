/**
 * wx.cloud.database() on the simulated phone (client-db/): the client API's results and errors, the same database
 * the cloud functions use, `_openid` stamped by the service, and every call under the collection's security rules,
 * tried as users would: the kit's own database-rules/ (users readable by their owner only, written by nobody;
 * sessions and the logs closed) against documents the real login function wrote, and test collections for the rest.
 */
import { existsSync } from 'fs';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { createDevice, type Device } from '../phone/device';
import { controlRequest } from '../phone/http';
import { SecurityRules } from '../rules';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';
import type { WxError } from '../protocol';

const KIT_RULES = join(__dirname, '..', '..', 'database-rules');

/** Rules for the test collections, beside the kit's own. */
const TEST_RULES: Record<string, unknown> = {
  todos: { read: 'doc._openid == auth.openid', write: 'doc._openid == auth.openid' },
  posts: { read: true, create: 'auth != null', update: 'doc._openid == auth.openid', delete: false },
  ages: { read: 'doc.age > 10', write: true },
  // Anyone may write anything: only the service's own guard keeps _openid and _id.
  open: { read: true, write: true },
  // An owner may only cancel: the rule reads request.data, so the data the rule sees must be what is written.
  cancellable: { read: true, create: 'auth != null', update: "request.data.status == 'cancelled'", delete: false },
};

let t: TestCloud;
let rulesDir: string;
beforeAll(async () => {
  if (!existsSync(join(__dirname, '..', '..', 'cloudfunctions', 'login', 'index.js')))
    throw new Error('cloudfunctions/login/index.js is missing: run npm run build');
  rulesDir = await mkdtemp(join(tmpdir(), 'devcloud-client-db-rules-'));
  for (const file of await readdir(KIT_RULES)) await copyFile(join(KIT_RULES, file), join(rulesDir, file));
  for (const [collection, rules] of Object.entries(TEST_RULES))
    await writeFile(join(rulesDir, `${collection}.json`), JSON.stringify(rules));
  t = await startTestCloud({ rulesDir });
});
afterAll(async () => {
  await t?.stop();
  await rm(rulesDir, { recursive: true, force: true });
});

interface Phone {
  device: Device;
  openid: string;
  db: ReturnType<Device['wx']['cloud']['database']>;
}

async function phone(prefix: string): Promise<Phone> {
  const device = createDevice({ devcloudUrl: t.cloud!.url, user: uniqueUser(prefix) });
  const { openid } = await t.control.user(device.user);
  return { device, openid, db: device.wx.cloud.database() };
}

/** What a promise rejected with (fails the test if it resolved). */
async function refusal(promise: Promise<unknown>): Promise<WxError> {
  return promise.then(
    (value) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error as WxError,
  );
}

const DENIED = { errCode: -502003, errMsg: expect.stringContaining('database permission denied') as unknown };

async function stored(collection: string, id: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents(collection)).find((doc) => doc._id === id);
}

describe("the kit's own rules, against what the login function writes", () => {
  let alice: Phone;
  let bob: Phone;
  beforeAll(async () => {
    alice = await phone('alice');
    bob = await phone('bob');
    for (const p of [alice, bob]) {
      // A login with a wx.login code, so the session_key is stored too.
      const { code } = await p.device.wx.login();
      const { result } = await p.device.wx.cloud.callFunction({ name: 'login', data: { code } });
      expect(result).toMatchObject({ ok: true, data: { user: { openid: p.openid } } });
    }
  });

  test("a user reads their own users document with where({_openid: '{openid}'}) and with doc(openid)", async () => {
    const byQuery = await alice.db.collection('users').where({ _openid: '{openid}' }).get();
    expect(byQuery.errMsg).toBe('collection.get:ok');
    expect(byQuery.data).toEqual([
      expect.objectContaining({ _id: alice.openid, _openid: alice.openid, loginCount: 1 }),
    ]);
    const byId = await alice.db.collection('users').doc(alice.openid).get();
    expect(byId).toEqual({ data: byQuery.data[0], errMsg: 'document.get:ok' });
    expect(byId.data.createdAt).toBeInstanceOf(Date);
  });

  test("one user cannot read another's users document, by id or by query", async () => {
    expect(await refusal(bob.db.collection('users').doc(alice.openid).get())).toMatchObject(DENIED);
    expect(await refusal(bob.db.collection('users').where({ _openid: alice.openid }).get())).toMatchObject(DENIED);
    expect(await refusal(bob.db.collection('users').where({ _id: alice.openid }).get())).toMatchObject(DENIED);
    // Without the owner condition the query is refused outright, whoever's documents it would return.
    const all = await refusal(alice.db.collection('users').get());
    expect(all).toMatchObject(DENIED);
    expect(all.errMsg).toMatch(/^collection\.get:fail -502003 database permission denied\. Permission denied/);
    expect(await refusal(alice.db.collection('users').count())).toMatchObject(DENIED);
  });

  test('nobody writes users from the phone: not their own loginCount, not a new document, not a removal', async () => {
    const before = await stored('users', alice.openid);
    const _ = alice.db.command;
    expect(
      await refusal(
        alice.db
          .collection('users')
          .doc(alice.openid)
          .update({ data: { loginCount: _.inc(100) } }),
      ),
    ).toMatchObject(DENIED);
    expect(
      await refusal(
        alice.db
          .collection('users')
          .where({ _openid: '{openid}' })
          .update({ data: { loginCount: 999 } }),
      ),
    ).toMatchObject(DENIED);
    expect(
      await refusal(
        alice.db
          .collection('users')
          .doc(alice.openid)
          .set({ data: { loginCount: 999 } }),
      ),
    ).toMatchObject(DENIED);
    expect(await refusal(alice.db.collection('users').add({ data: { loginCount: 999 } }))).toMatchObject(DENIED);
    expect(await refusal(alice.db.collection('users').doc(alice.openid).remove())).toMatchObject(DENIED);
    expect(await stored('users', alice.openid)).toEqual(before);
  });

  test.each(['sessions', 'phones', 'login_logs', 'admin_logs'])(
    '%s is closed to every client read and write',
    async (collection) => {
      const db = alice.db;
      expect(await refusal(db.collection(collection).doc(alice.openid).get())).toMatchObject(DENIED);
      expect(await refusal(db.collection(collection).where({ _id: alice.openid }).get())).toMatchObject(DENIED);
      expect(await refusal(db.collection(collection).where({ openid: alice.openid }).get())).toMatchObject(DENIED);
      expect(await refusal(db.collection(collection).where({ _openid: '{openid}' }).get())).toMatchObject(DENIED);
      expect(await refusal(db.collection(collection).count())).toMatchObject(DENIED);
      expect(await refusal(db.collection(collection).add({ data: { openid: alice.openid } }))).toMatchObject(DENIED);
      expect(
        await refusal(
          db
            .collection(collection)
            .doc(alice.openid)
            .set({ data: { a: 1 } }),
        ),
      ).toMatchObject(DENIED);
      expect(await refusal(db.collection(collection).where({ _id: alice.openid }).remove())).toMatchObject(DENIED);
    },
  );

  test('a user cannot read their own full phone number: phones is server-only', async () => {
    const call = async (data: Record<string, unknown>) =>
      (await alice.device.wx.cloud.callFunction({ name: 'account', data })).result;
    expect(await call({ action: 'recordConsent', version: 1 })).toMatchObject({ ok: true });
    const { detail } = await alice.device.getPhoneNumberEvent();
    expect(await call({ action: 'bindPhone', code: detail.code })).toMatchObject({ ok: true });
    expect(await stored('phones', alice.openid)).toBeDefined();
    expect(await refusal(alice.db.collection('phones').doc(alice.openid).get())).toMatchObject(DENIED);
    expect(await refusal(alice.db.collection('phones').where({ _id: alice.openid }).get())).toMatchObject(DENIED);
    // Their users document holds the masked number only.
    const own = await alice.db.collection('users').doc(alice.openid).get();
    expect(JSON.stringify(own.data)).not.toMatch(/1\d{10}/);
  });

  test('the session document is there, so the refusal is the rule, not a missing document', async () => {
    expect(await stored('sessions', alice.openid)).toBeDefined();
    expect((await t.control.documents('login_logs')).some((doc) => doc.openid === alice.openid)).toBe(true);
  });
});

describe('client writes and _openid', () => {
  test('add stamps the caller as _openid and answers {_id, errMsg}', async () => {
    const alice = await phone('alice');
    const when = Date.now();
    const added = await alice.db.collection('todos').add({ data: { title: '买早餐', at: alice.db.serverDate() } });
    expect(added).toEqual({ _id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown, errMsg: 'collection.add:ok' });
    const doc = await stored('todos', added._id as string);
    expect(doc).toEqual({ _id: added._id, title: '买早餐', at: expect.any(String) as unknown, _openid: alice.openid });
    // The server's clock at the write: between the call and its answer.
    expect(Date.parse(doc!.at as string)).toBeGreaterThanOrEqual(when);
    expect(Date.parse(doc!.at as string)).toBeLessThanOrEqual(Date.now());
  });

  test('a client cannot set _openid on add or set, nor change it by update: refused, nothing written', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const todos = alice.db.collection('todos');
    const before = (await t.control.documents('todos')).length;
    expect(await refusal(todos.add({ data: { title: 'x', _openid: bob.openid } }))).toMatchObject(DENIED);
    expect(await refusal(todos.add({ data: { title: 'x', _openid: alice.openid } }))).toMatchObject(DENIED);
    expect(await refusal(todos.doc('mine-1').set({ data: { _openid: bob.openid } }))).toMatchObject(DENIED);
    expect((await t.control.documents('todos')).length).toBe(before);
    const { _id } = await todos.add({ data: { title: 'mine' } });
    const refused = await refusal(todos.where({ _openid: '{openid}' }).update({ data: { _openid: bob.openid } }));
    expect(refused).toMatchObject(DENIED);
    expect(refused.errMsg).toMatch(/_openid/);
    const _ = alice.db.command;
    expect(await refusal(todos.doc(_id).update({ data: { _openid: _.set(bob.openid) } }))).toMatchObject(DENIED);
    expect(await stored('todos', _id as string)).toMatchObject({ _openid: alice.openid });
  });

  test('doc.set creates with the caller as owner, replaces its own document keeping _openid', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const id = `set-${alice.device.user}`;
    expect(
      await alice.db
        .collection('todos')
        .doc(id)
        .set({ data: { title: 'v1', done: false } }),
    ).toEqual({
      _id: id,
      stats: { updated: 0, created: 1 },
      errMsg: 'document.set:ok',
    });
    expect(await stored('todos', id)).toEqual({ _id: id, title: 'v1', done: false, _openid: alice.openid });
    expect(
      await alice.db
        .collection('todos')
        .doc(id)
        .set({ data: { title: 'v2' } }),
    ).toEqual({
      _id: id,
      stats: { updated: 1, created: 0 },
      errMsg: 'document.set:ok',
    });
    expect(await stored('todos', id)).toEqual({ _id: id, title: 'v2', _openid: alice.openid });
    expect(
      await refusal(
        bob.db
          .collection('todos')
          .doc(id)
          .set({ data: { title: 'mine now' } }),
      ),
    ).toMatchObject(DENIED);
    expect(await stored('todos', id)).toEqual({ _id: id, title: 'v2', _openid: alice.openid });
  });
});

/**
 * What a tampered client can send: the phone's database route takes the SDK's request as it is, so a client that
 * skips the SDK sends any update shape it likes. The SDK itself always wraps plain data in `$set`.
 */
async function rawClientCall(user: string, action: string, params: Record<string, unknown>): Promise<unknown> {
  return controlRequest(t.cloud!.url, 'POST', '/database', { user, action, params });
}

describe('a client never changes _openid or _id, in any update shape (raw requests)', () => {
  const doc = (id: string) => ({ queryType: 'DOC', query: JSON.stringify({ _id: id }), multi: false });
  const update = (data: unknown, extra: Record<string, unknown> = {}) => ({
    merge: true,
    upsert: false,
    data: JSON.stringify(data),
    ...extra,
  });

  test.each([
    ['plain data, no operator', { _openid: 'VICTIM' }],
    ['plain nested object', { _openid: { x: 1 } }],
    ['plain dotted path', { '_openid.x': 1 }],
    ['$set', { $set: { _openid: 'VICTIM' } }],
    ['$set of a dotted path', { $set: { '_openid.x': 1 } }],
    ['$unset', { $unset: { _openid: '' } }],
    ['$rename away', { $rename: { _openid: 'was' } }],
    ['$rename onto it', { $rename: { note: '_openid' } }],
    ['an operator beside plain data', { $inc: { n: 1 }, _openid: 'VICTIM' }],
    ['$push', { $push: { _openid: 'VICTIM' } }],
  ])('%s: refused, by doc(id) and by where(), on a collection anyone may write', async (_name, data) => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const victim = data as Record<string, unknown>;
    const shape = JSON.parse(JSON.stringify(victim).replace(/VICTIM/g, bob.openid)) as unknown;
    const { _id } = await alice.db.collection('open').add({ data: { note: 'mine', n: 1 } });
    const before = await stored('open', _id as string);
    for (const query of [doc(_id as string), { queryType: 'WHERE', query: JSON.stringify({ _id }), multi: true }]) {
      const reply = (await rawClientCall(alice.device.user, 'database.modifyDocument', {
        collectionName: 'open',
        ...query,
        ...update(shape),
      })) as { code?: string; data?: unknown };
      expect(reply).toMatchObject({ code: 'DATABASE_PERMISSION_DENIED' });
    }
    expect(await stored('open', _id as string)).toEqual(before);
  });

  test.each([
    ['plain data', { _id: 'moved' }],
    ['$set', { $set: { _id: 'moved' } }],
    ['$unset', { $unset: { _id: '' } }],
    ['$rename', { $rename: { _id: 'old' } }],
  ])('_id by %s: refused, nothing moves', async (_name, data) => {
    const alice = await phone('alice');
    const { _id } = await alice.db.collection('open').add({ data: { note: 'mine' } });
    const moved = JSON.parse(JSON.stringify(data).replace(/moved/g, `moved-${alice.device.user}`)) as unknown;
    const reply = (await rawClientCall(alice.device.user, 'database.modifyDocument', {
      collectionName: 'open',
      ...doc(_id as string),
      ...update(moved),
    })) as { code?: string };
    expect(reply.code).toEqual(expect.any(String));
    expect(await stored('open', _id as string)).toMatchObject({ _id, note: 'mine', _openid: alice.openid });
    expect(await stored('open', `moved-${alice.device.user}`)).toBeUndefined();
  });

  test('an update with upsert never creates a document, so it cannot create one owned by another user', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const id = `upsert-${alice.device.user}`;
    await rawClientCall(alice.device.user, 'database.modifyDocument', {
      collectionName: 'open',
      queryType: 'WHERE',
      query: JSON.stringify({ _id: id, _openid: bob.openid }),
      multi: false,
      ...update({ $set: { note: 'planted' } }, { upsert: true }),
    });
    expect(await stored('open', id)).toBeUndefined();
    expect((await t.control.documents('open')).filter((found) => found.note === 'planted')).toEqual([]);
  });

  test("set() replacing another's document, or naming another owner: refused; keeping the same owner is allowed", async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const { _id } = await alice.db.collection('open').add({ data: { note: 'mine' } });
    const set = (data: unknown) =>
      rawClientCall(alice.device.user, 'database.modifyDocument', {
        collectionName: 'open',
        ...doc(_id as string),
        merge: false,
        upsert: true,
        data: JSON.stringify(data),
      }) as Promise<{ code?: string; data?: { updated?: number } }>;
    expect(await set({ note: 'x', _openid: bob.openid })).toMatchObject({ code: 'DATABASE_PERMISSION_DENIED' });
    expect(await set({ note: 'x', _id: 'elsewhere' })).toMatchObject({ code: expect.any(String) as unknown });
    expect(await stored('open', _id as string)).toEqual({ _id, note: 'mine', _openid: alice.openid });
    // What a read-modify-write sends back: the document as read, owner included (the SDK itself refuses _id).
    const { _id: readId, ...read } = (await alice.db.collection('open').doc(_id).get()).data;
    expect(readId).toBe(_id);
    expect(
      await alice.db
        .collection('open')
        .doc(_id)
        .set({ data: { ...read, note: 'edited' } }),
    ).toMatchObject({
      stats: { updated: 1 },
    });
    expect(await stored('open', _id as string)).toEqual({ _id, note: 'edited', _openid: alice.openid });
  });

  test('the rule sees the data the update writes: a plain field beside $set cannot slip past request.data', async () => {
    const alice = await phone('alice');
    const { _id } = await alice.db.collection('cancellable').add({ data: { status: 'placed' } });
    const reply = (await rawClientCall(alice.device.user, 'database.modifyDocument', {
      collectionName: 'cancellable',
      ...doc(_id as string),
      ...update({ $set: { status: 'cancelled' }, status: 'delivered' }),
    })) as { code?: string };
    expect(reply).toMatchObject({ code: 'DATABASE_PERMISSION_DENIED' });
    expect(await stored('cancellable', _id as string)).toMatchObject({ status: 'placed' });
    // The honest cancel still works.
    expect(
      await alice.db
        .collection('cancellable')
        .doc(_id)
        .update({ data: { status: 'cancelled' } }),
    ).toMatchObject({ stats: { updated: 1 } });
  });
});

describe('queries on an owner-only collection', () => {
  let alice: Phone;
  let bob: Phone;
  const ids: string[] = [];
  beforeAll(async () => {
    alice = await phone('alice');
    bob = await phone('bob');
    for (let n = 1; n <= 25; n += 1) {
      const { _id } = await alice.db.collection('todos').add({ data: { n, tag: n % 2 ? 'odd' : 'even' } });
      ids.push(_id as string);
    }
    await bob.db.collection('todos').add({ data: { n: 100, tag: 'bob' } });
  });

  test('a query without the owner condition is refused even when every document it would find is mine', async () => {
    const onlyMine = alice.db.collection('todos').where({ n: 3 });
    expect(await refusal(onlyMine.get())).toMatchObject(DENIED);
    const ok = await alice.db.collection('todos').where({ _openid: '{openid}', n: 3 }).get();
    expect(ok.data.map((doc) => doc.n)).toEqual([3]);
  });

  test('get returns 20 documents at most (the mini-program cap); limit, skip, orderBy and field work', async () => {
    const mine = alice.db.collection('todos').where({ _openid: '{openid}' });
    expect((await mine.get()).data).toHaveLength(20);
    expect((await mine.limit(50).get()).data).toHaveLength(20);
    const page = await mine.orderBy('n', 'desc').skip(2).limit(3).field({ n: true }).get();
    expect(page.data).toEqual([
      { _id: ids[22], n: 23 },
      { _id: ids[21], n: 22 },
      { _id: ids[20], n: 21 },
    ]);
    expect(await mine.count()).toEqual({ total: 25, errMsg: 'collection.count:ok' });
  });

  test('db.command: comparisons, $in, and $or whose every branch is the owner', async () => {
    const _ = alice.db.command;
    const todos = alice.db.collection('todos');
    const small = await todos
      .where({ _openid: '{openid}', n: _.lte(3) })
      .orderBy('n', 'asc')
      .get();
    expect(small.data.map((doc) => doc.n)).toEqual([1, 2, 3]);
    const picked = await todos.where({ _openid: '{openid}', n: _.in([4, 100]) }).get();
    expect(picked.data.map((doc) => doc.n)).toEqual([4]);
    const either = await todos
      .where(
        _.or([
          { _openid: '{openid}', n: 5 },
          { _openid: '{openid}', n: 6 },
        ]),
      )
      .orderBy('n', 'asc')
      .get();
    expect(either.data.map((doc) => doc.n)).toEqual([5, 6]);
    expect(await refusal(todos.where(_.or([{ _openid: '{openid}' }, { n: 100 }])).get())).toMatchObject(DENIED);
  });

  test("doc(id): the owner's document is readable by its owner only", async () => {
    const [first] = ids;
    expect((await alice.db.collection('todos').doc(first!).get()).data).toMatchObject({ n: 1, _openid: alice.openid });
    expect(await refusal(bob.db.collection('todos').doc(first!).get())).toMatchObject(DENIED);
    // A missing id tells a stranger nothing: the rule cannot hold from {_id} alone.
    expect(await refusal(alice.db.collection('todos').doc('no-such-todo').get())).toMatchObject(DENIED);
  });

  test('update and remove: batch by the owner condition, one by id; another user is refused and changes nothing', async () => {
    const _ = alice.db.command;
    const todos = alice.db.collection('todos');
    expect(await todos.where({ _openid: '{openid}', tag: 'odd' }).update({ data: { n: _.inc(1000) } })).toEqual({
      stats: { updated: 13 },
      errMsg: 'collection.update:ok',
    });
    expect(await todos.doc(ids[1]!).update({ data: { done: true } })).toEqual({
      stats: { updated: 1 },
      errMsg: 'document.update:ok',
    });
    expect(await stored('todos', ids[1]!)).toMatchObject({ n: 2, done: true });
    expect(
      await refusal(
        bob.db
          .collection('todos')
          .doc(ids[1]!)
          .update({ data: { done: false } }),
      ),
    ).toMatchObject(DENIED);
    expect(await refusal(bob.db.collection('todos').doc(ids[1]!).remove())).toMatchObject(DENIED);
    expect(await refusal(bob.db.collection('todos').where({ _openid: alice.openid }).remove())).toMatchObject(DENIED);
    expect(await stored('todos', ids[1]!)).toMatchObject({ n: 2, done: true });
    expect(await todos.doc(ids[1]!).remove()).toEqual({ stats: { removed: 1 }, errMsg: 'document.remove:ok' });
    expect(await todos.where({ _openid: '{openid}', tag: 'even' }).remove()).toEqual({
      stats: { removed: 11 },
      errMsg: 'collection.remove:ok',
    });
    expect((await todos.where({ _openid: '{openid}' }).count()).total).toBe(13);
    expect((await bob.db.collection('todos').where({ _openid: '{openid}' }).count()).total).toBeGreaterThanOrEqual(1);
  });
});

describe('other rules', () => {
  test('public read, owner update, no delete; a missing document is reported as missing', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const { _id } = await alice.db.collection('posts').add({ data: { title: 'hello' } });
    expect((await bob.db.collection('posts').doc(_id).get()).data).toMatchObject({ title: 'hello' });
    expect((await bob.db.collection('posts').where({ title: 'hello' }).get()).data.length).toBeGreaterThanOrEqual(1);
    expect(
      await refusal(
        bob.db
          .collection('posts')
          .doc(_id)
          .update({ data: { title: 'mine' } }),
      ),
    ).toMatchObject(DENIED);
    expect(
      await alice.db
        .collection('posts')
        .doc(_id)
        .update({ data: { title: 'edited' } }),
    ).toMatchObject({
      stats: { updated: 1 },
    });
    expect(await refusal(alice.db.collection('posts').doc(_id).remove())).toMatchObject(DENIED);
    expect(await refusal(bob.db.collection('posts').doc('no-such-post').get())).toEqual({
      errCode: -1,
      errMsg: 'document.get:fail document with _id no-such-post does not exist',
    });
  });

  test('a range rule: the query must stay inside it (CloudBase: age > 15 is a subset of age > 10, age > 5 is not)', async () => {
    const alice = await phone('alice');
    const _ = alice.db.command;
    for (const age of [8, 12, 20]) await alice.db.collection('ages').add({ data: { age, who: alice.device.user } });
    const adults = await alice.db
      .collection('ages')
      .where({ who: alice.device.user, age: _.gt(15) })
      .get();
    expect(adults.data.map((doc) => doc.age)).toEqual([20]);
    expect(
      await refusal(
        alice.db
          .collection('ages')
          .where({ who: alice.device.user, age: _.gt(5) })
          .get(),
      ),
    ).toMatchObject(DENIED);
  });

  test('a collection without a rules file is closed to clients, and the error says which file is missing', async () => {
    const alice = await phone('alice');
    const refused = await refusal(alice.db.collection('unruled').add({ data: { a: 1 } }));
    expect(refused).toMatchObject(DENIED);
    expect(refused.errMsg).toContain(join(rulesDir, 'unruled.json'));
    expect(await t.control.documents('unruled')).toEqual([]);
  });

  test('rules can be replaced at run time (DevCloud.rules)', async () => {
    const alice = await phone('alice');
    const cloud = t.cloud!;
    const previous = cloud.rules;
    const ages = alice.db.collection('ages');
    await ages.add({ data: { age: 30 } });
    expect(await refusal(ages.get())).toMatchObject(DENIED); // read: doc.age > 10, and get() pins no age
    cloud.rules = SecurityRules.fromObject({ ages: { read: true, write: true } });
    try {
      expect((await ages.get()).data.length).toBeGreaterThanOrEqual(1);
      // Collections the new rules do not name are closed.
      expect(await refusal(alice.db.collection('todos').where({ _openid: '{openid}' }).get())).toMatchObject(DENIED);
    } finally {
      cloud.rules = previous;
    }
    expect(await refusal(ages.get())).toMatchObject(DENIED);
  });
});

describe('the client API', () => {
  test('success, fail and complete callbacks, as wx APIs take them', async () => {
    const alice = await phone('alice');
    const seen: string[] = [];
    await new Promise<void>((done) => {
      void alice.db
        .collection('todos')
        .where({ _openid: '{openid}' })
        .get({
          success: (result) => seen.push(result.errMsg),
          complete: () => done(),
        });
    });
    await new Promise<void>((done) => {
      void alice.db.collection('sessions').get({
        fail: (error) => seen.push(String(error.errCode)),
        complete: () => done(),
      });
    });
    expect(seen).toEqual(['collection.get:ok', '-502003']);
  });

  test('bad arguments fail on the phone, before any request', async () => {
    const alice = await phone('alice');
    const before = (await t.control.recordedCalls()).length;
    const noData = await refusal(alice.db.collection('todos').add({ data: undefined as never }));
    expect(noData).toMatchObject({
      errCode: -401003,
      errMsg: expect.stringMatching(/^collection\.add:fail/) as unknown,
    });
    expect(await refusal(alice.db.collection('todos').doc('x').update({ data: {} }))).toMatchObject({
      errCode: -401003,
    });
    expect((await t.control.recordedCalls()).length).toBe(before);
  });

  test("the device's trail names each database call", async () => {
    const alice = await phone('alice');
    await alice.db.collection('todos').add({ data: { a: 1 } });
    await alice.db.collection('todos').where({ _openid: '{openid}' }).count();
    expect(alice.device.trail).toEqual(['collection.add:todos', 'collection.count:todos']);
  });
});

describe('the fault model and the call record', () => {
  afterEach(() => t.control.clearFaults());

  test('calls are recorded as device calls with the user and the collection; refusals as errors', async () => {
    const alice = await phone('alice');
    await t.control.clearRecordedCalls();
    await alice.db.collection('todos').where({ _openid: '{openid}' }).get();
    await refusal(alice.db.collection('sessions').get());
    const calls = (await t.control.recordedCalls()).filter((call) => call.openid === alice.openid);
    expect(calls).toEqual([
      expect.objectContaining({ target: 'device', action: 'cloud.database.get', collection: 'todos', outcome: 'ok' }),
      expect.objectContaining({
        target: 'device',
        action: 'cloud.database.get',
        collection: 'sessions',
        outcome: 'error',
      }),
    ]);
  });

  test("an injected error fails the API with the fault's errCode and runs nothing", async () => {
    const alice = await phone('alice');
    await t.control.injectFault({
      target: 'device',
      mode: 'error',
      match: { action: 'cloud.database.add', openid: alice.openid },
      code: -501001,
    });
    const failed = await refusal(alice.db.collection('todos').add({ data: { faulted: true } }));
    expect(failed).toMatchObject({
      errCode: -501001,
      errMsg: expect.stringMatching(/^collection\.add:fail -501001/) as unknown,
    });
    expect((await alice.db.collection('todos').where({ _openid: '{openid}' }).count()).total).toBe(0);
    expect(await t.control.pendingFaults()).toEqual([]);
  });

  test('a reset fails like a phone without network and writes nothing; a lost reply writes and still fails', async () => {
    const alice = await phone('alice');
    const mine = () => alice.db.collection('todos').where({ _openid: '{openid}' }).count();
    await t.control.injectFault({
      target: 'device',
      mode: 'reset',
      match: { action: 'cloud.database.add', openid: alice.openid },
    });
    const reset = await refusal(alice.db.collection('todos').add({ data: { n: 1 } }));
    expect(reset).toEqual({
      errCode: -1,
      errMsg: expect.stringMatching(/^collection\.add:fail request:fail/) as unknown,
    });
    expect((await mine()).total).toBe(0);
    await t.control.injectFault({
      target: 'device',
      mode: 'lost',
      match: { action: 'cloud.database.add', openid: alice.openid },
    });
    expect(await refusal(alice.db.collection('todos').add({ data: { n: 2 } }))).toMatchObject({ errCode: -1 });
    expect((await mine()).total).toBe(1);
  });

  test('a fault can target one collection', async () => {
    const alice = await phone('alice');
    await t.control.injectFault({
      target: 'device',
      mode: 'error',
      match: { action: 'cloud.database.get', collection: 'posts', openid: alice.openid },
      code: -502001,
    });
    await alice.db.collection('todos').where({ _openid: '{openid}' }).get();
    expect(await refusal(alice.db.collection('posts').get())).toMatchObject({ errCode: -502001 });
  });
});
