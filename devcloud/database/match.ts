/**
 * MongoDB query semantics for the operators wx-server-sdk's db.command produces.
 * (nedb's own matcher differs from MongoDB: null does not match a missing field, $ne/$nin look inside arrays,
 * and $eq/$nor/$all/$mod/field-level $not are missing; transactions also need to match buffered documents.)
 */
import { loadEngine } from './engine-loader';
import { notEmulated, requestFailed } from './errors';
import { anyGeometry, geoIntersectsTest, geoWithinTest, nearSphereDistance, readNearSphere } from './geo';
import { resolvePath, splitPath } from './paths';
import { compareValues, isPlainObject, sameTypeBracket, valueEquals, type PlainObject } from './values';

export type Query = PlainObject;

const LOGICAL = new Set(['$and', '$or', '$nor']);

/** Compiled forms of operator arguments, kept per parsed request (the argument objects live as long as it does). */
const compiled = new WeakMap<object, unknown>();

function compile<T>(argument: unknown, build: () => T): T {
  if (typeof argument !== 'object' || argument === null) return build();
  if (!compiled.has(argument)) compiled.set(argument, build());
  return compiled.get(argument) as T;
}

export function matches(doc: PlainObject, query: Query): boolean {
  return Object.entries(query).every(([key, condition]) => matchEntry(doc, key, condition));
}

function matchEntry(doc: PlainObject, key: string, condition: unknown): boolean {
  if (key === '$and') return queryList(key, condition).every((sub) => matches(doc, sub));
  if (key === '$or') return queryList(key, condition).some((sub) => matches(doc, sub));
  if (key === '$nor') return !queryList(key, condition).some((sub) => matches(doc, sub));
  // _.expr(): an aggregation expression evaluated against the document (MongoDB's $expr).
  if (key === '$expr') return compile(condition, () => loadEngine().exprTest(condition))(doc);
  if (key.startsWith('$')) throw notEmulated(`the top-level query operator ${key}`);
  return matchValues(resolvePath(doc, splitPath(key)), condition);
}

function queryList(operator: string, value: unknown): Query[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isPlainObject)) {
    throw requestFailed(`${operator} argument must be a non-empty array of objects`);
  }
  return value;
}

/** An operator object like `{$gt: 1}`; MongoDB decides by the first key. */
export function isOperatorObject(value: unknown): value is PlainObject {
  if (!isPlainObject(value)) return false;
  const first = Object.keys(value)[0];
  return first !== undefined && first.startsWith('$');
}

/** Whether the values a path reached satisfy a condition (a literal, a RegExp, or an operator object). */
export function matchValues(values: readonly unknown[], condition: unknown): boolean {
  if (isOperatorObject(condition)) {
    return Object.entries(condition).every(([op, arg]) => applyOperator(values, op, arg, condition));
  }
  if (condition instanceof RegExp) return anyElement(values, (value) => regexMatches(value, condition));
  return equalsAny(values, condition);
}

/** A value or, for arrays, the array itself and each of its elements: how MongoDB compares arrays. */
function anyElement(values: readonly unknown[], test: (value: unknown) => boolean): boolean {
  return values.some((value) => test(value) || (Array.isArray(value) && value.some(test)));
}

function equalsAny(values: readonly unknown[], literal: unknown): boolean {
  if (literal === null) return anyElement(values, (value) => value === null || value === undefined);
  return anyElement(values, (value) => valueEquals(value, literal));
}

function regexMatches(value: unknown, pattern: RegExp): boolean {
  return typeof value === 'string' && new RegExp(pattern.source, pattern.flags).test(value);
}

function inList(values: readonly unknown[], list: unknown): boolean {
  if (!Array.isArray(list)) throw requestFailed('$in/$nin needs an array');
  return list.some((item) => (item instanceof RegExp ? matchValues(values, item) : equalsAny(values, item)));
}

function compare(values: readonly unknown[], arg: unknown, accept: (diff: number) => boolean): boolean {
  const test = (value: unknown): boolean => sameTypeBracket(value, arg) && accept(compareValues(value, arg));
  return anyElement(values, test);
}

function applyOperator(values: readonly unknown[], op: string, arg: unknown, condition: PlainObject): boolean {
  switch (op) {
    case '$eq':
      return equalsAny(values, arg);
    case '$ne':
      return !equalsAny(values, arg);
    case '$gt':
      return compare(values, arg, (diff) => diff > 0);
    case '$gte':
      return compare(values, arg, (diff) => diff >= 0);
    case '$lt':
      return compare(values, arg, (diff) => diff < 0);
    case '$lte':
      return compare(values, arg, (diff) => diff <= 0);
    case '$in':
      return inList(values, arg);
    case '$nin':
      return !inList(values, arg);
    case '$exists':
      return values.some((value) => value !== undefined) === Boolean(arg);
    case '$not':
      return !matchValues(values, arg);
    default:
      return applyArrayOrTextOperator(values, op, arg, condition);
  }
}

function applyArrayOrTextOperator(
  values: readonly unknown[],
  op: string,
  arg: unknown,
  condition: PlainObject,
): boolean {
  switch (op) {
    case '$size':
      return values.some((value) => Array.isArray(value) && value.length === arg);
    case '$all':
      return Array.isArray(arg) && arg.length > 0 && arg.every((item) => matchValues(values, item));
    case '$elemMatch':
      return values.some((value) => Array.isArray(value) && value.some((item) => elementMatches(item, arg)));
    case '$mod':
      return anyElement(values, (value) => modMatches(value, arg));
    case '$regex':
      return anyElement(values, (value) => regexMatches(value, toRegExp(arg, condition.$options)));
    case '$options':
      return true;
    default:
      return applyGeoOperator(values, op, arg);
  }
}

function applyGeoOperator(values: readonly unknown[], op: string, arg: unknown): boolean {
  switch (op) {
    case '$geoWithin':
      return anyGeometry(
        values,
        compile(arg, () => geoWithinTest(arg)),
      );
    case '$geoIntersects':
      return anyGeometry(
        values,
        compile(arg, () => geoIntersectsTest(arg)),
      );
    case '$nearSphere':
      return (
        nearSphereDistance(
          values,
          compile(arg, () => readNearSphere(arg)),
        ) !== undefined
      );
    case '$near':
    case '$within':
      throw notEmulated(`the legacy geo operator ${op} (the SDK sends $nearSphere and $geoWithin)`);
    default:
      throw requestFailed(`unknown operator: ${op}`);
  }
}

/** $elemMatch and $pull: operator objects test the element itself, anything else is a query on it. */
export function elementMatches(element: unknown, condition: unknown): boolean {
  if (isOperatorObject(condition) && !LOGICAL.has(Object.keys(condition)[0] as string)) {
    return matchValues([element], condition);
  }
  if (isPlainObject(condition)) return isPlainObject(element) && matches(element, condition);
  return matchValues([element], condition);
}

function modMatches(value: unknown, arg: unknown): boolean {
  if (!Array.isArray(arg) || typeof arg[0] !== 'number' || typeof arg[1] !== 'number' || arg[0] === 0) {
    throw requestFailed('$mod needs [divisor, remainder] with a non-zero divisor');
  }
  return typeof value === 'number' && Math.trunc(value) % arg[0] === arg[1];
}

function toRegExp(pattern: unknown, options: unknown): RegExp {
  if (pattern instanceof RegExp) return pattern;
  if (typeof pattern !== 'string') throw requestFailed('$regex needs a string or a regular expression');
  return new RegExp(pattern, typeof options === 'string' ? options : '');
}
