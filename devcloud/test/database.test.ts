/**
 * The database emulator, driven by the real wx-server-sdk over HTTP, as a cloud function would use it.
 */
import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as cloud from 'wx-server-sdk';
import { DevCloudError, DevDatabase } from '../database';
import type { CloudbaseHarness, CloudbaseRoute } from './support/cloudbase-harness';
import { actionReply, jsonReply, readJson, startCloudbaseHarness } from './support/cloudbase-harness';

const ENV_ID = 'devcloud-db-test';
const ROOT = join(__dirname, '..', '..');

type Db = ReturnType<typeof cloud.database>;
type Collection = ReturnType<Db['collection']>;
type Row = Record<string, unknown>;

interface Transaction {
  collection(name: string): Collection;
  commit(): Promise<unknown>;
  rollback(reason?: unknown): Promise<unknown>;
}

/** Query.updateAndReturn from @cloudbase/database: not in wx-server-sdk's API, reached through its inner query. */
interface InternalQuery {
  _query: { updateAndReturn(data: Row): Promise<{ updated: number; doc?: Row }> };
}

let database: DevDatabase;
let harness: CloudbaseHarness;
let db: Db;

/** wx-server-sdk types its calls as `Promise<T> | void | string`; they always return a promise. */
async function sdk<T>(pending: unknown): Promise<T> {
  if (!(pending instanceof Promise)) throw new Error('wx-server-sdk did not return a promise');
  return (await pending) as T;
}

function codeOf(error: unknown): string {
  return error instanceof DevCloudError ? error.code : 'SYS_ERR';
}

/** Every request is a database action; the service's reply envelope, always HTTP 200. */
const answer: CloudbaseRoute = async (req, res) => {
  const body = await readJson(req);
  jsonReply(res, await actionReply(randomUUID(), () => database.handle(String(body.action), body), codeOf));
};

beforeAll(async () => {
  // SILENCE: no slow-call warnings on database actions. The racer child processes below inherit all of process.env.
  harness = await startCloudbaseHarness({ env: ENV_ID, route: answer, extraEnv: { SILENCE: 'true' } });
  harness.asFunction('database-test');
  db = cloud.database();
});

afterAll(() => harness.close());

beforeEach(async () => {
  database = new DevDatabase();
  // As if created in the console: CloudBase serves only collections that exist.
  await database.ensureCollections(['users']);
});

afterEach(async () => {
  await database.close();
});

const users = (): Collection => db.collection('users');
const _ = (): Db['command'] => db.command;
/** db.serverDate takes `{offset}` at runtime; the typings leave it out. */
const serverDate = (offset = 0): unknown => (db.serverDate as (options: { offset: number }) => unknown)({ offset });

async function getDoc(id: string): Promise<Row> {
  return (await sdk<{ data: Row }>(users().doc(id).get())).data;
}

async function add(data: Row | Row[]): Promise<{ _id?: string; _ids?: string[] }> {
  return sdk(users().add({ data }));
}

function names(rows: readonly Row[]): string[] {
  return rows.map((row) => String(row.name)).sort();
}

describe('documents', () => {
  test('add then doc().get() round-trips every value type and generates 32-hex ids', async () => {
    const when = new Date('2024-01-02T03:04:05.678Z');
    const added = await add({
      name: 'Ann',
      age: 30,
      score: 1.5,
      admin: false,
      tags: ['a', 'b'],
      profile: { city: 'Shanghai' },
      nothing: null,
      when,
    });
    expect(added._id).toMatch(/^[0-9a-f]{32}$/);

    const doc = await getDoc(added._id ?? '');
    expect(doc).toEqual({
      _id: added._id,
      name: 'Ann',
      age: 30,
      score: 1.5,
      admin: false,
      tags: ['a', 'b'],
      profile: { city: 'Shanghai' },
      nothing: null,
      when,
    });
    expect(doc.when).toBeInstanceOf(Date);

    expect((await add({ _id: 'user-1', name: 'Bob' }))._id).toBe('user-1');
    const batch = await add([{ name: 'Cy' }, { _id: 'user-2', name: 'Di' }]);
    expect(batch._ids).toHaveLength(2);
    expect(batch._ids?.[1]).toBe('user-2');
    expect(await database.collections()).toEqual(['users']);
  });

  test('doc().get() of a missing document: the service replies an empty list and the SDK throws', async () => {
    await expect(sdk(users().doc('nobody').get())).rejects.toThrow('document with _id nobody does not exist');
    const reply = await database.handle('database.getDocument', {
      collectionName: 'users',
      query: '{"_id":"nobody"}',
      queryType: 'DOC',
    });
    expect(reply).toEqual({ data: { list: [], limit: 100, offset: 0 } });
  });

  test('db.serverDate() at the top level of add becomes the server time', async () => {
    const before = Date.now();
    const { _id } = await add({ _id: 'stamped', createdAt: serverDate(), expiresAt: serverDate(60_000) });
    const doc = await getDoc(_id ?? '');
    const createdAt = (doc.createdAt as Date).getTime();
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(createdAt).toBeLessThanOrEqual(Date.now());
    expect((doc.expiresAt as Date).getTime() - createdAt).toBe(60_000);
  });

  test("a duplicate _id fails with DATABASE_REQUEST_FAILED (-502001) and MongoDB's E11000 message", async () => {
    await add({ _id: 'dup', name: 'first' });
    await expect(add({ _id: 'dup', name: 'second' })).rejects.toMatchObject({
      errCode: -502001,
      errMsg: expect.stringContaining(
        `E11000 duplicate key error collection: ${ENV_ID}.users index: _id_ dup key: { _id: "dup" }`,
      ) as unknown,
    });
    expect(await database.dump('users')).toEqual([{ _id: 'dup', name: 'first' }]);
  });
});

describe('queries', () => {
  beforeEach(async () => {
    await add([
      { _id: 'u1', name: 'Ann', age: 17, city: 'Beijing', tags: ['vip'], profile: { city: 'Shanghai', level: 2 } },
      {
        _id: 'u2',
        name: 'ben',
        age: 25,
        city: 'Shanghai',
        tags: [],
        profile: { city: 'Beijing', level: 1 },
        nickname: 'B',
      },
      {
        _id: 'u3',
        name: 'Cat',
        age: 32,
        city: 'Shenzhen',
        tags: ['vip', 'new'],
        profile: { city: 'Shanghai', level: 3 },
      },
      { _id: 'u4', name: 'Dan', age: 45, city: 'Beijing', nickname: null },
    ]);
  });

  async function where(condition: Row): Promise<string[]> {
    return names((await sdk<{ data: Row[] }>(users().where(condition).get())).data);
  }

  test('comparison, set and existence commands', async () => {
    const cmd = _();
    expect(await where({ age: cmd.gt(20).and(cmd.lt(40)) })).toEqual(['Cat', 'ben']);
    expect(await where({ age: cmd.gte(45) })).toEqual(['Dan']);
    expect(await where({ age: cmd.lte(17) })).toEqual(['Ann']);
    expect(await where({ city: cmd.in(['Shanghai', 'Shenzhen']) })).toEqual(['Cat', 'ben']);
    expect(await where({ city: cmd.nin(['Beijing']) })).toEqual(['Cat', 'ben']);
    expect(await where({ city: cmd.neq('Beijing') })).toEqual(['Cat', 'ben']);
    expect(await where({ city: cmd.eq('Beijing') })).toEqual(['Ann', 'Dan']);
    expect(await where({ tags: cmd.exists(false) })).toEqual(['Dan']);
    // MongoDB: null matches both null and missing fields.
    expect(await where({ nickname: null })).toEqual(['Ann', 'Cat', 'Dan']);
  });

  test('logical commands, nested objects (flattened to dotted paths), arrays and regular expressions', async () => {
    const cmd = _();
    expect(await where(cmd.or([{ age: cmd.lt(18) }, { city: 'Shenzhen' }]) as unknown as Row)).toEqual(['Ann', 'Cat']);
    expect(await where(cmd.and([{ city: 'Beijing' }, { age: cmd.gt(18) }]) as unknown as Row)).toEqual(['Dan']);
    expect(await where({ profile: { city: 'Shanghai' } })).toEqual(['Ann', 'Cat']);
    expect(await where({ 'profile.level': cmd.gte(2) })).toEqual(['Ann', 'Cat']);
    expect(await where({ tags: 'vip' })).toEqual(['Ann', 'Cat']);
    expect(await where({ name: /^b/ })).toEqual(['ben']);
    expect(await where({ name: db.RegExp({ regexp: '^(a|b)', options: 'i' }) })).toEqual(['Ann', 'ben']);
  });

  test('count() counts every match, without the 100 limit', async () => {
    expect(await sdk(users().count())).toMatchObject({ total: 4 });
    expect(await sdk(users().where({ city: 'Beijing' }).count())).toMatchObject({ total: 2 });
    await sdk(db.createCollection('empty'));
    expect(await sdk(db.collection('empty').count())).toMatchObject({ total: 0 });
  });
});

describe('paging', () => {
  beforeEach(async () => {
    await add(Array.from({ length: 150 }, (unused, n) => ({ n, parity: n % 2 === 0 ? 'even' : 'odd', extra: { n } })));
  });

  test('get() returns 100 documents in insertion order unless limit() says otherwise', async () => {
    const page = (await sdk<{ data: Row[] }>(users().get())).data;
    expect(page).toHaveLength(100);
    expect(page.map((row) => row.n)).toEqual(Array.from({ length: 100 }, (unused, n) => n));
    expect((await sdk<{ data: Row[] }>(users().limit(1000).get())).data).toHaveLength(150);
    expect(await sdk(users().count())).toMatchObject({ total: 150 });
  });

  test('orderBy, skip, limit and field() compose', async () => {
    const page = (await sdk<{ data: Row[] }>(users().orderBy('n', 'desc').skip(10).limit(3).field({ n: true }).get()))
      .data;
    expect(page.map((row) => row.n)).toEqual([139, 138, 137]);
    expect(Object.keys(page[0] ?? {}).sort()).toEqual(['_id', 'n']);

    const twoKeys = (await sdk<{ data: Row[] }>(users().orderBy('parity', 'asc').orderBy('n', 'desc').limit(2).get()))
      .data;
    expect(twoKeys.map((row) => [row.parity, row.n])).toEqual([
      ['even', 148],
      ['even', 146],
    ]);

    const excluded = (await sdk<{ data: Row[] }>(users().where({ n: 7 }).field({ extra: false, parity: false }).get()))
      .data;
    expect(excluded).toEqual([{ _id: expect.any(String) as unknown, n: 7 }]);
  });
});

describe('updates', () => {
  test('doc().update(): _.inc, _.remove(), nested fields, _.push and db.serverDate()', async () => {
    await add({ _id: 'u1', visits: 1, temp: 'x', profile: { city: 'A', zip: '100' }, tags: ['a'] });
    const cmd = _();
    const before = Date.now();
    const result = await sdk(
      users()
        .doc('u1')
        .update({
          data: {
            visits: cmd.inc(2),
            temp: cmd.remove(),
            profile: { city: 'B' },
            tags: cmd.push(['b']),
            seenAt: serverDate(),
            expiresAt: serverDate(1000),
          },
        }),
    );
    expect(result).toMatchObject({ stats: { updated: 1 } });

    const doc = await getDoc('u1');
    expect(doc).toMatchObject({ _id: 'u1', visits: 3, profile: { city: 'B', zip: '100' }, tags: ['a', 'b'] });
    expect(doc).not.toHaveProperty('temp');
    const seenAt = (doc.seenAt as Date).getTime();
    expect(seenAt).toBeGreaterThanOrEqual(before);
    expect(seenAt).toBeLessThanOrEqual(Date.now());
    expect((doc.expiresAt as Date).getTime() - seenAt).toBe(1000);
  });

  test('updating a missing document changes nothing and reports updated: 0', async () => {
    expect(
      await sdk(
        users()
          .doc('ghost')
          .update({ data: { visits: _().inc(1) } }),
      ),
    ).toMatchObject({ stats: { updated: 0 } });
    expect(await database.dump('users')).toEqual([]);
  });

  test('doc().set() replaces the whole document, keeps _id, and creates a missing one', async () => {
    await add({ _id: 'u1', a: 1, b: { c: 2 } });
    const replaced = await sdk(
      users()
        .doc('u1')
        .set({ data: { d: 4, at: serverDate() } }),
    );
    expect(replaced).toMatchObject({ _id: 'u1', stats: { updated: 1, created: 0 } });
    const doc = await getDoc('u1');
    expect(Object.keys(doc)).toEqual(['_id', 'd', 'at']);
    expect(doc.at).toBeInstanceOf(Date);

    const created = await sdk(
      users()
        .doc('u2')
        .set({ data: { e: 5 } }),
    );
    expect(created).toMatchObject({ _id: 'u2', stats: { updated: 0, created: 1 } });
    expect(await getDoc('u2')).toEqual({ _id: 'u2', e: 5 });
  });

  test('where().update() and where().remove() act on every match, doc().remove() on one', async () => {
    await add([
      { _id: 'a', team: 'red', score: 1 },
      { _id: 'b', team: 'red', score: 2 },
      { _id: 'c', team: 'blue', score: 3 },
    ]);
    expect(
      await sdk(
        users()
          .where({ team: 'red' })
          .update({ data: { score: _().mul(10) } }),
      ),
    ).toMatchObject({ stats: { updated: 2 } });
    expect((await database.dump('users')).map((row) => row.score)).toEqual([10, 20, 3]);

    expect(await sdk(users().doc('c').remove())).toMatchObject({ stats: { removed: 1 } });
    expect(await sdk(users().doc('c').remove())).toMatchObject({ stats: { removed: 0 } });
    expect(await sdk(users().where({ team: 'red' }).remove())).toMatchObject({ stats: { removed: 2 } });
    expect(await database.dump('users')).toEqual([]);
  });

  test('updateAndReturn (modifyAndReturnDoc) updates one document and replies it as it is after the update', async () => {
    await add({ _id: 'counter', value: 41, label: 'x' });
    const query = users().where({ _id: 'counter' }) as unknown as InternalQuery;
    const reply = await query._query.updateAndReturn({ value: _().inc(1), touchedAt: serverDate() });
    expect(reply.updated).toBe(1);
    expect(reply.doc).toMatchObject({ _id: 'counter', value: 42, label: 'x' });
    expect(reply.doc?.touchedAt).toBeInstanceOf(Date);
    expect(await getDoc('counter')).toMatchObject({ value: 42 });

    const none = await (users().where({ _id: 'nothing' }) as unknown as InternalQuery)._query.updateAndReturn({
      value: 1,
    });
    expect(none.updated).toBe(0);
    expect(none.doc).toBeUndefined();
  });
});

describe('transactions', () => {
  beforeEach(async () => {
    await add({ _id: 'alice', balance: 100 });
  });

  async function startTransaction(): Promise<Transaction> {
    return (await db.startTransaction()) as Transaction;
  }

  async function balance(): Promise<unknown> {
    return (await database.dump('users')).find((row) => row._id === 'alice')?.balance;
  }

  test("reads see the transaction's own writes; others see them only after commit", async () => {
    const transaction = await startTransaction();
    const inside = transaction.collection('users');
    await sdk(inside.doc('alice').update({ data: { balance: _().inc(-30) } }));
    await sdk(inside.add({ data: { _id: 'log-1', amount: 30 } }));

    expect((await sdk<{ data: Row }>(inside.doc('alice').get())).data).toEqual({ _id: 'alice', balance: 70 });
    expect((await sdk<{ data: Row }>(inside.doc('log-1').get())).data).toEqual({ _id: 'log-1', amount: 30 });
    expect(await balance()).toBe(100);
    expect(await database.dump('users')).toHaveLength(1);

    await transaction.commit();
    expect(await database.dump('users')).toEqual([
      { _id: 'alice', balance: 70 },
      { _id: 'log-1', amount: 30 },
    ]);
  });

  test('rollback discards buffered writes, and the finished transaction cannot be used again', async () => {
    const transaction = await startTransaction();
    await sdk(transaction.collection('users').doc('alice').remove());
    await transaction.rollback('changed my mind');
    expect(await balance()).toBe(100);
    await expect(transaction.commit()).rejects.toMatchObject({
      code: 'DATABASE_REQUEST_FAILED',
      message: expect.stringContaining('NoSuchTransaction') as unknown,
    });
  });

  test('commit fails with DATABASE_TRANSACTION_CONFLICT when someone changed a document it read', async () => {
    const transaction = await startTransaction();
    await sdk(transaction.collection('users').doc('alice').get());
    await sdk(
      users()
        .doc('alice')
        .update({ data: { balance: _().inc(1) } }),
    );
    await sdk(
      transaction
        .collection('users')
        .doc('alice')
        .update({ data: { balance: 0 } }),
    );

    await expect(transaction.commit()).rejects.toMatchObject({ code: 'DATABASE_TRANSACTION_CONFLICT' });
    expect(await balance()).toBe(101);
  });

  test('commit fails when a document it found missing was created meanwhile', async () => {
    const transaction = await startTransaction();
    await expect(sdk(transaction.collection('users').doc('bob').get())).rejects.toThrow(/does not exist/);
    await add({ _id: 'bob', balance: 5 });
    await sdk(
      transaction
        .collection('users')
        .doc('alice')
        .set({ data: { balance: 0 } }),
    );

    await expect(transaction.commit()).rejects.toMatchObject({ code: 'DATABASE_TRANSACTION_CONFLICT' });
    expect(await balance()).toBe(100);
  });

  test('runTransaction retries after a conflict and commits the second attempt', async () => {
    let attempts = 0;
    const result = (await db.runTransaction(async (transaction: Transaction) => {
      attempts += 1;
      const { data } = await sdk<{ data: Row }>(transaction.collection('users').doc('alice').get());
      if (attempts === 1)
        await sdk(
          users()
            .doc('alice')
            .update({ data: { balance: _().inc(5) } }),
        );
      await sdk(
        transaction
          .collection('users')
          .doc('alice')
          .update({ data: { balance: Number(data.balance) - 10 } }),
      );
      return data.balance;
    })) as unknown;
    expect(attempts).toBe(2);
    expect(result).toBe(105);
    expect(await balance()).toBe(95);
  });

  test('an unknown transaction id is a clear error', async () => {
    await expect(
      database.handle('database.getDocument', { collectionName: 'users', query: '{}', transactionId: 'nope' }),
    ).rejects.toMatchObject({
      code: 'DATABASE_REQUEST_FAILED',
      message: 'NoSuchTransaction: transaction nope is not open (unknown, committed or aborted)',
    });
  });
});

describe('concurrency', () => {
  /** Each child process is its own "cloud function instance" with its own SDK and sockets. */
  function racer(count: number): Promise<Array<{ ok: boolean; errCode?: number; errMsg?: string }>> {
    const script = `
      const cloud = require('wx-server-sdk');
      cloud.init({ env: process.env.TCB_ENV });
      const race = cloud.database().collection('race');
      const attempts = Array.from({ length: ${count} }, () => race.add({ data: { _id: 'same', pid: process.pid } }));
      Promise.allSettled(attempts).then((results) => process.stdout.write(JSON.stringify(results.map((r) =>
        r.status === 'fulfilled' ? { ok: true } : { ok: false, errCode: r.reason.errCode, errMsg: r.reason.errMsg }))));`;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], {
        cwd: ROOT,
        env: process.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(output) as Array<{ ok: boolean }>)
          : reject(new Error(`racer exited with ${code}`)),
      );
    });
  }

  test('100 concurrent inserts of one _id from 4 processes leave one document; 99 get E11000', async () => {
    await database.ensureCollections(['race']);
    const results = (await Promise.all([25, 25, 25, 25].map(racer))).flat();
    expect(results).toHaveLength(100);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    const failures = results.filter((result) => !result.ok);
    expect(failures).toHaveLength(99);
    for (const failure of failures) {
      expect(failure.errCode).toBe(-502001);
      expect(failure.errMsg).toContain('E11000 duplicate key error');
    }
    expect(await database.dump('race')).toHaveLength(1);
  });

  test('100 concurrent _.inc on one document are all counted', async () => {
    await add({ _id: 'hits', value: 0 });
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        sdk(
          users()
            .doc('hits')
            .update({ data: { value: _().inc(1) } }),
        ),
      ),
    );
    expect(results.every((result) => (result as { stats: { updated: number } }).stats.updated === 1)).toBe(true);
    expect(await getDoc('hits')).toEqual({ _id: 'hits', value: 100 });
  });
});

describe('persistence', () => {
  test('with dir, documents survive closing and reopening (one nedb file per collection)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcloud-db-'));
    try {
      await database.close();
      database = new DevDatabase({ dir });
      await database.ensureCollections(['users', 'logs']);
      const when = new Date('2025-05-05T05:05:05.005Z');
      await add([
        { _id: 'z-last', name: 'inserted first', when },
        { _id: 'a-first', name: 'inserted second' },
        { _id: 'gone', name: 'removed' },
      ]);
      await sdk(
        users()
          .doc('a-first')
          .update({ data: { visits: _().inc(1) } }),
      );
      await sdk(users().doc('gone').remove());
      await sdk(db.collection('logs').add({ data: { _id: 'l1' } }));
      await database.close();
      expect(existsSync(join(dir, 'users.db'))).toBe(true);

      database = new DevDatabase({ dir });
      expect(await database.collections()).toEqual(['logs', 'users']);
      expect(await database.dump('users')).toEqual([
        { _id: 'a-first', name: 'inserted second', visits: 1 },
        { _id: 'z-last', name: 'inserted first', when },
      ]);
      // Insertion order (not _id order) survives too, and the SDK reads the reopened store.
      expect((await sdk<{ data: Row[] }>(users().get())).data.map((row) => row._id)).toEqual(['z-last', 'a-first']);
      expect((await getDoc('z-last')).when).toEqual(when);
    } finally {
      await database.close();
      database = new DevDatabase();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what is not emulated fails loudly', () => {
  test('an unknown action and an unsupported operator reply errors that say so', async () => {
    await expect(database.handle('database.dropCollection', { collectionName: 'users' })).rejects.toMatchObject({
      code: 'INVALID_ACTION',
      message: 'devcloud does not emulate the database action database.dropCollection',
    });
    await add({ _id: 'p', text: 'x' });
    await expect(
      database.handle('database.getDocument', {
        collectionName: 'users',
        queryType: 'WHERE',
        query: '{"$text":{"$search":"x"}}',
      }),
    ).rejects.toMatchObject({
      code: 'DEVCLOUD_NOT_EMULATED',
      message: 'devcloud does not emulate the top-level query operator $text',
    });
  });
});
