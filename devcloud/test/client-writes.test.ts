/**
 * Generated client writes (issue 15 §6): update shapes (operators, nesting, dotted paths, arrays, set and update,
 * doc() and where(), add and remove) made by a simulated phone, against every rules file in the project (the kit's
 * database-rules/ and the breakfast example's) and two worst cases (anyone may write; owners may write). Each write
 * goes through the real client API (@cloudbase/database on the phone) or, as a tampered client would send it, as a
 * raw request on the same route. The invariant, checked on the stored documents after every write: a document's
 * `_openid` never changes, no document moves to another `_id` or vanishes but by a remove, and a document a client
 * creates is owned by that client.
 *
 * `npm test` samples FUZZ_RUNS (default 400, about a second) writes; `npm run fuzz` runs 10,000.
 */
import { EJSON } from 'bson';
import fc from 'fast-check';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { createDevice, type Device } from '../phone/device';
import { controlRequest } from '../phone/http';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const RULES_DIRS = [
  join(__dirname, '..', '..', 'database-rules'),
  join(__dirname, '..', 'examples', 'breakfast', 'database-rules'),
];
/** The worst cases: only the service's own guard keeps `_openid` and `_id`. */
const EXTRA_RULES: Record<string, unknown> = {
  fuzz_open: { read: true, write: true },
  fuzz_owned: { read: 'doc._openid == auth.openid', write: 'doc._openid == auth.openid' },
};

let t: TestCloud;
let rulesDir: string;
let collections: string[] = [];
let alice: Device;
let bob: Device;
const openids: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

beforeAll(async () => {
  rulesDir = await mkdtemp(join(tmpdir(), 'devcloud-client-writes-'));
  for (const dir of RULES_DIRS)
    for (const file of await readdir(dir))
      if (file.endsWith('.json')) await copyFile(join(dir, file), join(rulesDir, file));
  for (const [name, rules] of Object.entries(EXTRA_RULES))
    await writeFile(join(rulesDir, `${name}.json`), JSON.stringify(rules));
  collections = (await readdir(rulesDir)).map((file) => file.replace(/\.json$/, '')).sort();
  t = await startTestCloud({ rulesDir });
  alice = createDevice({ devcloudUrl: t.cloud!.url, user: uniqueUser('alice') });
  bob = createDevice({ devcloudUrl: t.cloud!.url, user: uniqueUser('bob') });
  openids.alice = (await t.control.user(alice.user)).openid;
  openids.bob = (await t.control.user(bob.user)).openid;
});
afterAll(async () => {
  await t?.stop();
  await rm(rulesDir, { recursive: true, force: true });
});

// ---- the shapes ------------------------------------------------------------------------------------------------

type Who = 'alice' | 'bob';
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A db.command, described so that fast-check can print a counterexample. */
interface Command {
  command: string;
  arg?: Json;
}
type SdkValue = Json | Command | { [key: string]: Command };

const SERVICE_FIELDS = ['_openid', '_id'] as const;
const OTHER_FIELDS = ['note', 'n', 'status', 'profile', 'tags'] as const;
const OTHER_PATHS = ['profile.name', 'profile._openid', '_openid.x', '_id.x', 'tags.0', ''] as const;
/** Field names and paths, the service's own fields often: they are what the invariant is about. */
const FIELD = fc.oneof(
  { arbitrary: fc.constantFrom(...SERVICE_FIELDS), weight: 1 },
  { arbitrary: fc.constantFrom(...OTHER_FIELDS), weight: 3 },
);
const PATH = fc.oneof(
  { arbitrary: fc.constantFrom(...SERVICE_FIELDS), weight: 1 },
  { arbitrary: fc.constantFrom(...OTHER_FIELDS, ...OTHER_PATHS), weight: 2 },
);
/** SELF and VICTIM become the caller's and the other user's OPENID; the rest are values and field paths. */
const LEAF = fc.oneof(
  fc.constantFrom<Json>('SELF', 'VICTIM', 'placed', 'cancelled', '_openid', '_id', 'note', 'profile.name'),
  fc.integer({ min: -2, max: 3 }),
  fc.boolean(),
  fc.constant(null),
);
const { json } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: LEAF, weight: 6 },
    { arbitrary: fc.array(tie('json'), { maxLength: 2 }), weight: 1 },
    { arbitrary: fc.dictionary(FIELD, tie('json'), { maxKeys: 2 }), weight: 1 },
  ),
}));

const COMMAND: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ command: fc.constantFrom('set', 'pull', 'addToSet'), arg: json }),
  fc.record({ command: fc.constantFrom('inc', 'mul', 'min', 'max'), arg: fc.integer({ min: -2, max: 3 }) }),
  fc.record({ command: fc.constantFrom('push', 'unshift'), arg: fc.array(json, { maxLength: 2 }) }),
  fc.record({ command: fc.constantFrom('rename'), arg: fc.constantFrom<Json>('_openid', '_id', 'note', 'moved') }),
  fc.record({ command: fc.constantFrom('remove', 'pop', 'shift') }),
);
const SDK_DATA = fc.dictionary(
  PATH.filter((path) => path !== ''),
  fc.oneof<fc.Arbitrary<SdkValue>[]>(json, COMMAND, fc.dictionary(FIELD, COMMAND, { maxKeys: 2 })),
  { minKeys: 1, maxKeys: 2 },
);
/** One field a tampered client writes: plainly (the service reads it as `$set`) or under an operator. */
const RAW_OPERATION = fc.oneof(
  fc.record({ op: fc.constantFrom('plain', '$set', '$push', '$addToSet', '$pull'), path: PATH, value: json }),
  fc.record({
    op: fc.constantFrom('$inc', '$mul', '$min', '$max'),
    path: PATH,
    value: fc.integer({ min: -2, max: 3 }),
  }),
  fc.record({ op: fc.constant('$rename'), path: PATH, value: PATH }),
  fc.record({ op: fc.constant('$unset'), path: PATH, value: fc.constant<Json>('') }),
);
/** What a tampered client may send as update data: plain fields, operators, or both. */
const RAW_DATA = fc.array(RAW_OPERATION, { minLength: 1, maxLength: 3 }).map((operations) => {
  const data: Record<string, Json> = {};
  for (const { op, path, value } of operations) {
    if (op === 'plain') data[path] = value;
    else data[op] = { ...(data[op] as Record<string, Json> | undefined), [path]: value };
  }
  return data;
});

type Target = { doc: number } | { where: Record<string, Json> };
/** Seeded ids 0 and 1 are alice's, 2 and 3 bob's, 4 is never seeded. */
const TARGET: fc.Arbitrary<Target> = fc.oneof(
  fc.record({ doc: fc.integer({ min: 0, max: 4 }) }),
  fc.record({
    where: fc.constantFrom<Record<string, Json>>(
      { _openid: '{openid}' },
      { _openid: 'VICTIM' },
      { status: 'placed' },
      {},
      { _id: 'SEED2' },
    ),
  }),
);

type Write =
  | { via: 'sdk'; kind: 'update' | 'set'; target: Target; data: Record<string, SdkValue> }
  | { via: 'sdk'; kind: 'add'; data: Record<string, SdkValue> }
  | { via: 'sdk'; kind: 'remove'; target: Target }
  | {
      via: 'raw';
      kind: 'modify';
      target: Target;
      data: Record<string, Json>;
      merge: boolean;
      upsert: boolean;
      multi: boolean;
    }
  | { via: 'raw'; kind: 'insert'; data: Record<string, Json> };

/** Weighted towards updates, the shapes with the most ways to reach `_openid`. */
const WRITE: fc.Arbitrary<Write> = fc.oneof(
  {
    arbitrary: fc.record({
      via: fc.constant('sdk'),
      kind: fc.constantFrom('update', 'set'),
      target: TARGET,
      data: SDK_DATA,
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ via: fc.constant('sdk'), kind: fc.constant('add'), data: SDK_DATA }), weight: 1 },
  { arbitrary: fc.record({ via: fc.constant('sdk'), kind: fc.constant('remove'), target: TARGET }), weight: 1 },
  {
    arbitrary: fc.record({
      via: fc.constant('raw'),
      kind: fc.constant('modify'),
      target: TARGET,
      data: RAW_DATA,
      merge: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      upsert: fc.boolean(),
      multi: fc.boolean(),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      via: fc.constant('raw'),
      kind: fc.constant('insert'),
      data: fc.dictionary(FIELD, json, { maxKeys: 3 }),
    }),
    weight: 1,
  },
);

// ---- running a write -------------------------------------------------------------------------------------------

const seedId = (collection: string, index: number) => `${collection}-seed-${index}`;

/** SELF, VICTIM and SEED<n> as the run's values. */
function bind<T>(value: T, caller: Who, collection: string): T {
  const other: Who = caller === 'alice' ? 'bob' : 'alice';
  if (typeof value === 'string') {
    if (value === 'SELF') return openids[caller] as T;
    if (value === 'VICTIM') return openids[other] as T;
    const seed = /^SEED(\d)$/.exec(value);
    return (seed ? seedId(collection, Number(seed[1])) : value) as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => bind(item, caller, collection)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, bind(item, caller, collection)])) as T;
  return value;
}

function sdkData(db: ReturnType<Device['wx']['cloud']['database']>, data: Record<string, SdkValue>): object {
  const _ = db.command as unknown as Record<string, (arg?: unknown) => unknown>;
  const isCommand = (value: unknown): value is Command =>
    Boolean(value && typeof value === 'object' && !Array.isArray(value) && 'command' in value);
  const build = (value: SdkValue): unknown => {
    if (isCommand(value)) return value.arg === undefined ? _[value.command]!() : _[value.command]!(value.arg);
    if (value && typeof value === 'object' && !Array.isArray(value))
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, build(item as SdkValue)]));
    return value;
  };
  return build(data as SdkValue) as object;
}

/** Runs the write as `caller`; answers whether the service (or the SDK) accepted it. Refusals are expected. */
async function run(write: Write, caller: Who, collection: string): Promise<boolean> {
  const device = caller === 'alice' ? alice : bob;
  if (write.via === 'raw') {
    const params: Record<string, unknown> = { collectionName: collection };
    if (write.kind === 'insert') params.data = [JSON.stringify(bind(write.data, caller, collection))];
    else {
      Object.assign(params, rawTarget(bind(write.target, caller, collection), collection), {
        merge: write.merge,
        upsert: write.upsert,
        multi: write.multi,
        data: JSON.stringify(bind(write.data, caller, collection)),
      });
    }
    const action = write.kind === 'insert' ? 'database.insertDocument' : 'database.modifyDocument';
    const reply = await controlRequest<{ code?: string }>(t.cloud!.url, 'POST', '/database', {
      user: device.user,
      action,
      params,
    });
    if (process.env.DEBUG_WRITES && reply.code) console.log(collection, JSON.stringify(write), JSON.stringify(reply));
    return reply.code === undefined;
  }
  const db = device.wx.cloud.database();
  const coll = db.collection(collection);
  try {
    if (write.kind === 'add') await coll.add({ data: sdkData(db, bind(write.data, caller, collection)) as never });
    else {
      const target = write.target;
      const where = 'where' in target ? bind(target.where, caller, collection) : undefined;
      const id = 'doc' in target ? seedId(collection, target.doc) : undefined;
      if (write.kind === 'remove') {
        if (id !== undefined) await coll.doc(id).remove();
        else await coll.where(where!).remove();
      } else {
        const data = sdkData(db, bind(write.data, caller, collection)) as never;
        if (write.kind === 'set') {
          // set() is doc(id) only; a where() target sets the first seeded id.
          await coll.doc(id ?? seedId(collection, 0)).set({ data });
        } else if (id !== undefined) await coll.doc(id).update({ data });
        else await coll.where(where!).update({ data });
      }
    }
    return true;
  } catch (error) {
    if (process.env.DEBUG_WRITES) console.log(collection, JSON.stringify(write), JSON.stringify(error));
    return false;
  }
}

function rawTarget(target: Target, collection: string): Record<string, unknown> {
  if ('doc' in target) return { queryType: 'DOC', query: JSON.stringify({ _id: seedId(collection, target.doc) }) };
  return { queryType: 'WHERE', query: JSON.stringify(target.where) };
}

/** Every rules file's collection; mostly the open two, where most writes are allowed and only the guard holds. */
const COLLECTION = () =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...collections), weight: 1 },
    { arbitrary: fc.constantFrom(...Object.keys(EXTRA_RULES)), weight: 2 },
  );

// ---- the invariant ---------------------------------------------------------------------------------------------

async function owners(collection: string): Promise<Map<string, unknown>> {
  const documents = await t.cloud!.database.dump(collection);
  return new Map(documents.map((document) => [String(document._id), document._openid]));
}

/**
 * Puts the seeded documents back as they were (0 and 1 alice's, 2 and 3 bob's, 4 absent), so that every run, and
 * fast-check's replay of a counterexample, starts from the same documents whatever an earlier run did.
 */
async function reseed(collection: string): Promise<void> {
  const database = t.cloud!.database;
  const ids = [0, 1, 2, 3, 4].map((index) => seedId(collection, index));
  await database.handle('database.removeDocument', {
    collectionName: collection,
    queryType: 'WHERE',
    query: EJSON.stringify({ _id: { $in: ids } }),
    multi: true,
  });
  const data = [0, 1, 2, 3].map((index) =>
    EJSON.stringify({
      _id: seedId(collection, index),
      _openid: index < 2 ? openids.alice : openids.bob,
      note: 'seed',
      n: 1,
      status: 'placed',
      profile: { name: 'p' },
      tags: ['a'],
    }),
  );
  await database.handle('database.insertDocument', { collectionName: collection, data });
}

test(`${RUNS} generated client writes never change a document's _openid or _id, under every rules file`, async () => {
  expect(collections).toEqual(
    expect.arrayContaining(['users', 'sessions', 'orders', 'menu', 'fuzz_open', 'fuzz_owned']),
  );
  const accepted: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(COLLECTION(), fc.constantFrom<Who>('alice', 'bob'), WRITE, async (collection, caller, write) => {
      await reseed(collection);
      const before = await owners(collection);
      const ok = await run(write, caller, collection);
      const after = await owners(collection);
      if (ok) accepted[`${write.via} ${write.kind}`] = (accepted[`${write.via} ${write.kind}`] ?? 0) + 1;
      const removes = write.kind === 'remove';
      const creates = write.kind === 'add' || write.kind === 'set' || write.kind === 'insert';
      for (const [id, owner] of before) {
        if (after.has(id)) expect({ id, owner: after.get(id) }).toEqual({ id, owner });
        else if (!removes) throw new Error(`${id} vanished after a ${write.via} ${write.kind}`);
      }
      for (const [id, owner] of after) {
        if (before.has(id)) continue;
        if (!creates) throw new Error(`${id} appeared after a ${write.via} ${write.kind}`);
        expect({ id, owner }).toEqual({ id, owner: openids[caller] });
      }
    }),
    { numRuns: RUNS },
  );
  // A generator whose writes were all refused would prove nothing: the open collections accept most of them.
  if (RUNS >= 100) expect(Object.values(accepted).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(RUNS / 20);
});
