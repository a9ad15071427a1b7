/**
 * Evaluates a rule expression (./expression.ts) in one of two ways:
 * - against a document (a new document to create, or the stored document a `doc(id)` call addresses): plain
 *   evaluation, true or false;
 * - against a query: `doc` is then the query's conditions (CloudBase: "doc: 文档数据或查询条件"), and the rule must
 *   hold for every document the query can reach. Each comparison on `doc` is true, false or unknown from what the
 *   query says of that field (constraints.ts), combined with Kleene's three-valued logic; the query is allowed only
 *   when the rule comes out true. Unknown is never allowed, so a query that does not pin what the rule needs
 *   (an owner-only collection read without `_openid: '{openid}'`) is refused even if every stored document would
 *   pass.
 *
 * Values compare as in the rule language's JavaScript-like syntax, without type coercion: `==` is equality of the
 * same type (null and undefined equal each other; dates by time; arrays and objects by content), `<`-style
 * operators compare two numbers, two strings or two dates and are false otherwise, `x in list` is membership in an
 * array.
 */
import type { Expr } from './expression';
import { domainOf, type Bound, type Branch, type Domain } from './constraints';
import { isPlainObject, valueEquals, type PlainObject } from '../database/values';

export type Truth = boolean | 'unknown';

/** The caller: a mini-program user (`{openid}`), or null for a request without a login. */
export interface RuleAuth {
  openid: string;
}

export interface RuleScope {
  auth: RuleAuth | null;
  /** Request time in ms (the rule language's `now`). */
  now: number;
  /** `request.data`: the data of a create or update. */
  data?: unknown;
}

/** What the rule's `doc` is: a whole document, or the conditions of one branch of a query. */
export type DocSubject = { kind: 'document'; doc: PlainObject } | { kind: 'query'; branch: Branch };

/** A value as the evaluator knows it: concrete, a path into the queried documents, or unknowable. */
type Term = { kind: 'value'; value: unknown } | { kind: 'field'; path: string[] } | { kind: 'unknown' };

export function evaluate(expr: Expr, scope: RuleScope, subject: DocSubject): Truth {
  return new Evaluator(scope, subject).truth(expr);
}

class Evaluator {
  constructor(
    private readonly scope: RuleScope,
    private readonly subject: DocSubject,
  ) {}

  truth(expr: Expr): Truth {
    switch (expr.kind) {
      case 'not': {
        const operand = this.truth(expr.operand);
        return operand === 'unknown' ? 'unknown' : !operand;
      }
      case 'and': {
        const left = this.truth(expr.left);
        if (left === false) return false;
        const right = this.truth(expr.right);
        if (right === false) return false;
        return left === true && right === true ? true : 'unknown';
      }
      case 'or': {
        const left = this.truth(expr.left);
        if (left === true) return true;
        const right = this.truth(expr.right);
        if (right === true) return true;
        return left === false && right === false ? false : 'unknown';
      }
      case 'compare':
        return this.compare(expr.operator, this.term(expr.left), this.term(expr.right));
      default:
        return this.truthiness(this.term(expr));
    }
  }

  private term(expr: Expr): Term {
    switch (expr.kind) {
      case 'literal':
        return { kind: 'value', value: expr.value };
      case 'array': {
        const items = expr.items.map((item) => this.term(item));
        return items.every((item) => item.kind === 'value')
          ? { kind: 'value', value: items.map((item) => (item as { value: unknown }).value) }
          : { kind: 'unknown' };
      }
      case 'variable':
        return this.variable(expr.name);
      case 'member':
        return this.member(this.term(expr.object), this.term(expr.property));
      default: {
        const truth = this.truth(expr);
        return truth === 'unknown' ? { kind: 'unknown' } : { kind: 'value', value: truth };
      }
    }
  }

  private variable(name: 'auth' | 'doc' | 'now' | 'request'): Term {
    switch (name) {
      case 'auth':
        return { kind: 'value', value: this.scope.auth };
      case 'now':
        return { kind: 'value', value: this.scope.now };
      case 'request':
        return { kind: 'value', value: this.scope.data === undefined ? {} : { data: this.scope.data } };
      case 'doc':
        return this.subject.kind === 'document'
          ? { kind: 'value', value: this.subject.doc }
          : { kind: 'field', path: [] };
    }
  }

  private member(object: Term, property: Term): Term {
    if (property.kind !== 'value') return { kind: 'unknown' };
    const key = property.value;
    if (typeof key !== 'string' && typeof key !== 'number') return { kind: 'unknown' };
    if (object.kind === 'field') return { kind: 'field', path: [...object.path, String(key)] };
    // A property of null or undefined (`auth.openid` without a login, `doc.a.b` without `a`) is an error in the
    // expression's JavaScript-like semantics: never a value that could make a rule true.
    if (object.kind === 'unknown' || object.value === null || object.value === undefined) return { kind: 'unknown' };
    return { kind: 'value', value: memberOf(object.value, key) };
  }

  /** A field of the queried documents, as a finite set of values when the query fixes it. */
  private fieldDomain(path: string[]): Domain {
    if (this.subject.kind !== 'query') throw new Error('fields exist only when evaluating against a query');
    return domainOf(this.subject.branch, path);
  }

  private truthiness(term: Term): Truth {
    if (term.kind === 'value') return Boolean(term.value);
    if (term.kind === 'unknown') return 'unknown';
    const { values } = this.fieldDomain(term.path);
    return values ? overAll(values, (value) => Boolean(value)) : 'unknown';
  }

  private compare(operator: Operator, left: Term, right: Term): Truth {
    if (left.kind === 'unknown' || right.kind === 'unknown') return 'unknown';
    if (left.kind === 'value' && right.kind === 'value') return compareValues(operator, left.value, right.value);
    if (left.kind === 'field' && right.kind === 'field') {
      const a = this.fieldDomain(left.path).values;
      const b = this.fieldDomain(right.path).values;
      if (a?.length === 1 && b?.length === 1) return compareValues(operator, a[0], b[0]);
      return 'unknown';
    }
    if (left.kind === 'field' && right.kind === 'value')
      return decide(operator, this.fieldDomain(left.path), right.value, 'left');
    if (left.kind === 'value' && right.kind === 'field')
      return decide(operator, this.fieldDomain(right.path), left.value, 'right');
    return 'unknown';
  }
}

type Operator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in';

function memberOf(value: unknown, key: string | number): unknown {
  if (Array.isArray(value)) {
    const index = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : NaN;
    return Number.isInteger(index) ? value[index] : undefined;
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, key)) return value[String(key)];
  return undefined;
}

function looseEquals(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return valueEquals(a, b);
}

/** Two numbers, two strings or two dates: their order; anything else does not compare. */
function order(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  return undefined;
}

export function compareValues(operator: Operator, a: unknown, b: unknown): boolean {
  switch (operator) {
    case '==':
      return looseEquals(a, b);
    case '!=':
      return !looseEquals(a, b);
    case 'in':
      return Array.isArray(b) && b.some((item) => looseEquals(a, item));
    default: {
      const diff = order(a, b);
      if (diff === undefined) return false;
      if (operator === '<') return diff < 0;
      if (operator === '<=') return diff <= 0;
      if (operator === '>') return diff > 0;
      return diff >= 0;
    }
  }
}

function overAll(values: readonly unknown[], test: (value: unknown) => boolean): Truth {
  const results = values.map(test);
  if (results.every(Boolean)) return true;
  if (!results.some(Boolean)) return false;
  return 'unknown';
}

const FLIPPED: Record<Exclude<Operator, 'in'>, Exclude<Operator, 'in'>> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};

/** `field OP value` (side 'left') or `value OP field` (side 'right') for every document a query branch reaches. */
function decide(operator: Operator, domain: Domain, value: unknown, side: 'left' | 'right'): Truth {
  if (domain.values) {
    return overAll(domain.values, (item) =>
      side === 'left' ? compareValues(operator, item, value) : compareValues(operator, value, item),
    );
  }
  if (operator === 'in') {
    // `value in doc.list`: the query says the array holds it ($all, $elemMatch).
    if (side === 'right') return domain.contains.some((item) => looseEquals(item, value)) ? true : 'unknown';
    // `doc.field in [list]`: false when the query excludes every listed value.
    if (Array.isArray(value) && value.every((item) => domain.notEquals.some((no) => looseEquals(no, item))))
      return false;
    return 'unknown';
  }
  const op = side === 'left' ? operator : FLIPPED[operator];
  return decideRange(op, domain, value);
}

/** `field OP value` from the query's bounds and exclusions. */
function decideRange(operator: Exclude<Operator, 'in'>, domain: Domain, value: unknown): Truth {
  const excluded = domain.notEquals.some((item) => looseEquals(item, value));
  const outside = outOfBounds(domain, value);
  switch (operator) {
    case '==':
      return excluded || outside ? false : 'unknown';
    case '!=':
      return excluded || outside ? true : 'unknown';
    case '>':
      if (above(domain.lower, value, true)) return true;
      return below(domain.upper, value, false) ? false : 'unknown';
    case '>=':
      if (above(domain.lower, value, false)) return true;
      return below(domain.upper, value, true) ? false : 'unknown';
    case '<':
      if (below(domain.upper, value, true)) return true;
      return above(domain.lower, value, false) ? false : 'unknown';
    case '<=':
      if (below(domain.upper, value, false)) return true;
      return above(domain.lower, value, true) ? false : 'unknown';
  }
}

/**
 * Every value above the lower bound is `> value` (strict) or `>= value` (not strict). With strict = false the
 * question is "always >= value", with strict = true "always > value".
 */
function above(bound: Bound | undefined, value: unknown, strict: boolean): boolean {
  if (!bound) return false;
  const diff = order(bound.value, value);
  if (diff === undefined) return false;
  if (diff > 0) return true;
  if (diff < 0) return false;
  return strict ? !bound.inclusive : true;
}

/** Every value under the upper bound is `< value` (strict) or `<= value` (not strict). */
function below(bound: Bound | undefined, value: unknown, strict: boolean): boolean {
  if (!bound) return false;
  const diff = order(bound.value, value);
  if (diff === undefined) return false;
  if (diff < 0) return true;
  if (diff > 0) return false;
  return strict ? !bound.inclusive : true;
}

function outOfBounds(domain: Domain, value: unknown): boolean {
  const { lower, upper } = domain;
  if (lower) {
    const diff = order(value, lower.value);
    if (diff !== undefined && (diff < 0 || (diff === 0 && !lower.inclusive))) return true;
  }
  if (upper) {
    const diff = order(value, upper.value);
    if (diff !== undefined && (diff > 0 || (diff === 0 && !upper.inclusive))) return true;
  }
  return false;
}
