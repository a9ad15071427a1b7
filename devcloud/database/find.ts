/** orderBy, skip/limit and field() projection over documents that already matched. */
import { failedOperation, notEmulated, requestFailed } from './errors';
import { nearSphereDistance, readNearSphere } from './geo';
import { elementMatches } from './match';
import { resolvePath, splitPath } from './paths';
import { clone, compareValues, isList, isPlainObject, type Doc, type PlainObject } from './values';

export type SortSpec = Array<[path: string, direction: 1 | -1]>;

/** `order` as the SDK sends it: `{field: 1 | -1, ...}` in orderBy() call order. */
export function toSortSpec(order: unknown): SortSpec {
  if (order === undefined) return [];
  if (!isPlainObject(order)) throw requestFailed('order must be an object');
  return Object.entries(order).map(([path, direction]) => {
    if (direction !== 1 && direction !== -1) throw requestFailed(`order direction for ${path} must be 1 or -1`);
    return [path, direction];
  });
}

/** Stable sort, so ties keep insertion (natural) order like an unindexed MongoDB scan. */
export function sortDocs(docs: readonly Doc[], spec: SortSpec): Doc[] {
  if (spec.length === 0) return [...docs];
  const keyed = docs.map((doc) => ({ doc, keys: spec.map(([path, direction]) => sortKey(doc, path, direction)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < spec.length; i += 1) {
      const diff = compareValues(a.keys[i], b.keys[i]) * (spec[i]?.[1] ?? 1);
      if (diff !== 0) return diff;
    }
    return 0;
  });
  return keyed.map((entry) => entry.doc);
}

/** MongoDB sorts an array field by its smallest element ascending and its largest descending. */
function sortKey(doc: Doc, path: string, direction: 1 | -1): unknown {
  const reached = resolvePath(doc, splitPath(path)).flatMap((value): unknown[] => (isList(value) ? value : [value]));
  let best: unknown = undefined;
  for (const value of reached) {
    if (value !== undefined && (best === undefined || compareValues(value, best) * direction < 0)) best = value;
  }
  return best;
}

/**
 * field(): 1/true includes, 0/false excludes; `_id` is kept unless excluded. The SDK's projection operators:
 * `_.project.slice(n | [skip, n])` trims an array and keeps the projection's mode; `_.project.elemMatch(query)`
 * includes the array's first matching element only (MongoDB's $elemMatch projection, an inclusion).
 */
export function project(doc: Doc, projection: PlainObject | undefined): PlainObject {
  if (projection === undefined || Object.keys(projection).length === 0) return clone(doc);
  const includes: string[] = [];
  const excludes: string[] = [];
  const slices: Array<[string, unknown]> = [];
  const elemMatches: Array<[string, unknown]> = [];
  for (const [path, flag] of Object.entries(projection)) {
    if (!isPlainObject(flag)) {
      (flag === 0 || flag === false ? excludes : includes).push(path);
      continue;
    }
    const operators = Object.keys(flag);
    if (operators.length === 1 && operators[0] === '$slice') {
      slices.push([path, flag.$slice]);
    } else if (operators.length === 1 && operators[0] === '$elemMatch') {
      if (path.includes('.')) throw failedOperation('Location2', 'Cannot use $elemMatch projection on a nested field.');
      elemMatches.push([path, flag.$elemMatch]);
    } else {
      throw notEmulated(`the projection operator ${operators.join(', ')} (on ${path})`);
    }
  }
  const inclusion = includes.length > 0 || elemMatches.length > 0;
  const otherExcludes = excludes.filter((path) => path !== '_id');
  if (inclusion && otherExcludes.length > 0) {
    throw requestFailed(`Cannot do exclusion on field ${otherExcludes[0] ?? ''} in inclusion projection`);
  }
  const paths = [...includes, ...slices.map(([path]) => path), ...elemMatches.map(([path]) => path)];
  const projected = inclusion ? include(doc, paths, !excludes.includes('_id')) : exclude(doc, excludes);
  for (const [path, argument] of slices) sliceAt(projected, splitPath(path), sliceOf(argument));
  for (const [path, condition] of elemMatches) {
    const value = doc[path];
    const found: unknown = isList(value) ? value.find((item) => elementMatches(item, condition)) : undefined;
    if (found === undefined) delete projected[path];
    else projected[path] = [clone(found)];
  }
  return projected;
}

/** `$slice: n` (first n, or last -n) or `[skip, n]` (skip < 0 counts from the end), as an array slicer. */
function sliceOf(argument: unknown): (items: unknown[]) => unknown[] {
  if (typeof argument === 'number' && Number.isInteger(argument)) {
    return (items) => (argument >= 0 ? items.slice(0, argument) : items.slice(argument));
  }
  if (Array.isArray(argument) && argument.length === 2) {
    const [skip, limit] = argument as unknown[];
    if (typeof skip === 'number' && typeof limit === 'number' && Number.isInteger(skip) && Number.isInteger(limit)) {
      if (limit <= 0) throw failedOperation('Location28724', '$slice limit must be positive');
      return (items) => {
        const start = skip >= 0 ? skip : Math.max(items.length + skip, 0);
        return items.slice(start, start + limit);
      };
    }
  }
  throw failedOperation('Location28667', '$slice takes an integer or an array of two integers [skip, limit]');
}

/** Applies a slice to the array at a path, through arrays of embedded documents on the way. */
function sliceAt(target: unknown, parts: readonly string[], slice: (items: unknown[]) => unknown[]): void {
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (Array.isArray(target)) {
    for (const item of target) sliceAt(item, parts, slice);
  } else if (isPlainObject(target)) {
    const value = target[head];
    if (rest.length > 0) sliceAt(value, rest, slice);
    else if (Array.isArray(value)) target[head] = slice(value);
  }
}

function include(doc: Doc, paths: readonly string[], keepId: boolean): PlainObject {
  const picked: PlainObject = {};
  for (const path of paths) copyPath(doc, picked, splitPath(path));
  if (keepId) picked._id = doc._id;
  // Keep the document's own field order, as the service does.
  const ordered: PlainObject = {};
  for (const key of Object.keys(doc)) if (key in picked) ordered[key] = picked[key];
  return ordered;
}

function copyPath(source: PlainObject, target: PlainObject, parts: readonly string[]): void {
  const [head, ...rest] = parts;
  if (head === undefined || !(head in source)) return;
  const value = source[head];
  if (rest.length === 0) {
    target[head] = clone(value);
  } else if (Array.isArray(value)) {
    const previous = target[head];
    const existing: unknown[] = isList(previous) ? previous : [];
    target[head] = value.filter(isPlainObject).map((item, i) => {
      const old = existing[i];
      const slot: PlainObject = isPlainObject(old) ? old : {};
      copyPath(item, slot, rest);
      return slot;
    });
  } else if (isPlainObject(value)) {
    const old = target[head];
    const slot: PlainObject = isPlainObject(old) ? old : {};
    copyPath(value, slot, rest);
    target[head] = slot;
  }
}

function exclude(doc: Doc, paths: readonly string[]): PlainObject {
  const copy: PlainObject = clone(doc);
  for (const path of paths) removePath(copy, splitPath(path));
  return copy;
}

function removePath(target: unknown, parts: readonly string[]): void {
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (Array.isArray(target)) {
    for (const item of target) removePath(item, parts);
  } else if (isPlainObject(target)) {
    if (rest.length === 0) delete target[head];
    else removePath(target[head], rest);
  }
}

/** skip/limit: the SDK always sends a limit (default 100, at most 1000). */
export function page<T>(items: readonly T[], offset: number, limit: number): T[] {
  return items.slice(offset, offset + limit);
}

/** A query's top-level `$nearSphere` (`_.geoNear()`) returns documents nearest first, before any orderBy (MongoDB). */
export function nearestFirst(docs: readonly Doc[], query: PlainObject): Doc[] {
  for (const [path, condition] of Object.entries(query)) {
    if (!isPlainObject(condition) || condition.$nearSphere === undefined) continue;
    const near = readNearSphere(condition.$nearSphere);
    return docs
      .map((doc) => ({ doc, distance: nearSphereDistance(resolvePath(doc, splitPath(path)), near) ?? Infinity }))
      .sort((a, b) => a.distance - b.distance)
      .map(({ doc }) => doc);
  }
  return [...docs];
}
