/**
 * Collections as files (collections.ts): `<collection>.json` arrays of documents in CloudBase's Extended JSON, read
 * by --import and written by --export-on-exit. Dates stay dates both ways; a bad file changes nothing.
 */
import { EJSON } from 'bson';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { CollectionFileError, exportCollections, importCollections } from '../database/collections';
import { DevDatabase } from '../database';

let dir: string;
let database: DevDatabase;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'devcloud-collections-'));
  database = new DevDatabase();
});
afterEach(async () => {
  await database.close();
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: unknown): Promise<void> {
  await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
}

const NEW_YEAR = new Date('2024-01-01T00:00:00.000Z');

describe('import', () => {
  test('seeds each <collection>.json; both forms of $date become dates; numbers and nesting survive', async () => {
    await write('users.json', [
      { _id: 'u1', name: '小明', createdAt: { $date: '2024-01-01T00:00:00.000Z' }, tags: ['a'] },
      {
        _id: 'u2',
        createdAt: { $date: { $numberLong: String(NEW_YEAR.getTime()) } },
        visits: { $numberInt: '3' },
        score: 1.5,
        profile: { seen: { $date: '2024-02-01T08:00:00.000Z' } },
      },
    ]);
    await write('sessions.json', []);
    await write('notes.txt', 'not a collection file');
    expect(await importCollections(database, dir)).toEqual({ sessions: 0, users: 2 });
    const users = await database.dump('users');
    expect(users).toEqual([
      { _id: 'u1', name: '小明', createdAt: NEW_YEAR, tags: ['a'] },
      { _id: 'u2', createdAt: NEW_YEAR, visits: 3, score: 1.5, profile: { seen: new Date('2024-02-01T08:00:00Z') } },
    ]);
    expect(users[0]!.createdAt).toBeInstanceOf(Date);
    expect(await database.collections()).toEqual(['sessions', 'users']);
  });

  test('an import into collections that exist keeps their other documents', async () => {
    await database.ensureCollections(['users']);
    await database.handle('database.insertDocument', {
      collectionName: 'users',
      data: [EJSON.stringify({ _id: 'kept' })],
    });
    await write('users.json', [{ _id: 'u1' }]);
    expect(await importCollections(database, dir)).toEqual({ users: 1 });
    expect((await database.dump('users')).map((doc) => doc._id)).toEqual(['kept', 'u1']);
  });

  test('a document without _id gets a new one; a document with a known _id replaces the stored one', async () => {
    await write('users.json', [{ _id: 'u1', v: 1, gone: true }]);
    await importCollections(database, dir);
    await write('users.json', [{ _id: 'u1', v: 2 }, { v: 3 }]);
    await importCollections(database, dir);
    const users = await database.dump('users');
    expect(users).toHaveLength(2);
    expect(users.find((doc) => doc._id === 'u1')).toEqual({ _id: 'u1', v: 2 });
    expect(users.find((doc) => doc._id !== 'u1')).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
      v: 3,
    });
  });

  test.each([
    ['not JSON', '[{"_id": "x",', /users\.json: not valid Extended JSON/],
    ['not an array', { _id: 'x' }, /users\.json: expected an array of documents, found an object/],
    ['a document that is not an object', [{ _id: 'a' }, 42], /users\.json: document 1 is a number, not an object/],
    ['a non-string _id', [{ _id: 7 }], /users\.json: document 0: _id must be a non-empty string/],
    ['a repeated _id', [{ _id: 'a' }, { _id: 'a' }], /users\.json: document 1: _id "a" appears twice/],
    [
      'an invalid $date',
      [{ _id: 'a', at: { $date: 'yesterday' } }],
      /users\.json: document 0: at is not a valid \$date/,
    ],
    ['a field name starting with $', [{ _id: 'a', $bad: 1 }], /users\.json: document 0: .*\$bad/],
    [
      'a BSON type CloudBase has no use for',
      [{ _id: 'a', id: { $oid: '65a000000000000000000000' } }],
      /users\.json: document 0: devcloud does not emulate the BSON type ObjectI[dD]/,
    ],
  ])(
    '%s: a CollectionFileError naming the file, nothing imported from any file, no collection created',
    async (_what, content, message) => {
      await write('aaa.json', [{ _id: 'fine' }]); // read and written first: must be rolled back
      await write('users.json', content);
      const outcome = await importCollections(database, dir).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(CollectionFileError);
      expect((outcome as Error).message).toMatch(message);
      expect(await database.dump('aaa')).toEqual([]);
      expect(await database.dump('users')).toEqual([]);
      expect(await database.collections()).toEqual([]);
    },
  );

  test('a missing folder is an error', async () => {
    await expect(importCollections(database, join(dir, 'absent'))).rejects.toThrow(/no such folder/);
  });
});

describe('export', () => {
  test('writes every collection, sorted by _id, dates as {"$date"}, and round-trips through import', async () => {
    await database.ensureCollections(['users', 'logs']);
    await database.handle('database.insertDocument', {
      collectionName: 'users',
      data: [
        EJSON.stringify({ _id: 'b', at: NEW_YEAR, n: 2, nested: { when: NEW_YEAR, list: [NEW_YEAR] } }),
        EJSON.stringify({ _id: 'a', name: '小明', ancient: new Date(-1e14) }),
      ],
    });
    await database.handle('database.insertDocument', { collectionName: 'logs', data: [EJSON.stringify({ _id: 'l' })] });
    expect(await exportCollections(database, join(dir, 'out'))).toEqual({ logs: 1, users: 2 });
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['logs.json', 'users.json']);
    const text = await readFile(join(dir, 'out', 'users.json'), 'utf8');
    const plain = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(plain.map((doc) => doc._id)).toEqual(['a', 'b']);
    expect(plain[1]).toEqual({
      _id: 'b',
      at: { $date: '2024-01-01T00:00:00Z' },
      n: 2,
      nested: { when: { $date: '2024-01-01T00:00:00Z' }, list: [{ $date: '2024-01-01T00:00:00Z' }] },
    });
    expect(plain[0]!.ancient).toEqual({ $date: { $numberLong: '-100000000000000' } });

    const copy = new DevDatabase();
    try {
      expect(await importCollections(copy, join(dir, 'out'))).toEqual({ logs: 1, users: 2 });
      expect(await copy.dump('users')).toEqual(await database.dump('users'));
      expect((await copy.dump('users'))[1]!.at).toBeInstanceOf(Date);
      expect(await copy.dump('logs')).toEqual([{ _id: 'l' }]);
    } finally {
      await copy.close();
    }
  });

  test('an empty database writes no file', async () => {
    expect(await exportCollections(database, join(dir, 'empty'))).toEqual({});
    expect(await readdir(join(dir, 'empty'))).toEqual([]);
  });
});
