/** Reading the fields of an SDK request body (`query`, `data`, `order`, `projection` are Extended JSON strings). */
import { parseEJSON } from './ejson';
import { invalidParam } from './errors';
import type { Query } from './match';
import { isPlainObject, type PlainObject } from './values';

export type RequestBody = Record<string, unknown>;

/** The SDK's own default and cap for `limit` (query.js); the service applies the same. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function readEJSON(body: RequestBody, field: string, now: number): unknown {
  const value = body[field];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidParam(`${field} must be an Extended JSON string`);
  return parseEJSON(value, field, now);
}

function readObject(body: RequestBody, field: string, now: number): PlainObject | undefined {
  const value = readEJSON(body, field, now);
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw invalidParam(`${field} must encode an object`);
  return value;
}

/** No query (e.g. `collection.count()` without where) matches everything. */
export function readQuery(body: RequestBody, now: number): Query {
  return readObject(body, 'query', now) ?? {};
}

export function readOrder(body: RequestBody, now: number): PlainObject | undefined {
  return readObject(body, 'order', now);
}

export function readProjection(body: RequestBody, now: number): PlainObject | undefined {
  return readObject(body, 'projection', now);
}

export function readBool(body: RequestBody, field: string, fallback: boolean): boolean {
  const value = body[field];
  return typeof value === 'boolean' ? value : fallback;
}

/** Without an explicit `multi`, a WHERE request touches every match and a DOC request one document. */
export function readMulti(body: RequestBody): boolean {
  return readBool(body, 'multi', body.queryType === 'WHERE');
}

export function readLimit(body: RequestBody): number {
  const value = body.limit;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) return DEFAULT_LIMIT;
  return Math.min(value, MAX_LIMIT);
}

export function readOffset(body: RequestBody): number {
  const value = body.offset;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

export function readEnvName(body: RequestBody): string {
  return typeof body.envName === 'string' && body.envName !== '' ? body.envName : 'devcloud';
}

/** `_id` of a `{_id: "x"}` query (what doc(id) sends): such lookups skip the scan. */
export function idOnly(query: Query): string | undefined {
  const keys = Object.keys(query);
  return keys.length === 1 && typeof query._id === 'string' ? query._id : undefined;
}
