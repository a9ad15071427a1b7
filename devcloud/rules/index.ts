/**
 * rules/: CloudBase database security rules for client (mini-program) access, checked against the requests
 * wx.cloud.database() builds (@cloudbase/database 1.4.3, the library wx-server-sdk 4.0.2 builds its own with); the
 * service itself is client-access.ts. One JSON file per collection, `<rules folder>/<collection>.json`, as
 * `{"read": <rule>, "write": <rule>, "create"?, "update"?, "delete"?}`.
 *
 * What CloudBase documents and devcloud follows (cloud.tencent.com/document/product/876/41802 安全规则;
 * developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/database/security-rules.html):
 * - a rule is `true`, `false` or an expression string (./expression.ts); an operation is allowed when it is true;
 * - `create`, `update` and `delete` fall back to `write` when absent; an operation with no rule at all is refused;
 * - rules restrict client requests only: cloud functions are not subject to them;
 * - "安全规则要求前端发起的查询条件必须是安全规则的子集，否则拒绝访问": a query is allowed only when the rule holds for
 *   every document its conditions can reach (./evaluate.ts), whatever the stored documents are. The client writes
 *   `'{openid}'` for its own OPENID in query conditions; the service substitutes it.
 * A collection with no rules file is closed to clients (a collection is never left open by accident).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { basename, join } from 'path';
import { queryBranches, QueryTooComplex } from './constraints';
import { evaluate, type RuleAuth } from './evaluate';
import { parseRuleExpression, RuleSyntaxError, type Expr } from './expression';
import { isPlainObject, type PlainObject } from '../database/values';

export { RuleSyntaxError, parseRuleExpression } from './expression';
export type { Expr } from './expression';
export type { RuleAuth, Truth } from './evaluate';

export const RULE_OPERATIONS = ['read', 'create', 'update', 'delete'] as const;
export type RuleOperation = (typeof RULE_OPERATIONS)[number];
const RULE_KEYS = ['read', 'write', 'create', 'update', 'delete'] as const;

/** One operation's rule: a constant, or an expression with its source text. */
export type Rule = { kind: 'constant'; allow: boolean } | { kind: 'expression'; text: string; expr: Expr };

export interface CollectionRules {
  collection: string;
  /** The file the rules came from. */
  file: string;
  read: Rule;
  create: Rule;
  update: Rule;
  delete: Rule;
}

/** A rules file that cannot be used; nothing is loaded when any file is wrong. */
export class RulesFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'RulesFileError';
  }
}

const DENY: Rule = { kind: 'constant', allow: false };

/** Collection names CloudBase accepts (letters, digits, `_` and `-`), as the file name of its rules. */
const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** The security rules of a project's collections. */
export class SecurityRules {
  private constructor(
    private readonly byCollection: ReadonlyMap<string, CollectionRules>,
    /** The folder they were read from, if any. */
    readonly dir: string | undefined,
  ) {}

  /** No rules at all: every collection is closed to clients. */
  static none(): SecurityRules {
    return new SecurityRules(new Map(), undefined);
  }

  /** Every `<collection>.json` in `dir`; throws RulesFileError for the first file that is wrong. */
  static load(dir: string): SecurityRules {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RulesFileError(dir, 'no such folder');
    const rules = new Map<string, CollectionRules>();
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, name);
      const collection = basename(name, '.json');
      if (!COLLECTION_NAME.test(collection))
        throw new RulesFileError(file, `"${collection}" is not a collection name (letters, digits, _ and -)`);
      rules.set(collection, parseRulesFile(file, collection, readFileSync(file, 'utf8')));
    }
    return new SecurityRules(rules, dir);
  }

  /** From objects rather than files (tests, programmatic setups); same checks as the files get. */
  static fromObject(rules: Record<string, unknown>): SecurityRules {
    const map = new Map<string, CollectionRules>();
    for (const [collection, value] of Object.entries(rules))
      map.set(collection, compileRules(`${collection}.json`, collection, value));
    return new SecurityRules(map, undefined);
  }

  /** Collections that have a rules file, sorted. */
  collections(): string[] {
    return [...this.byCollection.keys()].sort();
  }

  for(collection: string): CollectionRules | undefined {
    return this.byCollection.get(collection);
  }
}

export function parseRulesFile(file: string, collection: string, text: string): CollectionRules {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RulesFileError(file, `not valid JSON: ${(error as Error).message}`);
  }
  return compileRules(file, collection, value);
}

function compileRules(file: string, collection: string, value: unknown): CollectionRules {
  if (!isPlainObject(value))
    throw new RulesFileError(
      file,
      'a rules file is an object like {"read": true, "write": "doc._openid == auth.openid"}',
    );
  const unknownKey = Object.keys(value).find((key) => !(RULE_KEYS as readonly string[]).includes(key));
  if (unknownKey !== undefined)
    throw new RulesFileError(file, `unknown key "${unknownKey}": the keys are ${RULE_KEYS.join(', ')}`);
  const rule = (key: (typeof RULE_KEYS)[number]): Rule | undefined => compileRule(file, key, value[key]);
  const write = rule('write');
  return {
    collection,
    file,
    read: rule('read') ?? DENY,
    create: rule('create') ?? write ?? DENY,
    update: rule('update') ?? write ?? DENY,
    delete: rule('delete') ?? write ?? DENY,
  };
}

function compileRule(file: string, key: string, value: unknown): Rule | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return { kind: 'constant', allow: value };
  if (typeof value !== 'string') throw new RulesFileError(file, `"${key}" must be true, false or an expression string`);
  try {
    return { kind: 'expression', text: value, expr: parseRuleExpression(value) };
  } catch (error) {
    if (!(error instanceof RuleSyntaxError)) throw error;
    const where = error.index === undefined ? '' : ` (at character ${error.index})`;
    throw new RulesFileError(file, `"${key}": ${error.message}${where}: ${value}`);
  }
}

/** Who is asking and when: the rule language's `auth` and `now`, and `request.data` for writes. */
export interface RuleRequest {
  auth: RuleAuth | null;
  now: number;
  data?: unknown;
}

/** Whether the rule holds for one known document (a document to create, or the one a `doc(id)` call addresses). */
export function allowsDocument(rule: Rule, request: RuleRequest, doc: PlainObject): boolean {
  if (rule.kind === 'constant') return rule.allow;
  return evaluate(rule.expr, request, { kind: 'document', doc }) === true;
}

/**
 * Whether the rule holds for every document the query's conditions allow (the query after `{openid}`
 * substitution, as plain values): "the query must be a subset of the rule".
 */
export function allowsQuery(rule: Rule, request: RuleRequest, query: PlainObject): boolean {
  if (rule.kind === 'constant') return rule.allow;
  let branches;
  try {
    branches = queryBranches(query);
  } catch (error) {
    if (error instanceof QueryTooComplex) return false;
    throw error;
  }
  return branches.every((branch) => evaluate(rule.expr, request, { kind: 'query', branch }) === true);
}
