/**
 * Security rules (rules/): the expression language, evaluation against a document, the rule that a client query
 * must be a subset of the rule, and loading rules files. The soundness property at the end checks the subset rule
 * against the database's own query matcher: a query the rules allow never reaches a document the rule refuses.
 */
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { matches } from '../database/match';
import {
  allowsDocument,
  allowsQuery,
  parseRuleExpression,
  RulesFileError,
  RuleSyntaxError,
  SecurityRules,
  type Rule,
  type RuleRequest,
} from '../rules';

const ME = 'oMe0000000000000000000000000';
const OTHER = 'oOther00000000000000000000000';
const asMe: RuleRequest = { auth: { openid: ME }, now: Date.parse('2024-06-01T00:00:00Z') };

function rule(text: string): Rule {
  return { kind: 'expression', text, expr: parseRuleExpression(text) };
}

describe('the expression language', () => {
  test.each([
    'doc._openid == auth.openid',
    'auth != null',
    "auth.openid in ['a', 'b']",
    "!(auth.openid in ['a', 'b'])",
    'doc.age >= 18 && doc.age < 60 || doc.vip == true',
    "doc['nick-name'] != 'x'",
    'doc.tags[0] == "first"',
    'now > doc.expireAt',
    'doc.score > -1',
    'request.data.price == doc.price || request.data.price == undefined',
    'true',
  ])('accepts %s', (text) => {
    expect(() => parseRuleExpression(text)).not.toThrow();
  });

  test.each([
    ['doc.a ? true : false', /conditional/],
    ["get('database.users.x').role == 'admin'", /does not emulate get\(\)/],
    ['doc.a === 1', /write ==/],
    ['doc.a + 1 == 2', /operator \+/],
    ['user.openid == auth.openid', /unknown name "user"/],
    ['doc.a == ', /./],
    ['', /empty/],
    ['doc.a == 1; true', /one expression/],
    ['Math.max(doc.a) == 1', /not part of the rule language/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRuleExpression(text)).toThrow(RuleSyntaxError);
    expect(() => parseRuleExpression(text)).toThrow(message);
  });

  test('an expression is at most 1024 characters', () => {
    const long = `auth.openid in [${Array.from({ length: 200 }, (_, i) => `'${i}'`).join(',')}]`;
    expect(long.length).toBeGreaterThan(1024);
    expect(() => parseRuleExpression(long)).toThrow(/1024/);
  });

  test('"in" is an operator, not the start of a field name', () => {
    const owner = rule('doc.index == 1 && doc.inbox in [true]');
    expect(allowsDocument(owner, asMe, { index: 1, inbox: true })).toBe(true);
    expect(allowsDocument(owner, asMe, { index: 1, inbox: false })).toBe(false);
  });
});

describe('a rule against a document', () => {
  const owner = rule('doc._openid == auth.openid');

  test("owner rule: my document yes, another user's no, a document without owner no", () => {
    expect(allowsDocument(owner, asMe, { _openid: ME })).toBe(true);
    expect(allowsDocument(owner, asMe, { _openid: OTHER })).toBe(false);
    expect(allowsDocument(owner, asMe, {})).toBe(false);
  });

  test('no login: auth is null, so auth.openid matches nothing and "auth != null" is false', () => {
    const anonymous: RuleRequest = { auth: null, now: 0 };
    expect(allowsDocument(owner, anonymous, {})).toBe(false);
    expect(allowsDocument(rule('auth != null'), anonymous, {})).toBe(false);
    expect(allowsDocument(rule('auth != null'), asMe, {})).toBe(true);
  });

  test('values compare without coercion; dates by time; order only within a type', () => {
    expect(allowsDocument(rule("doc.n == '1'"), asMe, { n: 1 })).toBe(false);
    expect(allowsDocument(rule('doc.n == 1'), asMe, { n: 1 })).toBe(true);
    expect(allowsDocument(rule("doc.n > '0'"), asMe, { n: 1 })).toBe(false);
    expect(allowsDocument(rule('doc.missing == null'), asMe, {})).toBe(true);
    const at = new Date('2024-01-01T00:00:00Z');
    expect(allowsDocument(rule('now > doc.at'), asMe, { at })).toBe(false); // now is a number, at a date
    expect(allowsDocument(rule('doc.a == doc.b'), asMe, { a: at, b: new Date(at.getTime()) })).toBe(true);
    expect(allowsDocument(rule('now > doc.expireAt'), asMe, { expireAt: asMe.now - 1 })).toBe(true);
  });

  test('membership: auth.openid in doc.editors, and its negation', () => {
    const editor = rule('auth.openid in doc.editors');
    expect(allowsDocument(editor, asMe, { editors: [OTHER, ME] })).toBe(true);
    expect(allowsDocument(editor, asMe, { editors: [OTHER] })).toBe(false);
    expect(allowsDocument(editor, asMe, { editors: ME })).toBe(false); // not an array
    expect(allowsDocument(rule("!(doc.status in ['locked', 'deleted'])"), asMe, { status: 'open' })).toBe(true);
    expect(allowsDocument(rule("!(doc.status in ['locked', 'deleted'])"), asMe, { status: 'locked' })).toBe(false);
  });

  test('request.data is the data of the write', () => {
    const keepPrice = rule('request.data.price == doc.price || request.data.price == undefined');
    expect(allowsDocument(keepPrice, { ...asMe, data: { title: 'x' } }, { price: 3 })).toBe(true);
    expect(allowsDocument(keepPrice, { ...asMe, data: { price: 3 } }, { price: 3 })).toBe(true);
    expect(allowsDocument(keepPrice, { ...asMe, data: { price: 1 } }, { price: 3 })).toBe(false);
  });
});

describe('a query must be a subset of the rule', () => {
  const owner = rule('doc._openid == auth.openid');

  test('owner rule: a query without _openid is refused even when every stored document would pass', () => {
    expect(allowsQuery(owner, asMe, {})).toBe(false);
    expect(allowsQuery(owner, asMe, { _id: ME })).toBe(false);
    expect(allowsQuery(owner, asMe, { _openid: ME })).toBe(true);
    expect(allowsQuery(owner, asMe, { _openid: ME, done: false })).toBe(true);
    expect(allowsQuery(owner, asMe, { _openid: OTHER })).toBe(false);
  });

  test('operators: $eq and a one-value $in pin the field; a wider $in, $ne or $gt do not', () => {
    expect(allowsQuery(owner, asMe, { _openid: { $eq: ME } })).toBe(true);
    expect(allowsQuery(owner, asMe, { _openid: { $in: [ME] } })).toBe(true);
    expect(allowsQuery(owner, asMe, { _openid: { $in: [ME, OTHER] } })).toBe(false);
    expect(allowsQuery(owner, asMe, { _openid: { $ne: OTHER } })).toBe(false);
    expect(allowsQuery(owner, asMe, { _openid: { $gt: '' } })).toBe(false);
  });

  test('$or: every alternative must satisfy the rule; $and: any part may', () => {
    expect(
      allowsQuery(owner, asMe, {
        $or: [
          { _openid: ME, a: 1 },
          { _openid: ME, a: 2 },
        ],
      }),
    ).toBe(true);
    expect(allowsQuery(owner, asMe, { $or: [{ _openid: ME }, { a: 2 }] })).toBe(false);
    expect(allowsQuery(owner, asMe, { $and: [{ a: 1 }, { _openid: ME }] })).toBe(true);
    expect(allowsQuery(owner, asMe, { _openid: ME, $or: [{ a: 1 }, { b: 2 }] })).toBe(true);
    // $nor says what documents are not: it narrows nothing the rule can use.
    expect(allowsQuery(owner, asMe, { $nor: [{ _openid: OTHER }] })).toBe(false);
  });

  test('two owners, as in CloudBase\'s teacher example: either pinned field satisfies an "||" rule', () => {
    const teacherOrOwner = rule('auth.openid == doc.teacher || doc._openid == auth.openid');
    expect(allowsQuery(teacherOrOwner, asMe, { $or: [{ _openid: ME }, { teacher: ME }] })).toBe(true);
    expect(allowsQuery(teacherOrOwner, asMe, { $or: [{ _openid: ME }, { teacher: OTHER }] })).toBe(false);
  });

  test("ranges, CloudBase's example: rule doc.age > 10; query age > 15 is a subset, age > 5 is not", () => {
    const adult = rule('doc.age > 10');
    expect(allowsQuery(adult, asMe, { age: { $gt: 15 } })).toBe(true);
    expect(allowsQuery(adult, asMe, { age: { $gt: 5 } })).toBe(false);
    expect(allowsQuery(adult, asMe, { age: { $gte: 10 } })).toBe(false);
    expect(allowsQuery(adult, asMe, { age: { $gt: 10 } })).toBe(true);
    expect(allowsQuery(adult, asMe, { age: { $in: [11, 12] } })).toBe(true);
    expect(allowsQuery(adult, asMe, { age: 11 })).toBe(true);
    expect(allowsQuery(adult, asMe, { $and: [{ age: { $gt: 5 } }, { age: { $gt: 20 } }] })).toBe(true);
    expect(allowsQuery(rule('doc.age <= 10'), asMe, { age: { $lt: 10 } })).toBe(true);
    expect(allowsQuery(rule('!(doc.age > 10)'), asMe, { age: { $lte: 10 } })).toBe(true);
  });

  test('a rule that does not read doc is decided by auth alone', () => {
    expect(allowsQuery(rule('auth != null'), asMe, {})).toBe(true);
    expect(allowsQuery(rule('auth != null'), { auth: null, now: 0 }, {})).toBe(false);
  });

  test('published or mine: each query must pin one of the two', () => {
    const published = rule('doc.published == true || doc.author == auth.openid');
    expect(allowsQuery(published, asMe, { published: true })).toBe(true);
    expect(allowsQuery(published, asMe, { author: ME })).toBe(true);
    expect(allowsQuery(published, asMe, { published: false })).toBe(false);
    expect(allowsQuery(published, asMe, {})).toBe(false);
  });

  test('nested fields: the query names them by dotted path, or fixes the parent object', () => {
    const city = rule("doc.profile.city == 'Shenzhen'");
    expect(allowsQuery(city, asMe, { 'profile.city': 'Shenzhen' })).toBe(true);
    expect(allowsQuery(city, asMe, { profile: { $eq: { city: 'Shenzhen' } } })).toBe(true);
    expect(allowsQuery(city, asMe, { 'profile.city': 'Beijing' })).toBe(false);
  });

  test('a tautology the query does not decide is still refused (rules are proven from the query, not guessed)', () => {
    expect(allowsQuery(rule('doc.a > 5 || doc.a <= 5'), asMe, {})).toBe(false);
  });

  test('constant rules need no query', () => {
    expect(allowsQuery({ kind: 'constant', allow: true }, asMe, {})).toBe(true);
    expect(allowsQuery({ kind: 'constant', allow: false }, asMe, { _openid: ME })).toBe(false);
  });
});

describe('rules files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devcloud-rules-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('create, update and delete fall back to write; an operation with no rule is refused', async () => {
    await writeFile(
      join(dir, 'posts.json'),
      JSON.stringify({ read: true, write: 'doc._openid == auth.openid', delete: false }),
    );
    await writeFile(join(dir, 'notes.json'), JSON.stringify({ write: true }));
    await writeFile(join(dir, 'README.md'), 'not a rules file');
    const rules = SecurityRules.load(dir);
    expect(rules.collections()).toEqual(['notes', 'posts']);
    const posts = rules.for('posts')!;
    expect(posts.read).toEqual({ kind: 'constant', allow: true });
    expect(posts.create).toMatchObject({ kind: 'expression', text: 'doc._openid == auth.openid' });
    expect(posts.update).toMatchObject({ kind: 'expression', text: 'doc._openid == auth.openid' });
    expect(posts.delete).toEqual({ kind: 'constant', allow: false });
    expect(rules.for('notes')!.read).toEqual({ kind: 'constant', allow: false });
    expect(rules.for('missing')).toBeUndefined();
  });

  test.each([
    ['{"read": true,', /not valid JSON/],
    ['[]', /a rules file is an object/],
    ['{"read": true, "list": true}', /unknown key "list"/],
    ['{"read": 1}', /"read" must be true, false or an expression string/],
    ['{"write": "doc.a ="}', /"write": .*doc\.a =/],
  ])('a wrong file is refused with its name and the reason: %s', async (text, reason) => {
    await writeFile(join(dir, 'ok.json'), '{"read": true}');
    await writeFile(join(dir, 'orders.json'), text);
    expect(() => SecurityRules.load(dir)).toThrow(RulesFileError);
    expect(() => SecurityRules.load(dir)).toThrow(reason);
    expect(() => SecurityRules.load(dir)).toThrow(join(dir, 'orders.json'));
  });

  test('a missing folder is an error, not an empty set of rules', () => {
    expect(() => SecurityRules.load(join(dir, 'nope'))).toThrow(/no such folder/);
  });

  test("the kit's own database-rules/ load, and say what README says they do", () => {
    const rules = SecurityRules.load(join(__dirname, '..', '..', 'database-rules'));
    expect(rules.collections()).toEqual(
      expect.arrayContaining(['admin_logs', 'login_logs', 'phones', 'sessions', 'users']),
    );
    const users = rules.for('users')!;
    expect(allowsQuery(users.read, asMe, { _openid: ME })).toBe(true);
    expect(allowsQuery(users.read, asMe, {})).toBe(false);
    expect(users.update).toEqual({ kind: 'constant', allow: false });
    for (const closed of ['sessions', 'phones', 'login_logs', 'admin_logs']) {
      expect(rules.for(closed)!.read).toEqual({ kind: 'constant', allow: false });
      expect(rules.for(closed)!.create).toEqual({ kind: 'constant', allow: false });
    }
  });
});

describe('soundness: an allowed query never reaches a document the rule refuses', () => {
  // Scalar fields only: CloudBase reads `doc.f` in a query as the query's value for f, which is exact for scalars.
  const VALUES = [1, 2, 3, 'x', 'y', null, undefined] as const;
  const value = fc.constantFrom(...VALUES.filter((item) => item !== undefined));
  const field = fc.constantFrom('a', 'b', '_openid');
  const fieldValue = fc.oneof(value, fc.constantFrom(ME, OTHER));

  const ruleText: fc.Arbitrary<string> = fc.letrec<{ rule: string }>((tie) => ({
    rule: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .tuple(field, fc.constantFrom('==', '!=', '>', '>=', '<', '<='), fc.constantFrom('1', '2', "'x'", 'null'))
        .map(([f, op, v]) => `doc.${f} ${op} ${v}`),
      field.map((f) => `doc.${f} == auth.openid`),
      field.map((f) => `doc.${f} in [1, 'x']`),
      fc.tuple(tie('rule'), fc.constantFrom('&&', '||'), tie('rule')).map(([l, op, r]) => `(${l}) ${op} (${r})`),
      tie('rule').map((inner) => `!(${inner})`),
    ),
  })).rule;

  const condition = fc.oneof(
    fieldValue,
    fieldValue.map((v) => ({ $eq: v })),
    fieldValue.map((v) => ({ $ne: v })),
    fc.array(fieldValue, { minLength: 1, maxLength: 3 }).map((list) => ({ $in: list })),
    fc.array(fieldValue, { minLength: 1, maxLength: 2 }).map((list) => ({ $nin: list })),
    fc
      .tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), fc.constantFrom(1, 2, 3, 'x', 'y'))
      .map(([op, v]) => ({ [op]: v })),
  );
  const simpleQuery = fc.dictionary(field, condition, { maxKeys: 3 });
  const query = fc.oneof(
    simpleQuery,
    fc.tuple(simpleQuery, fc.array(simpleQuery, { minLength: 1, maxLength: 3 })).map(([q, or]) => ({ ...q, $or: or })),
    fc.array(simpleQuery, { minLength: 1, maxLength: 3 }).map((and) => ({ $and: and })),
  );

  // Every document over the fields' values, missing included.
  const docs: Array<Record<string, unknown>> = [];
  const owners = [ME, OTHER, 1, 'x', null, undefined];
  for (const a of VALUES)
    for (const b of VALUES)
      for (const owner of owners) {
        const doc: Record<string, unknown> = {};
        if (a !== undefined) doc.a = a;
        if (b !== undefined) doc.b = b;
        if (owner !== undefined) doc._openid = owner;
        docs.push(doc);
      }

  test('for random rules and queries', () => {
    let allowed = 0;
    fc.assert(
      fc.property(ruleText, query, (text, q) => {
        const r = rule(text);
        if (!allowsQuery(r, asMe, q)) return;
        allowed += 1;
        for (const doc of docs) {
          if (matches(doc, q) && !allowsDocument(r, asMe, doc))
            throw new Error(`${text} allowed ${JSON.stringify(q)}, which reaches ${JSON.stringify(doc)}`);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) },
    );
    // The property is not vacuous: a fair share of the generated queries are allowed.
    expect(allowed).toBeGreaterThan(50);
  });
});
