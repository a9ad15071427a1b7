/** Document values as the emulator holds them: JSON values plus Date (and RegExp inside queries only). */
export type PlainObject = Record<string, unknown>;

/** A stored document: always has a string `_id`. */
export interface Doc extends PlainObject {
  _id: string;
}

export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  // Any realm's Object.prototype: what Node's own IPC deserializes belongs to the main realm, not to a vm context's
  // (jest's), and is plain all the same.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Array.isArray, but typed `unknown[]` instead of `any[]`. */
export function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

/** Deep copy of a document value; stored records are shared with nedb and must never be mutated. */
export function clone<T>(value: T): T {
  return cloneValue(value) as T;
}

function cloneValue(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isPlainObject(value)) {
    const copy: PlainObject = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cloneValue(item);
    return copy;
  }
  return value;
}

/** BSON equality: key order matters for embedded documents, as in MongoDB. */
export function valueEquals(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => valueEquals(item, b[i]))
    );
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const aKeys = Object.keys(a);
    const bKeys = Object.keys(b);
    return aKeys.length === bKeys.length && aKeys.every((key, i) => key === bKeys[i] && valueEquals(a[key], b[key]));
  }
  return a === b;
}

/** MongoDB's cross-type sort order (missing and null sort together, first). */
function typeRank(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  if (Array.isArray(value)) return 5;
  if (typeof value === 'boolean') return 8;
  if (value instanceof Date) return 9;
  if (value instanceof RegExp) return 11;
  return 4;
}

export function sameTypeBracket(a: unknown, b: unknown): boolean {
  return typeRank(a) === typeRank(b);
}

export function compareValues(a: unknown, b: unknown): number {
  const rankDiff = typeRank(a) - typeRank(b);
  if (rankDiff !== 0) return Math.sign(rankDiff);
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if (Array.isArray(a) && Array.isArray(b)) return compareLists(a, b);
  if (isPlainObject(a) && isPlainObject(b)) return compareObjects(a, b);
  return 0;
}

function compareLists(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const diff = compareValues(a[i], b[i]);
    if (diff !== 0) return diff;
  }
  return Math.sign(a.length - b.length);
}

function compareObjects(a: PlainObject, b: PlainObject): number {
  const aEntries = Object.entries(a);
  const bEntries = Object.entries(b);
  for (let i = 0; i < Math.min(aEntries.length, bEntries.length); i += 1) {
    const [aKey, aValue] = aEntries[i] as [string, unknown];
    const [bKey, bValue] = bEntries[i] as [string, unknown];
    const diff = compareValues(aValue, bValue) || (aKey < bKey ? -1 : aKey > bKey ? 1 : 0);
    if (diff !== 0) return diff;
  }
  return Math.sign(aEntries.length - bEntries.length);
}

/** Field names the store accepts (MongoDB's classic rules, also nedb's): no leading `$`, no `.`. */
export function findInvalidFieldName(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const bad = findInvalidFieldName(item);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$') || key.includes('.')) return key;
    const bad = findInvalidFieldName(item);
    if (bad !== undefined) return bad;
  }
  return undefined;
}
