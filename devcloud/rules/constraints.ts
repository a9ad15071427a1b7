/**
 * What a client query says about the documents it can reach, per field: the input of the rule that "a query must be a
 * subset of the security rule" (查询条件必须是安全规则的子集).
 *
 * A query becomes a list of branches (its `$or` alternatives, multiplied out), each a conjunction of per-field
 * constraints. A rule allows the query when it holds on every branch. Whatever this module does not understand
 * (`$nor`, `$regex`, `$exists`, geo...) is left out of a branch: knowing less about the documents can only make a
 * rule harder to prove, never easier, so leaving a constraint out is always safe.
 */
import {
  compareValues,
  isList,
  isPlainObject,
  sameTypeBracket,
  valueEquals,
  type PlainObject,
} from '../database/values';

export interface Bound {
  value: unknown;
  inclusive: boolean;
}

export interface FieldConstraint {
  /** Values the field is compared equal to (`field: v`, `$eq`). */
  equals: unknown[];
  /** `$in` lists (each one a constraint). */
  inLists: unknown[][];
  /** Values the field is not (`$ne`, `$nin`). */
  notEquals: unknown[];
  lower?: Bound;
  upper?: Bound;
  /** Elements the field (an array) holds (`$all`, `$elemMatch: {$eq}`). */
  contains: unknown[];
}

/** One `$or` alternative of a query: field path (dotted) to what the query requires of it. */
export type Branch = Map<string, FieldConstraint>;

/** More alternatives than this and the query is not analysed (the rule is then not proven). */
export const MAX_BRANCHES = 256;

export class QueryTooComplex extends Error {
  constructor() {
    super(`the query has more than ${MAX_BRANCHES} $or alternatives to check against the security rule`);
    this.name = 'QueryTooComplex';
  }
}

/** The branches of a query (after `{openid}` substitution); `{}` is one unconstrained branch. */
export function queryBranches(query: PlainObject): Branch[] {
  let branches: Branch[] = [new Map<string, FieldConstraint>()];
  for (const [key, condition] of Object.entries(query)) {
    if (key === '$and') {
      for (const part of subQueries(condition)) branches = cross(branches, queryBranches(part));
    } else if (key === '$or') {
      branches = cross(
        branches,
        subQueries(condition).flatMap((part) => queryBranches(part)),
      );
    } else if (!key.startsWith('$')) {
      for (const branch of branches) constrain(branch, key, condition);
    }
    // $nor and any other top-level operator: left out (see the top of this file).
    if (branches.length > MAX_BRANCHES) throw new QueryTooComplex();
  }
  return branches;
}

function subQueries(value: unknown): PlainObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

function cross(left: Branch[], right: Branch[]): Branch[] {
  const out: Branch[] = [];
  for (const a of left) for (const b of right) out.push(merge(a, b));
  if (out.length > MAX_BRANCHES) throw new QueryTooComplex();
  return out;
}

function merge(a: Branch, b: Branch): Branch {
  const out: Branch = new Map();
  for (const [path, constraint] of a) out.set(path, copy(constraint));
  for (const [path, constraint] of b) {
    const target = fieldOf(out, path);
    target.equals.push(...constraint.equals);
    target.inLists.push(...constraint.inLists);
    target.notEquals.push(...constraint.notEquals);
    target.contains.push(...constraint.contains);
    if (constraint.lower) tighten(target, 'lower', constraint.lower);
    if (constraint.upper) tighten(target, 'upper', constraint.upper);
  }
  return out;
}

function copy(constraint: FieldConstraint): FieldConstraint {
  return {
    ...constraint,
    equals: [...constraint.equals],
    inLists: [...constraint.inLists],
    notEquals: [...constraint.notEquals],
    contains: [...constraint.contains],
  };
}

function fieldOf(branch: Branch, path: string): FieldConstraint {
  let constraint = branch.get(path);
  if (!constraint) {
    constraint = { equals: [], inLists: [], notEquals: [], contains: [] };
    branch.set(path, constraint);
  }
  return constraint;
}

/** One `field: condition` entry of a query. */
function constrain(branch: Branch, path: string, condition: unknown): void {
  if (condition instanceof RegExp) return;
  const constraint = fieldOf(branch, path);
  if (!isOperatorObject(condition)) {
    constraint.equals.push(condition);
    return;
  }
  for (const [operator, argument] of Object.entries(condition)) {
    switch (operator) {
      case '$eq':
        constraint.equals.push(argument);
        break;
      case '$ne':
        constraint.notEquals.push(argument);
        break;
      case '$in':
        // A pattern in the list matches many values: such a list does not bound the field.
        if (Array.isArray(argument) && !argument.some((item) => item instanceof RegExp))
          constraint.inLists.push(argument);
        break;
      case '$nin':
        if (isList(argument)) constraint.notEquals.push(...argument);
        break;
      case '$gt':
      case '$gte':
        tighten(constraint, 'lower', { value: argument, inclusive: operator === '$gte' });
        break;
      case '$lt':
      case '$lte':
        tighten(constraint, 'upper', { value: argument, inclusive: operator === '$lte' });
        break;
      case '$all':
        if (isList(argument)) constraint.contains.push(...argument.filter((item) => !isOperatorObject(item)));
        break;
      case '$elemMatch':
        if (isPlainObject(argument) && Object.keys(argument).length === 1 && '$eq' in argument)
          constraint.contains.push(argument.$eq);
        break;
      default:
        // $exists, $size, $regex, $mod, $not, geo...: left out.
        break;
    }
  }
}

function tighten(constraint: FieldConstraint, side: 'lower' | 'upper', bound: Bound): void {
  if (bound.value instanceof RegExp || bound.value === null || bound.value === undefined) return;
  const current = constraint[side];
  // Bounds of different types do not combine (MongoDB compares within a type); the first one is kept.
  if (!current) constraint[side] = bound;
  else if (sameTypeBracket(current.value, bound.value)) {
    const diff = compareValues(bound.value, current.value) * (side === 'lower' ? 1 : -1);
    if (diff > 0 || (diff === 0 && !bound.inclusive)) constraint[side] = bound;
  }
}

function isOperatorObject(value: unknown): value is PlainObject {
  if (!isPlainObject(value)) return false;
  const first = Object.keys(value)[0];
  return first !== undefined && first.startsWith('$');
}

/** What a branch allows a field's value to be. */
export interface Domain {
  /** The field is one of these values; absent: not a finite set. */
  values?: unknown[];
  lower?: Bound;
  upper?: Bound;
  notEquals: unknown[];
  contains: unknown[];
}

/**
 * The domain of a field path in a branch. A path the query does not name directly may still be fixed by an equality
 * on an ancestor (`where({profile: _.eq({city: 'x'})})` fixes `profile.city`).
 */
export function domainOf(branch: Branch, path: readonly string[]): Domain {
  const key = path.join('.');
  const constraint = branch.get(key);
  if (constraint) return domainFrom(constraint);
  for (let length = path.length - 1; length >= 1; length -= 1) {
    const ancestor = branch.get(path.slice(0, length).join('.'));
    if (!ancestor) continue;
    const values = domainFrom(ancestor).values;
    if (values)
      return { values: values.map((value) => nested(value, path.slice(length))), notEquals: [], contains: [] };
  }
  return { notEquals: [], contains: [] };
}

function domainFrom(constraint: FieldConstraint): Domain {
  const distinct = unique(constraint.equals);
  const domain: Domain = {
    notEquals: constraint.notEquals,
    contains: constraint.contains,
    ...(constraint.lower ? { lower: constraint.lower } : {}),
    ...(constraint.upper ? { upper: constraint.upper } : {}),
  };
  // A finite domain only from a single source: an array field can satisfy `a: 1` and `a: 2` (or `a: 1` and
  // `a: {$in: [2]}`) at once, so two sources are not intersected, and none is trusted.
  if (distinct.length === 1 && constraint.inLists.length === 0) domain.values = distinct;
  else if (distinct.length === 0 && constraint.inLists.length === 1) domain.values = unique(constraint.inLists[0]!);
  return domain;
}

function unique(values: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const value of values) if (!out.some((seen) => valueEquals(seen, value))) out.push(value);
  return out;
}

function nested(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) current = isPlainObject(current) ? current[part] : undefined;
  return current;
}
