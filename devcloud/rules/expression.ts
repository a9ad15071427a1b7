/**
 * CloudBase security-rule expressions (`"doc._openid == auth.openid"`), parsed into a small AST that is
 * evaluated, never run as code.
 *
 * The language, as CloudBase documents it (cloud.tencent.com/document/product/876/41802, 安全规则; docs.cloudbase.net
 * database/security-rules): the variables `auth`, `doc`, `now` and `request`; literals; `.` and `[]` member access;
 * `==`, `!=`, `>`, `>=`, `<`, `<=`; `in` (membership in an array, negated as `!(x in [...])`); `&&`, `||`, `!` and
 * parentheses. An expression is at most 1024 characters. `get()` (reading another document) is part of the service
 * and is refused here with a clear message rather than half-emulated.
 *
 * Tokens, precedence and string escapes come from jsep (a small, dependency-free JavaScript expression parser that
 * builds an AST and evaluates nothing); this module accepts only the subset above and turns it into its own AST.
 */
import jsep from 'jsep';

/** CloudBase's limit: "单条表达式限制 1024 字符". */
export const MAX_EXPRESSION_LENGTH = 1024;

export const RULE_VARIABLES = ['auth', 'doc', 'now', 'request'] as const;
export type RuleVariable = (typeof RULE_VARIABLES)[number];

export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
const COMPARISONS: readonly string[] = ['==', '!=', '<', '<=', '>', '>=', 'in'];

export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null | undefined }
  | { kind: 'array'; items: Expr[] }
  | { kind: 'variable'; name: RuleVariable }
  /** `object.name` (property is a literal string) or `object[expr]`. */
  | { kind: 'member'; object: Expr; property: Expr }
  | { kind: 'not'; operand: Expr }
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'compare'; operator: ComparisonOperator; left: Expr; right: Expr };

/** An expression that is not in the rule language; `index` is where in the text the problem is, when known. */
export class RuleSyntaxError extends Error {
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.name = 'RuleSyntaxError';
  }
}

// `in` is a relational operator (JavaScript's precedence: with <, >, <=, >=). jsep keeps its operators per module
// instance; adding the same one again is harmless.
jsep.addBinaryOp('in', 7);

export function parseRuleExpression(text: string): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new RuleSyntaxError(`the expression is ${text.length} characters long; CloudBase allows 1024`);
  if (text.trim() === '') throw new RuleSyntaxError('the expression is empty');
  let tree: jsep.Expression;
  try {
    tree = jsep(text);
  } catch (error) {
    const { message, index } = error as { message: string; index?: number };
    throw new RuleSyntaxError(message, index);
  }
  return convert(tree);
}

function convert(node: jsep.Expression): Expr {
  switch (node.type) {
    case 'Literal':
      return literal((node as jsep.Literal).value);
    case 'Identifier':
      return identifier((node as jsep.Identifier).name);
    case 'ArrayExpression':
      return {
        kind: 'array',
        items: (node as jsep.ArrayExpression).elements.map((item) => {
          if (!item) throw new RuleSyntaxError('an array has an empty element');
          return convert(item);
        }),
      };
    case 'MemberExpression': {
      const member = node as jsep.MemberExpression;
      const property: Expr = member.computed
        ? convert(member.property)
        : { kind: 'literal', value: (member.property as jsep.Identifier).name };
      return { kind: 'member', object: convert(member.object), property };
    }
    case 'UnaryExpression':
      return unary(node as jsep.UnaryExpression);
    case 'BinaryExpression':
      return binary(node as jsep.BinaryExpression);
    case 'Compound':
      throw new RuleSyntaxError('a rule is one expression (no "," or ";" between expressions)');
    case 'CallExpression': {
      const callee = (node as jsep.CallExpression).callee;
      const name = callee.type === 'Identifier' ? (callee as jsep.Identifier).name : 'a function';
      throw new RuleSyntaxError(
        name === 'get'
          ? 'devcloud does not emulate get(): read the other document in a cloud function instead'
          : `${name}(...) is not part of the rule language`,
      );
    }
    default:
      throw new RuleSyntaxError(`${describe(node)} is not part of the rule language`);
  }
}

function literal(value: unknown): Expr {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { kind: 'literal', value };
  if (typeof value === 'number' && Number.isFinite(value)) return { kind: 'literal', value };
  throw new RuleSyntaxError(`the literal ${JSON.stringify(value) ?? typeof value} is not part of the rule language`);
}

function identifier(name: string): Expr {
  if (name === 'undefined') return { kind: 'literal', value: undefined };
  if ((RULE_VARIABLES as readonly string[]).includes(name)) return { kind: 'variable', name: name as RuleVariable };
  throw new RuleSyntaxError(`unknown name "${name}": a rule reads ${RULE_VARIABLES.join(', ')}`);
}

function unary(node: jsep.UnaryExpression): Expr {
  const operand = convert(node.argument);
  if (node.operator === '!') return { kind: 'not', operand };
  // A negative number is a unary minus on a number literal in the tree.
  if (node.operator === '-' && operand.kind === 'literal' && typeof operand.value === 'number')
    return { kind: 'literal', value: -operand.value };
  throw new RuleSyntaxError(`the operator ${node.operator} is not part of the rule language`);
}

function binary(node: jsep.BinaryExpression): Expr {
  const left = convert(node.left);
  const right = convert(node.right);
  if (node.operator === '&&') return { kind: 'and', left, right };
  if (node.operator === '||') return { kind: 'or', left, right };
  if (COMPARISONS.includes(node.operator))
    return { kind: 'compare', operator: node.operator as ComparisonOperator, left, right };
  const hint = node.operator === '===' || node.operator === '!==' ? ` (write ${node.operator.slice(0, 2)})` : '';
  throw new RuleSyntaxError(`the operator ${node.operator} is not part of the rule language${hint}`);
}

function describe(node: jsep.Expression): string {
  switch (node.type) {
    case 'ConditionalExpression':
      return 'the conditional "? :"';
    case 'ThisExpression':
      return '"this"';
    default:
      return `a ${node.type}`;
  }
}
