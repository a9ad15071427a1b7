import { EJSON } from 'bson';
import { invalidParam, notEmulated } from './errors';
import { isPlainObject, type PlainObject } from './values';

/** How the SDK encodes db.serverDate(): `{"$tcb_server_date":{"offset":<ms>}}`. */
const SERVER_DATE = '$tcb_server_date';

/**
 * Parses one of the request's Extended JSON strings (`query`, `data`, `order`, `projection`).
 * Relaxed parsing turns $numberInt/$numberDouble/$numberLong into numbers and $date into Date;
 * server dates become `now + offset`, regular expressions become RegExp.
 */
export function parseEJSON(text: string, field: string, now: number): unknown {
  let parsed: unknown;
  try {
    parsed = EJSON.parse(text, { relaxed: true });
  } catch (error) {
    throw invalidParam(`${field} is not valid Extended JSON: ${(error as Error).message}`);
  }
  return normalize(parsed, now);
}

function normalize(value: unknown, now: number): unknown {
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => normalize(item, now));
  if (typeof value !== 'object' || value === null) return value;
  if ('_bsontype' in value) return fromBsonType(value);
  if (!isPlainObject(value)) return value;
  const serverDate = serverDateOffset(value);
  if (serverDate !== undefined) return new Date(now + serverDate);
  const out: PlainObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = normalize(item, now);
  return out;
}

function serverDateOffset(value: PlainObject): number | undefined {
  const marker = value[SERVER_DATE];
  if (!isPlainObject(marker) || Object.keys(value).length !== 1) return undefined;
  return typeof marker.offset === 'number' ? marker.offset : 0;
}

function fromBsonType(value: object): unknown {
  const { _bsontype: type, pattern, options } = value as { _bsontype?: unknown; pattern?: unknown; options?: unknown };
  if (type === 'BSONRegExp' && typeof pattern === 'string' && typeof options === 'string') {
    // JavaScript knows i, m, s, u; MongoDB's x (extended) has no equivalent.
    if (/[^imsu]/.test(options)) throw notEmulated(`regular expression options "${options}"`);
    return new RegExp(pattern, options);
  }
  throw notEmulated(`the BSON type ${String(type)}`);
}

/** A document as the service sends it back: canonical Extended JSON, which the SDK parses with EJSON.parse. */
export function stringifyEJSON(doc: PlainObject): string {
  return EJSON.stringify(doc, { relaxed: false });
}
