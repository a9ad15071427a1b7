/**
 * `database.aggregateDocuments`, as wx-server-sdk's `collection.aggregate()...end()` sends it (@cloudbase/database
 * aggregate.ts): `{collectionName, stages: [{stageKey: '$match', stageValue: '<text>'}]}`, where an object parameter
 * is canonical Extended JSON and any other (`limit(5)`, `unwind('$tags')`) is JSON. The reply is
 * `{data: {list: [<Extended JSON document>]}}`; the SDK parses each entry with EJSON.parse and hands the list back as
 * `list`. Stages other than $geoNear run on mingo (engine.ts).
 * Stages: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/database/aggregate/Aggregate.html
 */
import { parseEJSON, stringifyEJSON } from './ejson';
import { loadEngine } from './engine-loader';
import { failedOperation, invalidParam } from './errors';
import { distanceToGeometry, isGeometry, positionsOf, type Position } from './geo';
import { matches } from './match';
import { resolvePath, setAt, splitPath } from './paths';
import type { RequestBody } from './request';
import { clone, isList, isPlainObject, type Doc, type PlainObject } from './values';

/** The stages wx-server-sdk's Aggregate can send (its other methods call functions @cloudbase/database lacks). */
export const AGGREGATE_STAGES: readonly string[] = [
  '$addFields',
  '$bucket',
  '$bucketAuto',
  '$count',
  '$geoNear',
  '$group',
  '$limit',
  '$lookup',
  '$match',
  '$project',
  '$replaceRoot',
  '$sample',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unwind',
];

/**
 * How many documents one aggregation returns. Without a $limit stage the service returns 20: the reference pages
 * do not say so, developers report it (https://developers.weixin.qq.com/community/develop/doc/00008ce0504388afcd590911b5b400).
 * With one, at most 1000, the cap of every CloudBase read.
 */
export const AGGREGATE_DEFAULT_LIMIT = 20;
export const AGGREGATE_MAX_LIMIT = 1000;

export type Stage = Record<string, unknown>;

/** The request's stages as `{$name: value}` objects, checked for what the service refuses before it runs. */
export function readPipeline(body: RequestBody, now: number): Stage[] {
  if (!Array.isArray(body.stages)) throw invalidParam('stages must be an array of {stageKey, stageValue}');
  const pipeline = body.stages.map((stage: unknown, index): Stage => {
    if (!isPlainObject(stage) || typeof stage.stageKey !== 'string') {
      throw invalidParam(`stages[${index}] must be {stageKey, stageValue}`);
    }
    const { stageKey, stageValue } = stage;
    if (!AGGREGATE_STAGES.includes(stageKey)) {
      throw failedOperation('Location40324', `Unrecognized pipeline stage name: '${stageKey.replace(/^\$/, '')}'`);
    }
    if (typeof stageValue !== 'string') throw failedOperation('BadValue', `the ${stageKey} stage needs an argument`);
    return { [stageKey]: parseEJSON(stageValue, `stages[${index}].stageValue`, now) };
  });
  pipeline.forEach((stage, index) => {
    // CloudBase: "geoNear 必须为第一个聚合阶段" (Aggregate.geoNear); MongoDB's own words and code below.
    if (index > 0 && '$geoNear' in stage) {
      throw failedOperation('Location40602', '$geoNear is only valid as the first stage in a pipeline.');
    }
  });
  return pipeline;
}

/** The collections $lookup stages read (their own pipelines included): loaded before the engine runs. */
export function lookupSources(pipeline: readonly unknown[]): string[] {
  const names = new Set<string>();
  const visit = (stages: readonly unknown[]): void => {
    for (const stage of stages) {
      const lookup = isPlainObject(stage) ? stage.$lookup : undefined;
      if (!isPlainObject(lookup)) continue;
      if (typeof lookup.from === 'string') names.add(lookup.from);
      if (isList(lookup.pipeline)) visit(lookup.pipeline);
    }
  };
  visit(pipeline);
  return [...names];
}

/**
 * Runs the pipeline over the collection's documents. `foreign` holds the documents of the collections $lookup reads
 * (a collection that does not exist reads as empty, as in MongoDB).
 */
export function aggregate(
  documents: readonly Doc[],
  pipeline: readonly Stage[],
  foreign: ReadonlyMap<string, readonly Doc[]>,
): PlainObject[] {
  const [first] = pipeline;
  const geoNear = first && '$geoNear' in first ? first.$geoNear : undefined;
  const input = geoNear === undefined ? documents : runGeoNear(documents, geoNear);
  const rest = geoNear === undefined ? [...pipeline] : pipeline.slice(1);
  // Copies: joined documents travel on through later stages, which must not reach the stored ones.
  const joined = new Map([...foreign].map(([name, docs]) => [name, clone([...docs])]));
  const output = loadEngine().runPipeline(input, rest, (name) => joined.get(name) ?? []);
  const cap = pipeline.some((stage) => '$limit' in stage) ? AGGREGATE_MAX_LIMIT : AGGREGATE_DEFAULT_LIMIT;
  return output.slice(0, cap).map(outputDocument);
}

/** The reply's list: one canonical Extended JSON text per document. */
export function aggregateReply(documents: readonly PlainObject[]): Record<string, unknown> {
  return { data: { list: documents.map((doc) => stringifyEJSON(doc)) } };
}

/** `_id` first, as MongoDB writes documents out; fields the engine left undefined dropped. */
function outputDocument(doc: PlainObject): PlainObject {
  const cleaned = dropUndefined(doc) as PlainObject;
  if (!('_id' in cleaned)) return cleaned;
  const { _id: id, ...fields } = cleaned;
  return { _id: id, ...fields };
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : dropUndefined(item)));
  if (!isPlainObject(value)) return value;
  const out: PlainObject = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = dropUndefined(item);
  return out;
}

/**
 * The $geoNear stage (Aggregate.geoNear): documents with a GeoJSON location, nearest first, each with its distance
 * in metres (times distanceMultiplier) at distanceField. `query` filters as where() does; minDistance/maxDistance
 * bound the distance; includeLocs copies the location used. The location field is `key`, or the one field holding
 * GeoJSON in the collection (the service needs a geo index there, and `key` when there are several).
 */
function runGeoNear(documents: readonly Doc[], spec: unknown): Doc[] {
  if (!isPlainObject(spec)) throw failedOperation('Location10065', 'invalid parameter: expected an object ($geoNear)');
  const near = spec.near;
  if (!isGeometry(near) || near.type !== 'Point') {
    throw failedOperation('BadValue', "$geoNear requires a 'near' option as a GeoJSON Point (db.Geo.Point)");
  }
  const point = positionsOf(near)[0] as Position;
  if (typeof spec.distanceField !== 'string' || spec.distanceField === '') {
    throw failedOperation('Location40606', "$geoNear requires a 'distanceField' option as a String");
  }
  const number = (name: string, fallback: number): number => {
    const value = spec[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || value < 0)
      throw failedOperation('BadValue', `${name} must be a non-negative number`);
    return value;
  };
  const minDistance = number('minDistance', 0);
  const maxDistance = number('maxDistance', Number.POSITIVE_INFINITY);
  const multiplier = number('distanceMultiplier', 1);
  const query = spec.query === undefined ? {} : spec.query;
  if (!isPlainObject(query)) throw failedOperation('BadValue', '$geoNear query must be an object');
  const key = typeof spec.key === 'string' && spec.key !== '' ? spec.key : locationField(documents);
  if (key === undefined) return [];
  const keyParts = splitPath(key);
  const found: Array<{ doc: Doc; distance: number; location: unknown }> = [];
  for (const doc of documents) {
    const locations = resolvePath(doc, keyParts).filter(isGeometry);
    if (locations.length === 0 || !matches(doc, query)) continue;
    const measured = locations.map((location) => ({ location, distance: distanceToGeometry(point, location) }));
    const nearest = measured.reduce((best, next) => (next.distance < best.distance ? next : best));
    if (nearest.distance < minDistance || nearest.distance > maxDistance) continue;
    found.push({ doc, ...nearest });
  }
  found.sort((a, b) => a.distance - b.distance);
  return found.map(({ doc, distance, location }) => {
    const out = clone(doc);
    setAt(out, splitPath(spec.distanceField as string), distance * multiplier);
    if (typeof spec.includeLocs === 'string' && spec.includeLocs !== '') {
      setAt(out, splitPath(spec.includeLocs), clone(location));
    }
    return out;
  });
}

/** The path of the one field holding GeoJSON across the documents (top level or in embedded documents). */
function locationField(documents: readonly Doc[]): string | undefined {
  const paths = new Set<string>();
  const visit = (value: PlainObject, prefix: string): void => {
    for (const [field, item] of Object.entries(value)) {
      if (isGeometry(item)) paths.add(prefix + field);
      else if (isPlainObject(item)) visit(item, `${prefix}${field}.`);
    }
  };
  for (const doc of documents) visit(doc, '');
  if (paths.size > 1) {
    throw failedOperation(
      'IndexNotFound',
      `There is more than one field holding GeoJSON (${[...paths].sort().join(', ')}); unsure which to use for $geoNear: name it with 'key'`,
    );
  }
  return [...paths][0];
}
