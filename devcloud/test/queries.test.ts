/**
 * Query and update features beyond plain matching, through the REAL wx-server-sdk: _.expr (aggregation expressions
 * in a query), geo queries on db.Geo values, the projection operators of field(), and positional updates.
 */
import type { DevDatabase } from '../database';
import { sdk, sdkError, startSdkDatabase, type Row, type SdkDatabase } from './support/sdk-database';

type Operator = (value: unknown) => unknown;
type Commands = Record<'expr' | 'gt' | 'geoNear' | 'geoWithin' | 'geoIntersects' | 'inc' | 'elemMatch', Operator> & {
  project: Record<'slice' | 'elemMatch', Operator>;
  aggregate: Record<'gt' | 'lt' | 'add' | 'size' | 'eq', Operator>;
};
interface GeoFactory {
  Point(longitude: number, latitude: number): unknown;
  LineString(points: unknown[]): unknown;
  Polygon(lines: unknown[]): unknown;
  MultiPolygon(polygons: unknown[]): unknown;
}

let s: SdkDatabase;
let database: DevDatabase;
beforeAll(async () => {
  s = await startSdkDatabase('devcloud-queries-test');
});
afterAll(() => s.close());
beforeEach(async () => {
  database = await s.reset(['things']);
});

const _ = (): Commands => s.db.command as unknown as Commands;
const Geo = (): GeoFactory => s.db.Geo as unknown as GeoFactory;
const things = () => s.db.collection('things');

async function seed(rows: Row[]): Promise<void> {
  await sdk(things().add({ data: rows }));
}

async function ids(condition: unknown): Promise<string[]> {
  const { data } = await sdk<{ data: Row[] }>(
    things()
      .where(condition as Record<string, unknown>)
      .get(),
  );
  return data.map((row) => String(row._id));
}

describe('_.expr: aggregation expressions in where()', () => {
  beforeEach(() =>
    seed([
      { _id: 'a', spent: 120, budget: 100, tags: ['x', 'y'] },
      { _id: 'b', spent: 80, budget: 100, tags: [] },
      { _id: 'c', spent: 100, budget: 90, tags: ['x'] },
    ]),
  );

  test('compares fields of the same document, and mixes with ordinary conditions', async () => {
    const $ = _().aggregate;
    expect(await ids(_().expr($.gt(['$spent', '$budget'])))).toEqual(['a', 'c']);
    expect(await ids(_().expr($.eq([$.size('$tags'), 1])))).toEqual(['c']);
    const both = s.db.command.and([_().expr($.lt([$.add(['$spent', 10]), '$budget'])) as object, { budget: 100 }]);
    expect(await ids(both)).toEqual(['b']);
  });

  test('works in count(), update() and remove() as in get()', async () => {
    const over = _().expr(_().aggregate.gt(['$spent', '$budget'])) as Record<string, unknown>;
    expect(await sdk(things().where(over).count())).toMatchObject({ total: 2 });
    expect(
      await sdk(
        things()
          .where(over)
          .update({ data: { flagged: true } }),
      ),
    ).toMatchObject({ stats: { updated: 2 } });
    expect((await database.dump('things')).filter((row) => row.flagged).map((row) => row._id)).toEqual(['a', 'c']);
    expect(await sdk(things().where(over).remove())).toMatchObject({ stats: { removed: 2 } });
    expect((await database.dump('things')).map((row) => row._id)).toEqual(['b']);
  });

  test('a bad expression fails as the database reports it', async () => {
    const error = await sdkError(
      things()
        .where({ $expr: { $nope: [1] } })
        .get(),
    );
    expect(error).toMatchObject({ errCode: -502001 });
    expect(error.errMsg).toMatch(/\$nope/);
  });
});

describe('geo queries on db.Geo values', () => {
  beforeEach(() =>
    seed([
      { _id: 'hq', loc: Geo().Point(113.324, 23.099) },
      { _id: 'tower', loc: Geo().Point(113.30593, 23.1361155) },
      { _id: 'beijing', loc: Geo().Point(116.397, 39.908) },
      { _id: 'route', loc: Geo().LineString([Geo().Point(113.3, 23.1), Geo().Point(113.32, 23.12)]) },
      { _id: 'none' },
    ]),
  );
  const here = (): unknown => Geo().Point(113.3238, 23.0977);
  /** A square around Guangzhou's centre (about 113.2 to 113.4 E, 23.0 to 23.2 N). */
  const guangzhou = (): unknown =>
    Geo().Polygon([
      Geo().LineString([
        Geo().Point(113.2, 23.0),
        Geo().Point(113.4, 23.0),
        Geo().Point(113.4, 23.2),
        Geo().Point(113.2, 23.2),
        Geo().Point(113.2, 23.0),
      ]),
    ]);

  test('documents come back as db.Geo objects', async () => {
    const { data } = await sdk<{ data: Row }>(things().doc('hq').get());
    expect(data.loc).toMatchObject({ longitude: 113.324, latitude: 23.099 });
    expect((data.loc as { toJSON(): unknown }).toJSON()).toEqual({ type: 'Point', coordinates: [113.324, 23.099] });
  });

  test('_.geoNear: nearest first, within maxDistance and beyond minDistance (metres)', async () => {
    expect(await ids({ loc: _().geoNear({ geometry: here() }) })).toEqual(['hq', 'route', 'tower', 'beijing']);
    expect(await ids({ loc: _().geoNear({ geometry: here(), maxDistance: 5000 }) })).toEqual(['hq', 'route', 'tower']);
    expect(await ids({ loc: _().geoNear({ geometry: here(), minDistance: 1000, maxDistance: 5000 }) })).toEqual([
      'route',
      'tower',
    ]);
    // An explicit orderBy wins over the distance order.
    const { data } = await sdk<{ data: Row[] }>(
      things()
        .where({ loc: _().geoNear({ geometry: here(), maxDistance: 5000 }) })
        .orderBy('_id', 'desc')
        .get(),
    );
    expect(data.map((row) => row._id)).toEqual(['tower', 'route', 'hq']);
  });

  test('_.geoWithin: inside a polygon (whole geometries), a multipolygon, or a sphere around a point', async () => {
    expect((await ids({ loc: _().geoWithin({ geometry: guangzhou() }) })).sort()).toEqual(['hq', 'route', 'tower']);
    const both = Geo().MultiPolygon([
      Geo().Polygon([
        Geo().LineString([
          Geo().Point(113.32, 23.09),
          Geo().Point(113.33, 23.09),
          Geo().Point(113.33, 23.1),
          Geo().Point(113.32, 23.1),
          Geo().Point(113.32, 23.09),
        ]),
      ]),
      Geo().Polygon([
        Geo().LineString([
          Geo().Point(116, 39),
          Geo().Point(117, 39),
          Geo().Point(117, 40),
          Geo().Point(116, 40),
          Geo().Point(116, 39),
        ]),
      ]),
    ]);
    expect((await ids({ loc: _().geoWithin({ geometry: both }) })).sort()).toEqual(['beijing', 'hq']);
    // centerSphere: [point, radius in radians]; 1 km is 1000 / 6378100 radians.
    expect(await ids({ loc: _().geoWithin({ centerSphere: [here(), 1000 / 6378100] }) })).toEqual(['hq']);
    expect(await ids({ loc: _().geoWithin({ centerSphere: [[113.3238, 23.0977], 5000 / 6378100] }) })).toEqual([
      'hq',
      'tower',
      'route',
    ]);
  });

  test('_.geoIntersects: geometries that share a point with the given one', async () => {
    const crossing = Geo().LineString([Geo().Point(113.3, 23.12), Geo().Point(113.32, 23.1)]);
    expect(await ids({ loc: _().geoIntersects({ geometry: crossing }) })).toEqual(['route']);
    expect((await ids({ loc: _().geoIntersects({ geometry: guangzhou() }) })).sort()).toEqual(['hq', 'route', 'tower']);
  });

  test('a malformed geometry fails as the database reports it', async () => {
    const error = await sdkError(
      things()
        .where({ loc: { $geoWithin: { $geometry: { type: 'Point' } } } })
        .get(),
    );
    expect(error).toMatchObject({ errCode: -502001 });
    expect(error.errMsg).toMatch(/BadValue/);
  });
});

describe('field() projection operators', () => {
  beforeEach(() =>
    seed([
      {
        _id: 'p',
        title: 'post',
        comments: [1, 2, 3, 4, 5],
        votes: [
          { user: 'a', up: true },
          { user: 'b', up: false },
          { user: 'c', up: false },
        ],
        nested: { list: [1, 2, 3] },
      },
    ]),
  );

  async function projected(projection: Record<string, unknown>): Promise<Row> {
    const { data } = await sdk<{ data: Row[] }>(things().field(projection).get());
    return data[0]!;
  }

  test('_.project.slice: first n, last n, [skip, n]; alone it keeps every other field', async () => {
    expect(await projected({ comments: _().project.slice(2) })).toMatchObject({ title: 'post', comments: [1, 2] });
    expect((await projected({ comments: _().project.slice(-2) })).comments).toEqual([4, 5]);
    expect((await projected({ comments: _().project.slice([1, 2]) })).comments).toEqual([2, 3]);
    expect((await projected({ comments: _().project.slice([-2, 5]) })).comments).toEqual([4, 5]);
    expect((await projected({ 'nested.list': _().project.slice(1) })).nested).toEqual({ list: [1] });
    // With an inclusion, only the included fields (and _id) come back.
    expect(await projected({ title: true, comments: _().project.slice(1) })).toEqual({
      _id: 'p',
      title: 'post',
      comments: [1],
    });
  });

  test('_.project.elemMatch: the first matching element only, as an inclusion', async () => {
    expect(await projected({ votes: _().project.elemMatch({ up: false }) })).toEqual({
      _id: 'p',
      votes: [{ user: 'b', up: false }],
    });
    expect(await projected({ title: 1, votes: _().project.elemMatch({ user: 'z' }) })).toEqual({
      _id: 'p',
      title: 'post',
    });
  });
});

describe('positional updates', () => {
  beforeEach(() =>
    seed([
      {
        _id: 'cart',
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 1 },
          { sku: 'a', qty: 5 },
        ],
        grades: [80, 85, 90],
      },
      { _id: 'other', items: [{ sku: 'b', qty: 2 }], grades: [70] },
    ]),
  );

  test("'arr.$.field' updates the first element the query matched, in each document", async () => {
    const updated = await sdk(
      things()
        .where({ 'items.sku': 'b' })
        .update({ data: { 'items.$.qty': _().inc(10) } }),
    );
    expect(updated).toMatchObject({ stats: { updated: 2 } });
    const [cart, other] = await database.dump('things');
    expect(cart!.items).toEqual([
      { sku: 'a', qty: 1 },
      { sku: 'b', qty: 11 },
      { sku: 'a', qty: 5 },
    ]);
    expect(other!.items).toEqual([{ sku: 'b', qty: 12 }]);

    await sdk(
      things()
        .where({ grades: 85 })
        .update({ data: { 'grades.$': 86 } }),
    );
    expect((await database.dump('things'))[0]!.grades).toEqual([80, 86, 90]);

    await sdk(
      things()
        .where({ _id: 'cart', items: _().elemMatch({ sku: 'a', qty: _().gt(2) }) })
        .update({ data: { 'items.$.sku': 'A' } }),
    );
    expect(((await database.dump('things'))[0]!.items as Row[]).map((item) => item.sku)).toEqual(['a', 'b', 'A']);
  });

  test("'arr.$[].field' updates every element", async () => {
    await sdk(
      things()
        .doc('cart')
        .update({ data: { 'items.$[].qty': 0, 'grades.$[]': _().inc(1) } }),
    );
    const cart = await database.dump('things').then((rows) => rows[0]!);
    expect((cart.items as Row[]).map((item) => item.qty)).toEqual([0, 0, 0]);
    expect(cart.grades).toEqual([81, 86, 91]);
  });

  test('$ without a query condition on the array fails, as in MongoDB, and changes nothing', async () => {
    const error = await sdkError(
      things()
        .doc('cart')
        .update({ data: { 'items.$.qty': 9 } }),
    );
    expect(error).toMatchObject({ errCode: -502001 });
    expect(error.errMsg).toMatch(/The positional operator did not find the match needed from the query/);
    expect(((await database.dump('things'))[0]!.items as Row[]).map((item) => item.qty)).toEqual([1, 1, 5]);
  });
});
