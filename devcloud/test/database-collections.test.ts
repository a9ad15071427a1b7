/**
 * Collections as the service has them, through the REAL wx-server-sdk: only collections that exist can be read or
 * written (-502005 otherwise), createCollection refuses an existing name, and transactions take single-document
 * operations only. Then how a project declares its collections to devcloud (rules folder, options).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { DevDatabase } from '../database';
import { startDevCloud } from '../hub';
import { sdk, sdkError, startSdkDatabase, type SdkDatabase } from './support/sdk-database';

interface Transaction {
  collection(name: string): ReturnType<SdkDatabase['db']['collection']>;
  commit(): Promise<unknown>;
  rollback(reason?: unknown): Promise<unknown>;
}

let s: SdkDatabase;
let database: DevDatabase;
beforeAll(async () => {
  s = await startSdkDatabase('devcloud-collections-test');
});
afterAll(() => s.close());
beforeEach(async () => {
  database = await s.reset(['accounts']);
});

const missing = () => s.db.collection('missing');
const NOT_EXIST = /database collection not exists\. \[ResourceNotFound\] Db or Table not exist: missing\./;

describe('a collection that does not exist', () => {
  test.each([
    ['get()', () => missing().get()],
    ['where().get()', () => missing().where({ a: 1 }).get()],
    ['doc().get()', () => missing().doc('x').get()],
    ['count()', () => missing().count()],
    ['add()', () => missing().add({ data: { a: 1 } })],
    [
      'doc().set()',
      () =>
        missing()
          .doc('x')
          .set({ data: { a: 1 } }),
    ],
    [
      'doc().update()',
      () =>
        missing()
          .doc('x')
          .update({ data: { a: 1 } }),
    ],
    [
      'where().update()',
      () =>
        missing()
          .where({ a: 1 })
          .update({ data: { a: 2 } }),
    ],
    ['doc().remove()', () => missing().doc('x').remove()],
    ['where().remove()', () => missing().where({ a: 1 }).remove()],
  ])('%s fails with errCode -502005 (DATABASE_COLLECTION_NOT_EXIST) and creates nothing', async (_what, call) => {
    const error = await sdkError(call());
    expect(error.errCode).toBe(-502005);
    expect(error.errMsg).toMatch(NOT_EXIST);
    expect(await database.collections()).toEqual(['accounts']);
  });

  test('aggregate().end() fails too; its SDK path keeps the service code in `code` (errCode -1)', async () => {
    const error = await sdkError(missing().aggregate().end());
    expect(error).toMatchObject({ errCode: -1, code: 'DATABASE_COLLECTION_NOT_EXIST' });
    expect(error.errMsg).toMatch(/^collection\.aggregate:fail \[ResourceNotFound\] Db or Table not exist: missing\./);
  });
});

describe('db.createCollection', () => {
  test('creates an empty collection that can then be used', async () => {
    expect(await sdk(s.db.createCollection('fresh'))).toMatchObject({ errMsg: 'createCollection:ok' });
    expect(await sdk(s.db.collection('fresh').count())).toMatchObject({ total: 0 });
    await sdk(s.db.collection('fresh').add({ data: { _id: 'f1' } }));
    expect(await database.dump('fresh')).toEqual([{ _id: 'f1' }]);
  });

  test('fails when the collection exists (DATABASE_COLLECTION_ALREADY_EXIST), leaving its documents alone', async () => {
    await sdk(s.db.collection('accounts').add({ data: { _id: 'kept' } }));
    const error = await sdkError(s.db.createCollection('accounts'));
    expect(error).toMatchObject({
      errCode: -1,
      code: 'DATABASE_COLLECTION_ALREADY_EXIST',
      errMsg: 'createCollection:fail [ResourceUnavailable.ResourceExist] Table exist.',
    });
    expect(await database.dump('accounts')).toEqual([{ _id: 'kept' }]);
  });

  test('a created collection, empty, survives a restart of an on-disk store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-created-'));
    try {
      const first = new DevDatabase({ dir });
      await first.handle('database.addCollection', { collectionName: 'empty-one' });
      await first.close();
      const second = new DevDatabase({ dir });
      expect(await second.collections()).toEqual(['empty-one']);
      await expect(second.handle('database.addCollection', { collectionName: 'empty-one' })).rejects.toMatchObject({
        code: 'DATABASE_COLLECTION_ALREADY_EXIST',
      });
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('transactions: single-document operations only', () => {
  beforeEach(() => sdk(s.db.collection('accounts').add({ data: [{ _id: 'alice', balance: 100, vip: true }] })));

  async function start(): Promise<Transaction> {
    return (await s.db.startTransaction()) as Transaction;
  }

  test('where().get() in a transaction is refused (DATABASE_INVALID_OPERRATOR, -502002)', async () => {
    const transaction = await start();
    const error = await sdkError(transaction.collection('accounts').where({ vip: true }).get());
    expect(error.errCode).toBe(-502002);
    expect(error.errMsg).toMatch(/single-document operations only .*where\(\) is not allowed in a transaction/);
    // doc() and add() are what a transaction takes.
    await sdk(
      transaction
        .collection('accounts')
        .doc('alice')
        .update({ data: { balance: 90 } }),
    );
    await sdk(transaction.collection('accounts').add({ data: { _id: 'log', amount: 10 } }));
    await transaction.commit();
    expect(await database.dump('accounts')).toEqual([
      { _id: 'alice', balance: 90, vip: true },
      { _id: 'log', amount: 10 },
    ]);
  });

  test("wx-server-sdk sends where().update() without the transaction's id: it runs at once, outside it", async () => {
    // A pitfall of the SDK (Query.update in @cloudbase/database omits transactionId), kept as it is: the write is
    // not part of the transaction, so a rollback does not undo it.
    const transaction = await start();
    await sdk(
      transaction
        .collection('accounts')
        .where({ vip: true })
        .update({ data: { balance: 0 } }),
    );
    await transaction.rollback('changed my mind');
    expect(await database.dump('accounts')).toEqual([{ _id: 'alice', balance: 0, vip: true }]);
  });

  test('an operation on a collection that does not exist fails inside a transaction too', async () => {
    const transaction = await start();
    const error = await sdkError(transaction.collection('missing').add({ data: { a: 1 } }));
    expect(error.errCode).toBe(-502005);
    await transaction.rollback();
  });
});

describe('collections a project declares', () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), 'devcloud-declared-'));
    await mkdir(join(project, 'database-rules'));
    for (const name of ['users', 'orders']) {
      await writeFile(join(project, 'database-rules', `${name}.json`), '{"read": true, "write": false}');
    }
  });
  afterEach(() => rm(project, { recursive: true, force: true }));

  test('startDevCloud creates one per rules file, and any named in `collections`', async () => {
    const cloud = await startDevCloud({
      functionsDir: join(project, 'cloudfunctions'),
      rulesDir: join(project, 'database-rules'),
      collections: ['audit'],
    });
    try {
      expect(await cloud.database.collections()).toEqual(['audit', 'orders', 'users']);
    } finally {
      await cloud.stop();
    }
  });

  test('rulesDir: false declares none; a rules folder that does not exist is an error', async () => {
    const bare = await startDevCloud({ functionsDir: join(project, 'cloudfunctions'), rulesDir: false });
    try {
      expect(await bare.database.collections()).toEqual([]);
    } finally {
      await bare.stop();
    }
    await expect(startDevCloud({ rulesDir: join(project, 'nowhere') })).rejects.toThrow(/no such rules folder/);
  });

  test('collections kept on disk stay, with their documents, when the rules name them again', async () => {
    const dataDir = join(project, 'store');
    const options = {
      functionsDir: join(project, 'cloudfunctions'),
      rulesDir: join(project, 'database-rules'),
      dataDir,
    };
    const first = await startDevCloud(options);
    await first.database.handle('database.insertDocument', { collectionName: 'users', data: ['{"_id":"u1"}'] });
    await first.stop();
    const second = await startDevCloud(options);
    try {
      expect(await second.documents('users')).toEqual([{ _id: 'u1' }]);
    } finally {
      await second.stop();
    }
  });
});
