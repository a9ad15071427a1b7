import { requestFailed } from './errors';
import { isPlainObject, type PlainObject } from './values';

const INDEX = /^\d+$/;

export function splitPath(path: string): string[] {
  return path.split('.');
}

/**
 * Query-side lookup with MongoDB's array traversal: `a.b` reaches `b` inside every element of an array `a`.
 * Returns every value reached; `undefined` stands for "missing" (it matters for null and $exists).
 */
export function resolvePath(value: unknown, parts: readonly string[]): unknown[] {
  const [head, ...rest] = parts;
  if (head === undefined) return [value];
  if (Array.isArray(value)) {
    const reached: unknown[] = [];
    if (INDEX.test(head) && Number(head) < value.length) reached.push(...resolvePath(value[Number(head)], rest));
    for (const item of value) if (isPlainObject(item)) reached.push(...resolvePath(item, parts));
    return reached.length > 0 ? reached : [undefined];
  }
  if (isPlainObject(value)) return resolvePath(value[head], rest);
  return [undefined];
}

/** Update-side lookup: one value, numeric parts index arrays, no traversal. */
export function getAt(doc: PlainObject, parts: readonly string[]): unknown {
  let current: unknown = doc;
  for (const part of parts) {
    if (Array.isArray(current) && INDEX.test(part)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else return undefined;
  }
  return current;
}

/** Sets a value, creating missing embedded documents; fails like MongoDB when a scalar is in the way. */
export function setAt(doc: PlainObject, parts: readonly string[], value: unknown): void {
  const container = containerFor(doc, parts, true);
  const last = parts[parts.length - 1] as string;
  if (Array.isArray(container)) {
    if (!INDEX.test(last)) throw cannotCreate(last, parts);
    const index = Number(last);
    while (container.length < index) container.push(null);
    container[index] = value;
  } else if (container) {
    container[last] = value;
  }
}

export function unsetAt(doc: PlainObject, parts: readonly string[]): void {
  const container = containerFor(doc, parts, false);
  const last = parts[parts.length - 1] as string;
  // MongoDB leaves a null hole rather than shifting array elements.
  if (Array.isArray(container)) {
    if (INDEX.test(last) && Number(last) < container.length) container[Number(last)] = null;
  } else if (container) {
    delete container[last];
  }
}

/** The object or array holding the last path part; undefined when absent and `create` is false. */
function containerFor(
  doc: PlainObject,
  parts: readonly string[],
  create: boolean,
): PlainObject | unknown[] | undefined {
  let current: PlainObject | unknown[] = doc;
  for (const [i, part] of parts.slice(0, -1).entries()) {
    const next: unknown = Array.isArray(current)
      ? INDEX.test(part)
        ? current[Number(part)]
        : undefined
      : current[part];
    if (isPlainObject(next) || Array.isArray(next)) {
      current = next;
      continue;
    }
    if (!create) return undefined;
    if (next !== undefined) throw cannotCreate(parts[i + 1] ?? part, parts);
    if (Array.isArray(current) && !INDEX.test(part)) throw cannotCreate(part, parts);
    const created: PlainObject = {};
    if (Array.isArray(current)) {
      while (current.length < Number(part)) current.push(null);
      current[Number(part)] = created;
    } else {
      current[part] = created;
    }
    current = created;
  }
  return current;
}

function cannotCreate(part: string, parts: readonly string[]): Error {
  return requestFailed(
    `Cannot create field '${part}' for path '${parts.join('.')}': a non-document value is in the way`,
  );
}
