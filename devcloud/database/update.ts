/** Update operators (merge:true) and whole-document replacement (merge:false), applied like MongoDB does. */
import { notEmulated, requestFailed } from './errors';
import { elementMatches, isOperatorObject, matches, matchValues, type Query } from './match';
import { getAt, setAt, splitPath, unsetAt } from './paths';
import { clone, compareValues, isList, isPlainObject, valueEquals, type Doc, type PlainObject } from './values';

/** `{$set: {'a.b': 1}, $inc: {n: 1}, ...}` */
export type UpdateSpec = Record<string, PlainObject>;

type FieldOperator = (doc: PlainObject, parts: string[], arg: unknown) => void;

/**
 * The update document of a merge:true request. The SDK already turns plain fields into `$set` of dotted paths;
 * plain fields that still arrive (raw callers) get the same treatment, as the service does.
 */
export function toUpdateSpec(data: unknown): UpdateSpec {
  if (!isPlainObject(data)) throw requestFailed('update data must be an object');
  const spec: UpdateSpec = {};
  const plain: PlainObject = {};
  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith('$')) plain[key] = value;
    else if (isPlainObject(value)) spec[key] = value;
    else throw requestFailed(`Modifiers operate on fields but we found type ${typeof value} instead for ${key}`);
  }
  if (Object.keys(plain).length > 0) spec.$set = { ...(spec.$set ?? {}), ...flatten(plain, '') };
  if (Object.keys(spec).length === 0) throw requestFailed('update data must not be empty');
  return spec;
}

function flatten(value: PlainObject, prefix: string): PlainObject {
  const out: PlainObject = {};
  for (const [key, item] of Object.entries(value)) {
    const path = prefix + key;
    if (isPlainObject(item) && Object.keys(item).length > 0) Object.assign(out, flatten(item, `${path}.`));
    else out[path] = item;
  }
  return out;
}

/**
 * The document after the update; the input is left untouched. `query` is what selected the document: positional
 * paths (`arr.$.x`) update the first element of `arr` that the query's conditions on `arr` match.
 */
export function applyUpdate(doc: Doc, spec: UpdateSpec, now: number, query: Query = {}): Doc {
  const next = clone(doc);
  for (const [op, fields] of Object.entries(spec)) {
    const apply = operatorFor(op, now);
    for (const [path, arg] of Object.entries(fields)) {
      for (const parts of concretePaths(next, splitPath(path), query)) apply(next, parts, arg);
    }
  }
  if (next._id !== doc._id) throw immutableId();
  return next;
}

/** merge:false: the data becomes the whole document, `_id` kept. */
export function replaceDocument(id: string, data: unknown): Doc {
  if (!isPlainObject(data)) throw requestFailed('replacement data must be an object');
  const first = Object.keys(data).find((key) => key.startsWith('$'));
  if (first !== undefined) throw requestFailed(`replacement document must not contain update operators (${first})`);
  if (data._id !== undefined && data._id !== id) throw immutableId();
  const fields = Object.entries(clone(data)).filter(([key]) => key !== '_id');
  return { _id: id, ...Object.fromEntries(fields) };
}

/**
 * A path with its positional parts resolved: `$` is the index of the element the query matched, `$[]` every index
 * (MongoDB's all-positional operator). `$[<identifier>]` needs arrayFilters, which the SDK never sends.
 */
function concretePaths(doc: PlainObject, parts: readonly string[], query: Query): string[][] {
  const at = parts.findIndex((part) => part.startsWith('$'));
  if (at < 0) return [[...parts]];
  const prefix = parts.slice(0, at);
  const rest = parts.slice(at + 1);
  const token = parts[at];
  if (token === '$') {
    const index = matchedIndex(doc, prefix, query);
    if (index === undefined)
      throw requestFailed('The positional operator did not find the match needed from the query.');
    return concretePaths(doc, [...prefix, String(index), ...rest], query);
  }
  if (token === '$[]') {
    const array = getAt(doc, prefix);
    if (!Array.isArray(array)) {
      throw requestFailed(`The path '${prefix.join('.')}' must exist in the document in order to apply array updates.`);
    }
    return array.flatMap((unused, index) => concretePaths(doc, [...prefix, String(index), ...rest], query));
  }
  if (/^\$\[[^\]]*\]$/.test(token ?? ''))
    throw notEmulated(`filtered positional updates (${token}): the SDK sends no arrayFilters`);
  throw requestFailed(
    `The dollar ($) prefixed field '${token ?? ''}' in '${parts.join('.')}' is not valid for storage.`,
  );
}

/** The first element of the array at `prefix` that satisfies every condition the query puts on that array. */
function matchedIndex(doc: PlainObject, prefix: readonly string[], query: Query): number | undefined {
  const array = getAt(doc, prefix);
  const arrayPath = prefix.join('.');
  const conditions = conditionsOn(query, arrayPath);
  if (!Array.isArray(array) || conditions.length === 0) return undefined;
  const index = array.findIndex((element) =>
    conditions.every(([path, condition]) => {
      if (path !== arrayPath) {
        return isPlainObject(element) && matches(element, { [path.slice(arrayPath.length + 1)]: condition });
      }
      if (isOperatorObject(condition) && '$elemMatch' in condition)
        return elementMatches(element, condition.$elemMatch);
      return matchValues([element], condition);
    }),
  );
  return index < 0 ? undefined : index;
}

/** The query's conditions on a path or below it, top level and inside $and. */
function conditionsOn(query: Query, path: string): Array<[string, unknown]> {
  return Object.entries(query).flatMap(([key, condition]): Array<[string, unknown]> => {
    if (key === '$and' && Array.isArray(condition)) {
      return condition.flatMap((sub) => (isPlainObject(sub) ? conditionsOn(sub, path) : []));
    }
    return key === path || key.startsWith(`${path}.`) ? [[key, condition]] : [];
  });
}

function immutableId(): Error {
  return requestFailed("Performing an update on the path '_id' would modify the immutable field '_id'");
}

function operatorFor(op: string, now: number): FieldOperator {
  const operators: Record<string, FieldOperator> = {
    $set: (doc, parts, arg) => setAt(doc, parts, clone(arg)),
    $unset: (doc, parts) => unsetAt(doc, parts),
    $inc: (doc, parts, arg) => arithmetic(doc, parts, arg, '$inc', (a, b) => a + b),
    $mul: (doc, parts, arg) => arithmetic(doc, parts, arg, '$mul', (a, b) => a * b),
    $min: (doc, parts, arg) => extreme(doc, parts, arg, (diff) => diff < 0),
    $max: (doc, parts, arg) => extreme(doc, parts, arg, (diff) => diff > 0),
    $rename: rename,
    $currentDate: (doc, parts) => setAt(doc, parts, new Date(now)),
    $push: push,
    $addToSet: addToSet,
    $pop: pop,
    $pull: (doc, parts, arg) => removeWhere(doc, parts, (item) => elementMatches(item, arg)),
    $pullAll: (doc, parts, arg) =>
      removeWhere(doc, parts, (item) => asList(arg, '$pullAll').some((v) => valueEquals(item, v))),
  };
  const operator = operators[op];
  if (operator) return operator;
  if (op === '$bit' || op === '$setOnInsert') throw notEmulated(`the update operator ${op}`);
  throw requestFailed(`Unknown modifier: ${op}`);
}

function arithmetic(
  doc: PlainObject,
  parts: string[],
  arg: unknown,
  op: string,
  combine: (a: number, b: number) => number,
): void {
  if (typeof arg !== 'number') throw requestFailed(`Cannot ${op} with non-numeric argument`);
  const current = getAt(doc, parts);
  if (current === undefined) setAt(doc, parts, op === '$mul' ? 0 : arg);
  else if (typeof current === 'number') setAt(doc, parts, combine(current, arg));
  else throw requestFailed(`Cannot apply ${op} to a value of non-numeric type at '${parts.join('.')}'`);
}

function extreme(doc: PlainObject, parts: string[], arg: unknown, replaces: (diff: number) => boolean): void {
  const current = getAt(doc, parts);
  if (current === undefined || replaces(compareValues(arg, current))) setAt(doc, parts, clone(arg));
}

function rename(doc: PlainObject, parts: string[], arg: unknown): void {
  if (typeof arg !== 'string' || arg === '') throw requestFailed('$rename target must be a non-empty string');
  const value = getAt(doc, parts);
  if (value === undefined) return;
  unsetAt(doc, parts);
  setAt(doc, splitPath(arg), value);
}

function arrayAt(doc: PlainObject, parts: string[], op: string): unknown[] {
  const current = getAt(doc, parts);
  if (current === undefined) {
    const created: unknown[] = [];
    setAt(doc, parts, created);
    return created;
  }
  if (!Array.isArray(current)) throw requestFailed(`The field '${parts.join('.')}' must be an array for ${op}`);
  return current;
}

function asList(value: unknown, op: string): unknown[] {
  if (!Array.isArray(value)) throw requestFailed(`${op} needs an array`);
  return value;
}

/** `$each` form or a single value. */
function eachOf(arg: unknown): unknown[] {
  return isPlainObject(arg) && '$each' in arg ? asList(arg.$each, '$each') : [arg];
}

function push(doc: PlainObject, parts: string[], arg: unknown): void {
  const array = arrayAt(doc, parts, '$push');
  const items = clone(eachOf(arg));
  const modifiers = isPlainObject(arg) ? arg : {};
  const position = typeof modifiers.$position === 'number' ? modifiers.$position : array.length;
  array.splice(position < 0 ? Math.max(array.length + position, 0) : position, 0, ...items);
  if (modifiers.$sort !== undefined) array.sort((a, b) => sortElements(a, b, modifiers.$sort));
  if (typeof modifiers.$slice === 'number') {
    const kept = modifiers.$slice >= 0 ? array.slice(0, modifiers.$slice) : array.slice(modifiers.$slice);
    array.splice(0, array.length, ...kept);
  }
}

function sortElements(a: unknown, b: unknown, spec: unknown): number {
  if (typeof spec === 'number') return spec * compareValues(a, b);
  if (!isPlainObject(spec)) throw requestFailed('$sort must be 1, -1 or an object');
  for (const [path, direction] of Object.entries(spec)) {
    const parts = splitPath(path);
    const left = isPlainObject(a) ? getAt(a, parts) : undefined;
    const right = isPlainObject(b) ? getAt(b, parts) : undefined;
    const diff = compareValues(left, right) * (direction === -1 ? -1 : 1);
    if (diff !== 0) return diff;
  }
  return 0;
}

function addToSet(doc: PlainObject, parts: string[], arg: unknown): void {
  const array = arrayAt(doc, parts, '$addToSet');
  for (const item of eachOf(arg)) {
    if (!array.some((existing) => valueEquals(existing, item))) array.push(clone(item));
  }
}

function pop(doc: PlainObject, parts: string[], arg: unknown): void {
  const current = getAt(doc, parts);
  if (current === undefined) return;
  if (!Array.isArray(current)) throw requestFailed(`Path '${parts.join('.')}' contains an element of non-array type`);
  if (arg === -1) current.shift();
  else current.pop();
}

function removeWhere(doc: PlainObject, parts: string[], remove: (item: unknown) => boolean): void {
  const current = getAt(doc, parts);
  if (current === undefined) return;
  if (!isList(current)) throw requestFailed(`Cannot apply $pull to a non-array value at '${parts.join('.')}'`);
  const kept = current.filter((item) => !remove(item));
  current.splice(0, current.length, ...kept);
}
