/**
 * collection.aggregate() through the REAL wx-server-sdk: every stage its Aggregate sends, the expression operators
 * of db.command.aggregate, MongoDB's semantics where engines differ, CloudBase's limits and its errors.
 * Data sets follow the examples of the reference pages
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/database/aggregate/Aggregate.html).
 */
import type { DevDatabase } from '../database';
import { sdk, sdkError, startSdkDatabase, type Row, type SdkDatabase } from './support/sdk-database';

type Operator = (value: unknown) => unknown;
interface Pipeline {
  match(value: unknown): Pipeline;
  project(value: unknown): Pipeline;
  done(): unknown;
}
/** Every operator of db.command.aggregate in @cloudbase/database (command.ts), as the SDK names them. */
const OPERATORS = [
  ...['abs', 'add', 'ceil', 'divide', 'exp', 'floor', 'ln', 'log', 'log10', 'mod', 'multiply', 'pow', 'sqrt'],
  ...['subtract', 'trunc', 'arrayElemAt', 'arrayToObject', 'concatArrays', 'filter', 'in', 'indexOfArray'],
  ...['isArray', 'map', 'range', 'reduce', 'reverseArray', 'size', 'slice', 'zip', 'and', 'not', 'or', 'cmp'],
  ...['eq', 'gt', 'gte', 'lt', 'lte', 'neq', 'cond', 'ifNull', 'switch', 'dateFromParts', 'dateFromString'],
  ...['dayOfMonth', 'dayOfWeek', 'dayOfYear', 'isoDayOfWeek', 'isoWeek', 'isoWeekYear', 'millisecond', 'minute'],
  ...['month', 'second', 'hour', 'week', 'year', 'literal', 'mergeObjects', 'objectToArray', 'allElementsTrue'],
  ...['anyElementTrue', 'setDifference', 'setEquals', 'setIntersection', 'setIsSubset', 'setUnion', 'concat'],
  ...['dateToString', 'indexOfBytes', 'indexOfCP', 'split', 'strLenBytes', 'strLenCP', 'strcasecmp', 'substr'],
  ...['substrBytes', 'substrCP', 'toLower', 'toUpper', 'meta', 'addToSet', 'avg', 'first', 'last', 'max', 'min'],
  ...['push', 'stdDevPop', 'stdDevSamp', 'sum', 'let'],
] as const;
/** db.command.aggregate as it is at run time (its typings list few of its operators). */
type AggregateCommands = Record<(typeof OPERATORS)[number], Operator> & { pipeline(): Pipeline };
/** The query commands these tests use, _.expr included (missing from the typings). */
type QueryCommands = Record<'gt' | 'lt' | 'expr', Operator>;

let s: SdkDatabase;
let database: DevDatabase;
beforeAll(async () => {
  s = await startSdkDatabase('devcloud-aggregate-test');
});
afterAll(() => s.close());
beforeEach(async () => {
  database = await s.reset(['avatar', 'items', 'orders', 'places', 'mixed', 'empty']);
});

const $ = (): AggregateCommands => s.db.command.aggregate as unknown as AggregateCommands;
const _ = (): QueryCommands => s.db.command as unknown as QueryCommands;
const agg = (collection = 'avatar') => s.db.collection(collection).aggregate();

async function list(pending: unknown): Promise<Row[]> {
  return (await sdk<{ list: Row[] }>(pending)).list;
}

async function seed(collection: string, rows: Row[]): Promise<void> {
  await sdk(s.db.collection(collection).add({ data: rows }));
}

/** Aggregate.group's example collection. */
const AVATARS: Row[] = [
  { _id: '1', alias: 'john', region: 'asia', scores: [40, 20, 80], coins: 100 },
  { _id: '2', alias: 'arthur', region: 'europe', scores: [60, 90], coins: 20 },
  { _id: '3', alias: 'george', region: 'europe', scores: [50, 70, 90], coins: 50 },
  { _id: '4', alias: 'john', region: 'asia', scores: [30, 60, 100, 90], coins: 40 },
  { _id: '5', alias: 'george', region: 'europe', scores: [20], coins: 60 },
  { _id: '6', alias: 'john', region: 'asia', scores: [40, 80, 70], coins: 120 },
];

function stdDev(values: number[], sample: boolean): number {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return Math.sqrt(squares / (values.length - (sample ? 1 : 0)));
}

describe('the request and the reply', () => {
  test('database.aggregateDocuments: one {stageKey, stageValue} per stage, objects as canonical Extended JSON', async () => {
    await seed('avatar', AVATARS);
    const handle = jest.spyOn(database, 'handle');
    const rows = await list(
      agg()
        .match({ coins: _().gt(50) })
        .limit(2)
        .unwind('$scores')
        .end(),
    );
    const [action, body] = handle.mock.calls.at(-1)!;
    expect(action).toBe('database.aggregateDocuments');
    expect(body).toMatchObject({
      collectionName: 'avatar',
      stages: [
        { stageKey: '$match', stageValue: '{"coins":{"$gt":{"$numberInt":"50"}}}' },
        { stageKey: '$limit', stageValue: '2' },
        { stageKey: '$unwind', stageValue: '"$scores"' },
      ],
    });
    // The SDK parses each list entry with EJSON.parse and hands back `list`.
    expect(rows.map((row) => [row._id, row.scores])).toEqual([
      ['1', 40],
      ['1', 20],
      ['1', 80],
      ['5', 20],
    ]);
  });

  test('dates come back as dates, and documents keep _id first', async () => {
    const when = new Date('2024-03-05T06:07:08.009Z');
    await seed('items', [{ name: 'a', when }]);
    const [row] = await list(
      agg('items')
        .project({ _id: 0, name: 1, when: 1, year: $().year('$when') })
        .end(),
    );
    expect(row).toEqual({ name: 'a', when, year: 2024 });
    expect(row!.when).toBeInstanceOf(Date);
    const [grouped] = await list(
      agg('items')
        .group({ count: $().sum(1), _id: '$name' })
        .end(),
    );
    expect(Object.keys(grouped!)).toEqual(['_id', 'count']);
  });
});

describe('stages', () => {
  beforeEach(() => seed('avatar', AVATARS));

  test('group with every accumulator', async () => {
    const rows = await list(
      agg()
        .group({
          _id: '$region',
          total: $().sum('$coins'),
          count: $().sum(1),
          avg: $().avg('$coins'),
          min: $().min('$coins'),
          max: $().max('$coins'),
          first: $().first('$alias'),
          last: $().last('$alias'),
          aliases: $().addToSet('$alias'),
          coins: $().push('$coins'),
          pop: $().stdDevPop('$coins'),
          samp: $().stdDevSamp('$coins'),
        })
        .sort({ _id: 1 })
        .end(),
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      _id: 'asia',
      total: 260,
      count: 3,
      min: 40,
      max: 120,
      first: 'john',
      last: 'john',
      aliases: ['john'],
      coins: [100, 40, 120],
    });
    expect(rows[0]!.avg).toBeCloseTo(260 / 3, 10);
    expect(rows[0]!.pop).toBeCloseTo(stdDev([100, 40, 120], false), 10);
    expect(rows[0]!.samp).toBeCloseTo(stdDev([100, 40, 120], true), 10);
    expect(rows[1]).toMatchObject({ _id: 'europe', total: 130, first: 'arthur', last: 'george', coins: [20, 50, 60] });
    expect((rows[1]!.aliases as string[]).sort()).toEqual(['arthur', 'george']);
  });

  test('match, sort, skip, limit, project, addFields, replaceRoot and count', async () => {
    expect(await list(agg().sort({ coins: -1 }).skip(1).limit(2).project({ _id: 0, alias: 1 }).end())).toEqual([
      { alias: 'john' },
      { alias: 'george' },
    ]);
    expect(
      await list(
        agg()
          .match({ region: 'europe' })
          .addFields({ best: $().max('$scores') })
          .replaceRoot({ newRoot: { who: '$alias', best: '$best' } })
          .end(),
      ),
    ).toEqual([
      { who: 'arthur', best: 90 },
      { who: 'george', best: 90 },
      { who: 'george', best: 20 },
    ]);
    expect(
      await list(
        agg()
          .match({ coins: _().gt(50) })
          .count('rich')
          .end(),
      ),
    ).toEqual([{ rich: 3 }]);
  });

  test('unwind: the short form, includeArrayIndex and preserveNullAndEmptyArrays', async () => {
    await seed('items', [{ _id: 'a', sizes: ['S', 'M'] }, { _id: 'b', sizes: [] }, { _id: 'c' }]);
    expect(await list(agg('items').unwind('$sizes').end())).toEqual([
      { _id: 'a', sizes: 'S' },
      { _id: 'a', sizes: 'M' },
    ]);
    expect(
      await list(
        agg('items').unwind({ path: '$sizes', includeArrayIndex: 'i', preserveNullAndEmptyArrays: true }).end(),
      ),
    ).toEqual([
      { _id: 'a', sizes: 'S', i: 0 },
      { _id: 'a', sizes: 'M', i: 1 },
      { _id: 'b', i: null },
      { _id: 'c', i: null },
    ]);
  });

  test('bucket: a boundary value opens its bucket; empty buckets are left out; out of range without default fails', async () => {
    await seed('items', [{ v: 0 }, { v: 10 }, { v: 25 }, { v: 99 }]);
    expect(
      await list(
        agg('items')
          .bucket({ groupBy: '$v', boundaries: [0, 10, 20, 30], default: 'other' })
          .end(),
      ),
    ).toEqual([
      { _id: 0, count: 1 },
      { _id: 10, count: 1 },
      { _id: 20, count: 1 },
      { _id: 'other', count: 1 },
    ]);
    const error = await sdkError(
      agg('items')
        .bucket({ groupBy: '$v', boundaries: [0, 10, 20, 30] })
        .end(),
    );
    expect(error.errMsg).toMatch(/could not find a matching branch/);
  });

  test('sortByCount, sample, bucket and bucketAuto', async () => {
    expect(await list(agg().sortByCount('$alias').end())).toEqual([
      { _id: 'john', count: 3 },
      { _id: 'george', count: 2 },
      { _id: 'arthur', count: 1 },
    ]);

    const sampled = await list(agg().sample({ size: 2 }).end());
    expect(sampled).toHaveLength(2);
    expect(new Set(sampled.map((row) => row._id)).size).toBe(2);
    for (const row of sampled) expect(AVATARS).toContainEqual(row);
    // Without replacement: asked for all of them (or more), each document comes out once.
    for (const size of [AVATARS.length, AVATARS.length + 4]) {
      const all = await list(agg().sample({ size }).end());
      expect(all.map((row) => row._id).sort()).toEqual(AVATARS.map((row) => row._id));
    }

    expect(
      await list(
        agg()
          .bucket({
            groupBy: '$coins',
            boundaries: [0, 50, 100],
            default: 'rich',
            output: { count: $().sum(1), ids: $().push('$_id') },
          })
          .end(),
      ),
    ).toEqual([
      { _id: 0, count: 2, ids: ['2', '4'] },
      { _id: 50, count: 2, ids: ['3', '5'] },
      { _id: 'rich', count: 2, ids: ['1', '6'] },
    ]);

    expect(await list(agg().bucketAuto({ groupBy: '$coins', buckets: 3 }).end())).toEqual([
      { _id: { min: 20, max: 50 }, count: 2 },
      { _id: { min: 50, max: 100 }, count: 2 },
      { _id: { min: 100, max: 120 }, count: 2 },
    ]);
  });
});

describe('lookup', () => {
  beforeEach(async () => {
    await seed('orders', [
      { _id: 'o1', item: 'apple', qty: 2 },
      { _id: 'o2', item: 'pear', qty: 1 },
      { _id: 'o3', qty: 5 },
    ]);
    await seed('items', [
      { _id: 'i1', name: 'apple', price: 3 },
      { _id: 'i2', name: 'banana', price: 1 },
      { _id: 'i3', price: 0 },
    ]);
  });

  test('localField/foreignField: equality join; a missing local field matches foreign documents without one', async () => {
    const rows = await list(
      agg('orders')
        .lookup({ from: 'items', localField: 'item', foreignField: 'name', as: 'matched' })
        .project({ ids: '$matched._id' })
        .end(),
    );
    expect(rows).toEqual([
      { _id: 'o1', ids: ['i1'] },
      { _id: 'o2', ids: [] },
      { _id: 'o3', ids: ['i3'] },
    ]);
  });

  test('let + pipeline: variables of the outer document in _.expr, stages on the joined collection', async () => {
    const rows = await list(
      agg('orders')
        .lookup({
          from: 'items',
          let: { wanted: '$item', qty: '$qty' },
          pipeline: $()
            .pipeline()
            .match(_().expr($().eq(['$name', '$$wanted'])))
            .project({ _id: 0, name: 1, total: $().multiply(['$price', '$$qty']) })
            .done(),
          as: 'lines',
        })
        .end(),
    );
    expect(rows.map((row) => [row._id, row.lines])).toEqual([
      ['o1', [{ name: 'apple', total: 6 }]],
      ['o2', []],
      // o3 has no item: $$wanted is missing, and so is i3's name; $eq of two missing values is true in MongoDB.
      ['o3', [{ total: 0 }]],
    ]);
  });

  test('from a collection that does not exist: empty joins, as in MongoDB', async () => {
    const rows = await list(
      agg('orders').lookup({ from: 'nowhere', localField: 'item', foreignField: 'name', as: 'x' }).end(),
    );
    expect(rows.map((row) => row.x)).toEqual([[], [], []]);
  });
});

describe('expression operators (db.command.aggregate), evaluated as MongoDB does', () => {
  test('arithmetic, array, boolean, comparison, conditional, literal, object, set, string and variable operators', async () => {
    await seed('items', [{ _id: 'x', a: 7, b: 2, s: 'Hello, 世界', arr: [3, 1, 2], o: { k: 'v' }, n: null, t: true }]);
    const op = $();
    const [row] = await list(
      agg('items')
        .project({
          _id: 0,
          abs: op.abs(op.subtract(['$b', '$a'])),
          add: op.add(['$a', '$b']),
          ceil: op.ceil(2.1),
          divide: op.divide(['$a', '$b']),
          exp: op.exp(0),
          floor: op.floor(2.9),
          ln: op.ln(1),
          log: op.log([8, 2]),
          log10: op.log10(100),
          mod: op.mod(['$a', '$b']),
          multiply: op.multiply(['$a', '$b']),
          pow: op.pow(['$b', 3]),
          sqrt: op.sqrt(16),
          subtract: op.subtract(['$a', '$b']),
          trunc: op.trunc(-2.7),
          arrayElemAt: op.arrayElemAt(['$arr', -1]),
          arrayToObject: op.arrayToObject(
            op.literal([
              ['k1', 1],
              ['k2', 2],
            ]),
          ),
          concatArrays: op.concatArrays(['$arr', [9]]),
          filter: op.filter({ input: '$arr', as: 'x', cond: op.gt(['$$x', 1]) }),
          in: op.in([2, '$arr']),
          indexOfArray: op.indexOfArray(['$arr', 2]),
          isArray: op.isArray(['$arr']),
          map: op.map({ input: '$arr', as: 'x', in: op.multiply(['$$x', 10]) }),
          range: op.range([0, 6, 2]),
          reduce: op.reduce({ input: '$arr', initialValue: 0, in: op.add(['$$value', '$$this']) }),
          reverseArray: op.reverseArray('$arr'),
          size: op.size('$arr'),
          slice: op.slice(['$arr', 1, 2]),
          zip: op.zip({ inputs: ['$arr', ['a', 'b', 'c']] }),
          and: op.and(['$t', op.gt(['$a', 1])]),
          not: op.not(['$t']),
          or: op.or([false, '$n']),
          cmp: op.cmp(['$a', '$b']),
          eq: op.eq(['$a', 7]),
          gt: op.gt(['$a', '$b']),
          gte: op.gte(['$a', 7]),
          lt: op.lt(['$a', '$b']),
          lte: op.lte(['$b', 2]),
          neq: op.neq(['$a', 7]),
          cond: op.cond({ if: op.gte(['$a', 5]), then: 'big', else: 'small' }),
          ifNull: op.ifNull(['$n', 'fallback']),
          switch: op.switch({
            branches: [
              { case: op.eq(['$b', 1]), then: 'one' },
              { case: op.eq(['$b', 2]), then: 'two' },
            ],
            default: 'many',
          }),
          literal: op.literal('$a'),
          mergeObjects: op.mergeObjects(['$o', { k2: 'w' }]),
          objectToArray: op.objectToArray('$o'),
          allElementsTrue: op.allElementsTrue([[true, 1]]),
          anyElementTrue: op.anyElementTrue([[false, 0]]),
          setDifference: op.setDifference([[1, 2, 3], [2]]),
          setEquals: op.setEquals([
            [1, 2],
            [2, 1],
          ]),
          setIntersection: op.setIntersection([
            [1, 2, 3],
            [2, 3, 4],
          ]),
          setIsSubset: op.setIsSubset([[1], [1, 2]]),
          setUnion: op.setUnion([
            [1, 2],
            [2, 3],
          ]),
          concat: op.concat(['$s', '!']),
          indexOfBytes: op.indexOfBytes(['$s', '世']),
          indexOfCP: op.indexOfCP(['$s', '界']),
          split: op.split(['$s', ', ']),
          strLenBytes: op.strLenBytes('$s'),
          strLenCP: op.strLenCP('$s'),
          strcasecmp: op.strcasecmp(['abc', 'ABD']),
          substr: op.substr(['$s', 0, 5]),
          substrBytes: op.substrBytes(['$s', 7, 3]),
          substrCP: op.substrCP(['$s', 7, 2]),
          toLower: op.toLower('$s'),
          toUpper: op.toUpper('$s'),
          let: op.let({ vars: { double: op.multiply(['$a', 2]) }, in: op.add(['$$double', 1]) }),
        })
        .end(),
    );
    const sorted = (key: string): number[] => [...(row![key] as number[])].sort();
    expect({
      ...row,
      setDifference: sorted('setDifference'),
      setIntersection: sorted('setIntersection'),
      setUnion: sorted('setUnion'),
    }).toEqual({
      abs: 5,
      add: 9,
      ceil: 3,
      divide: 3.5,
      exp: 1,
      floor: 2,
      ln: 0,
      log: 3,
      log10: 2,
      mod: 1,
      multiply: 14,
      pow: 8,
      sqrt: 4,
      subtract: 5,
      trunc: -2,
      arrayElemAt: 2,
      arrayToObject: { k1: 1, k2: 2 },
      concatArrays: [3, 1, 2, 9],
      filter: [3, 2],
      in: true,
      indexOfArray: 2,
      isArray: true,
      map: [30, 10, 20],
      range: [0, 2, 4],
      reduce: 6,
      reverseArray: [2, 1, 3],
      size: 3,
      slice: [1, 2],
      zip: [
        [3, 'a'],
        [1, 'b'],
        [2, 'c'],
      ],
      and: true,
      not: false,
      or: false,
      cmp: 1,
      eq: true,
      gt: true,
      gte: true,
      lt: false,
      lte: true,
      neq: false,
      cond: 'big',
      ifNull: 'fallback',
      switch: 'two',
      literal: '$a',
      mergeObjects: { k: 'v', k2: 'w' },
      objectToArray: [{ k: 'k', v: 'v' }],
      allElementsTrue: true,
      anyElementTrue: false,
      setDifference: [1, 3],
      setEquals: true,
      setIntersection: [2, 3],
      setIsSubset: true,
      setUnion: [1, 2, 3],
      concat: 'Hello, 世界!',
      indexOfBytes: 7,
      indexOfCP: 8,
      split: ['Hello', '世界'],
      strLenBytes: 13,
      strLenCP: 9,
      strcasecmp: -1,
      substr: 'Hello',
      substrBytes: '世',
      substrCP: '世界',
      toLower: 'hello, 世界',
      toUpper: 'HELLO, 世界',
      let: 15,
    });
  });

  test('every operator the SDK offers is one the engine knows, but $meta (no text search)', async () => {
    await seed('items', [{ _id: 'x' }]);
    const unknown: string[] = [];
    for (const name of OPERATORS) {
      const outcome = await sdk(
        agg('items')
          .project({ x: $()[name]([]) })
          .end(),
      ).then(
        () => '',
        (error: unknown) => (error as { errMsg?: string }).errMsg ?? '',
      );
      if (/not registered|unknown|unrecognized/i.test(outcome)) unknown.push(name);
    }
    expect(unknown).toEqual(['meta']);
  });

  test('one-argument operators take their argument bare or in a one-element array, as MongoDB parses them', async () => {
    await seed('items', [{ _id: 'x', n: -2.5, list: [1, 2, 3], d: new Date('2024-03-05T00:00:00Z') }]);
    const op = $();
    const [row] = await list(
      agg('items')
        .project({
          _id: 0,
          abs: op.abs(['$n']),
          size: op.size(['$list']),
          reversed: op.reverseArray(['$list']),
          year: op.year(['$d']),
          trunc: op.trunc('$n'),
          truncPlaces: op.trunc([1.2345, 2]),
        })
        .end(),
    );
    expect(row).toEqual({ abs: 2.5, size: 3, reversed: [3, 2, 1], year: 2024, trunc: -2, truncPlaces: 1.23 });
  });

  test('date operators, in UTC', async () => {
    await seed('items', [{ _id: 'd', d: new Date('2024-03-05T06:07:08.009Z') }]);
    const op = $();
    const [row] = await list(
      agg('items')
        .project({
          _id: 0,
          dayOfMonth: op.dayOfMonth('$d'),
          dayOfWeek: op.dayOfWeek('$d'),
          dayOfYear: op.dayOfYear('$d'),
          isoDayOfWeek: op.isoDayOfWeek('$d'),
          isoWeek: op.isoWeek('$d'),
          isoWeekYear: op.isoWeekYear('$d'),
          millisecond: op.millisecond('$d'),
          minute: op.minute('$d'),
          month: op.month('$d'),
          second: op.second('$d'),
          hour: op.hour('$d'),
          week: op.week('$d'),
          year: op.year('$d'),
          text: op.dateToString({ date: '$d', format: '%Y-%m-%d %H:%M:%S' }),
          fromParts: op.dateFromParts({ year: 2024, month: 2, day: 29 }),
          fromString: op.dateFromString({ dateString: '2024-03-05T06:07:08.009Z' }),
        })
        .end(),
    );
    expect(row).toEqual({
      dayOfMonth: 5,
      dayOfWeek: 3, // Tuesday; MongoDB counts from Sunday = 1
      dayOfYear: 65,
      isoDayOfWeek: 2,
      isoWeek: 10,
      isoWeekYear: 2024,
      millisecond: 9,
      minute: 7,
      month: 3,
      second: 8,
      hour: 6,
      week: 9, // weeks begin on Sunday; days before the first Sunday are week 0
      year: 2024,
      text: '2024-03-05 06:07:08',
      fromParts: new Date('2024-02-29T00:00:00.000Z'),
      fromString: new Date('2024-03-05T06:07:08.009Z'),
    });
  });
});

describe("MongoDB's semantics where engines differ", () => {
  test('group keys: null and missing group together as null; $sum and $avg skip non-numbers; $push skips missing', async () => {
    await seed('mixed', [
      { _id: 'a', k: null, v: 1 },
      { _id: 'b', v: 2 },
      { _id: 'c', k: 'x', v: 'text' },
      { _id: 'd', k: 'x', v: 3 },
      { _id: 'e', k: 'x' },
      { _id: 'f', k: 'y', v: 'only text' },
    ]);
    const rows = await list(
      agg('mixed')
        .group({ _id: '$k', n: $().sum(1), sum: $().sum('$v'), avg: $().avg('$v'), values: $().push('$v') })
        .sort({ _id: 1 })
        .end(),
    );
    expect(rows).toEqual([
      { _id: null, n: 2, sum: 3, avg: 1.5, values: [1, 2] },
      { _id: 'x', n: 3, sum: 3, avg: 3, values: ['text', 3] },
      { _id: 'y', n: 1, sum: 0, avg: null, values: ['only text'] },
    ]);
  });

  test('sort: ties keep insertion order; mixed types follow BSON order (null, numbers, strings, objects, booleans, dates)', async () => {
    const date = new Date(0);
    await seed('mixed', [
      { _id: '1', rank: 2, v: true },
      { _id: '2', rank: 1, v: 'b' },
      { _id: '3', rank: 2, v: 3 },
      { _id: '4', rank: 1, v: null },
      { _id: '5', rank: 2 },
      { _id: '6', rank: 1, v: date },
      { _id: '7', rank: 2, v: { a: 1 } },
      { _id: '8', rank: 1, v: 'a' },
      { _id: '9', rank: 2, v: 1.5 },
    ]);
    const byRank = await list(agg('mixed').sort({ rank: 1 }).project({ _id: 1 }).end());
    expect(byRank.map((row) => row._id)).toEqual(['2', '4', '6', '8', '1', '3', '5', '7', '9']);
    const byValue = await list(agg('mixed').sort({ v: 1 }).project({ _id: 1 }).end());
    expect(byValue.map((row) => row._id)).toEqual(['4', '5', '9', '3', '8', '2', '7', '1', '6']);
  });

  test('the stored documents are untouched by stages that change theirs', async () => {
    await seed('items', [{ _id: 'keep', nested: { a: 1 }, list: [1, 2] }]);
    await list(
      agg('items')
        .addFields({ 'nested.b': 2, list: $().concatArrays(['$list', [3]]) })
        .end(),
    );
    expect(await database.dump('items')).toEqual([{ _id: 'keep', nested: { a: 1 }, list: [1, 2] }]);
  });
});

describe('geoNear', () => {
  /** Guangzhou: an office 150 m from the caller, Canton Tower about 4.4 km away; Beijing 1,900 km away. */
  const here = (): unknown => s.db.Geo.Point(113.3238, 23.0977);
  beforeEach(() =>
    seed('places', [
      { _id: 'tower', kind: 'sight', loc: s.db.Geo.Point(113.30593, 23.1361155) },
      { _id: 'beijing', kind: 'office', loc: s.db.Geo.Point(116.397, 39.908) },
      { _id: 'hq', kind: 'office', loc: s.db.Geo.Point(113.324, 23.099) },
      { _id: 'nowhere', kind: 'office' },
    ]),
  );

  test('nearest first, with the distance in metres at distanceField (times distanceMultiplier)', async () => {
    const rows = await list(agg('places').geoNear({ near: here(), spherical: true, distanceField: 'distance' }).end());
    expect(rows.map((row) => row._id)).toEqual(['hq', 'tower', 'beijing']);
    const [hq, tower, beijing] = rows.map((row) => row.distance as number);
    expect(hq).toBeGreaterThan(100);
    expect(hq).toBeLessThan(200);
    expect(tower).toBeGreaterThan(4000);
    expect(tower).toBeLessThan(5000);
    expect(beijing).toBeGreaterThan(1_800_000);
    expect(rows[0]!.loc).toEqual({ type: 'Point', coordinates: [113.324, 23.099] });

    const km = await list(
      agg('places').geoNear({ near: here(), spherical: true, distanceField: 'at.km', distanceMultiplier: 0.001 }).end(),
    );
    expect((km[1]!.at as { km: number }).km).toBeCloseTo(tower! / 1000, 9);
  });

  test('maxDistance, minDistance, query and includeLocs; later stages see the distance', async () => {
    const rows = await list(
      agg('places')
        .geoNear({
          near: here(),
          spherical: true,
          distanceField: 'd',
          minDistance: 50,
          maxDistance: 10_000,
          query: { kind: 'office' },
          includeLocs: 'where',
          key: 'loc',
        })
        .project({ _id: 1, where: 1, near: $().lt(['$d', 1000]) })
        .end(),
    );
    expect(rows).toEqual([{ _id: 'hq', where: { type: 'Point', coordinates: [113.324, 23.099] }, near: true }]);
  });

  test('must be the first stage (DATABASE_REQUEST_FAILED with MongoDB 40602)', async () => {
    const error = await sdkError(
      agg('places').match({}).geoNear({ near: here(), spherical: true, distanceField: 'd' }).end(),
    );
    expect(error).toMatchObject({ code: 'DATABASE_REQUEST_FAILED' });
    expect(error.errMsg).toMatch(
      /collection\.aggregate:fail .*\$geoNear is only valid as the first stage in a pipeline/,
    );
  });

  test('with two GeoJSON fields and no key, the service cannot pick an index: an error names them', async () => {
    await seed('places', [{ _id: 'two', loc: s.db.Geo.Point(1, 1), other: s.db.Geo.Point(2, 2) }]);
    const error = await sdkError(agg('places').geoNear({ near: here(), spherical: true, distanceField: 'd' }).end());
    expect(error.errMsg).toMatch(/more than one field holding GeoJSON \(loc, other\)/);
  });
});

describe("CloudBase's limits and errors", () => {
  test('20 documents without a $limit stage; with one, up to 1000', async () => {
    await seed(
      'items',
      Array.from({ length: 1005 }, (unused, n) => ({ n })),
    );
    expect(await list(agg('items').end())).toHaveLength(20);
    expect(
      await list(
        agg('items')
          .match({ n: _().lt(30) })
          .end(),
      ),
    ).toHaveLength(20);
    expect(await list(agg('items').limit(25).end())).toHaveLength(25);
    const all = await list(agg('items').limit(5000).end());
    expect(all).toHaveLength(1000);
    expect(all.map((row) => row.n)).toEqual(Array.from({ length: 1000 }, (unused, n) => n));
    // A group that reads every document still sees all of them.
    expect(
      await list(
        agg('items')
          .group({ _id: null, count: $().sum(1) })
          .end(),
      ),
    ).toEqual([{ _id: null, count: 1005 }]);
  });

  test('a collection that does not exist: DATABASE_COLLECTION_NOT_EXIST', async () => {
    const error = await sdkError(agg('nowhere').end());
    expect(error.code).toBe('DATABASE_COLLECTION_NOT_EXIST');
    expect(error.errMsg).toContain('Db or Table not exist: nowhere');
  });

  test('an unknown expression operator, a bad stage argument and an unknown stage name fail as the database reports them', async () => {
    await seed('items', [{ a: 1 }]);
    const unknownOperator = await sdkError(
      agg('items')
        .project({ x: { $nope: 1 } })
        .end(),
    );
    expect(unknownOperator).toMatchObject({ code: 'DATABASE_REQUEST_FAILED' });
    expect(unknownOperator.errMsg).toMatch(/\$nope/);

    expect(
      await sdkError(
        agg('items')
          .project({ x: $().divide([1, 0]) })
          .end(),
      ),
    ).toMatchObject({ code: 'DATABASE_REQUEST_FAILED' });

    await expect(
      database.handle('database.aggregateDocuments', {
        collectionName: 'items',
        stages: [{ stageKey: '$out', stageValue: '"copy"' }],
      }),
    ).rejects.toMatchObject({
      code: 'DATABASE_REQUEST_FAILED',
      message: "[FailedOperation] (Location40324) Unrecognized pipeline stage name: 'out'",
    });
    expect(await database.collections()).not.toContain('copy');
  });
});
