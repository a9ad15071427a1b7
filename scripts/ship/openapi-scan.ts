import * as fs from 'node:fs';
import ts from 'typescript';

/**
 * Finds the cloud calls (openapi) a function's code makes, by reading the TypeScript/JavaScript syntax of every
 * file bundled into it. A call counts as named when the chain ends `<openapi>.<namespace>.<api>`, where
 * `<openapi>` is `x.openapi`, an identifier `openapi`, or a call of either (`openapi()`, `cloud.openapi({appid})`):
 * that covers `cloud.openapi.security.msgSecCheck(...)` and cloudbase/'s typed `openapi().phonenumber.getPhoneNumber(...)`.
 * Any other use of cloud.openapi hides which API is called and is reported, except the one sanctioned alias: a
 * function or variable named `openapi` that returns or holds it (its own uses are then checked by name).
 */
export interface OpenApiCall {
  api: string;
  file: string;
  line: number;
  column: number;
}

export interface UnnamedUse {
  file: string;
  line: number;
  column: number;
  text: string;
}

export interface OpenApiScan {
  calls: OpenApiCall[];
  unnamed: UnnamedUse[];
}

export function scanOpenApi(files: readonly string[]): OpenApiScan {
  const scan: OpenApiScan = { calls: [], unnamed: [] };
  for (const file of files) {
    const kind = /\.[cm]?tsx?$/.test(file) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, kind);
    const visit = (node: ts.Node): void => {
      if (isOpenApiReference(node) && !insideType(node)) classify(node, source, scan);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return scan;
}

/** `x.openapi` or a bare `openapi` identifier used as a value (not a declaration, import or property name). */
function isOpenApiReference(node: ts.Node): node is ts.Expression {
  if (ts.isPropertyAccessExpression(node)) return node.name.text === 'openapi';
  if (!ts.isIdentifier(node) || node.text !== 'openapi') return false;
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (
    (ts.isFunctionDeclaration(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isBindingElement(parent)) &&
    parent.name === node
  ) {
    return false;
  }
  return !(
    ts.isImportSpecifier(parent) ||
    ts.isExportSpecifier(parent) ||
    ts.isImportClause(parent) ||
    ts.isNamespaceImport(parent) ||
    ts.isImportEqualsDeclaration(parent)
  );
}

function insideType(node: ts.Node): boolean {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    if (ts.isTypeNode(current)) return true;
    if (ts.isStatement(current)) return false;
  }
  return false;
}

/** Skips the wrappers that do not change which object is meant: (x), x!, x as T, x satisfies T, <T>x. */
function outer(node: ts.Node): ts.Node {
  let current = node;
  while (
    ts.isParenthesizedExpression(current.parent) ||
    ts.isNonNullExpression(current.parent) ||
    ts.isAsExpression(current.parent) ||
    ts.isSatisfiesExpression(current.parent) ||
    ts.isTypeAssertionExpression(current.parent)
  ) {
    current = current.parent;
  }
  return current;
}

function memberName(node: ts.Node, object: ts.Node): string | undefined {
  if (ts.isPropertyAccessExpression(node) && node.expression === object) return node.name.text;
  if (
    ts.isElementAccessExpression(node) &&
    node.expression === object &&
    ts.isStringLiteralLike(node.argumentExpression)
  ) {
    return node.argumentExpression.text;
  }
  return undefined;
}

function classify(reference: ts.Expression, source: ts.SourceFile, scan: OpenApiScan): void {
  let object = outer(reference);
  // openapi() / cloud.openapi({ appid }): the call's result is the namespace holder.
  if (ts.isCallExpression(object.parent) && object.parent.expression === object) object = outer(object.parent);
  const namespaceNode = object.parent;
  const namespace = memberName(namespaceNode, object);
  if (namespace !== undefined) {
    const namespaceObject = outer(namespaceNode);
    const api = memberName(namespaceObject.parent, namespaceObject);
    if (api !== undefined) {
      const { line, character } = source.getLineAndCharacterOfPosition(reference.getStart(source));
      scan.calls.push({ api: `${namespace}.${api}`, file: source.fileName, line: line + 1, column: character + 1 });
      return;
    }
  }
  if (isSanctionedAlias(object)) return;
  const { line, character } = source.getLineAndCharacterOfPosition(reference.getStart(source));
  const statement = findStatement(reference);
  scan.unnamed.push({
    file: source.fileName,
    line: line + 1,
    column: character + 1,
    text: (statement ?? reference).getText(source).split('\n')[0]!.trim(),
  });
}

/** `function openapi() { return cloud.openapi as ... }`, `const openapi = () => cloud.openapi`, `const openapi = cloud.openapi`. */
function isSanctionedAlias(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent)) return ts.isIdentifier(parent.name) && parent.name.text === 'openapi';
  const inReturn = ts.isReturnStatement(parent) || ts.isArrowFunction(parent);
  if (!inReturn) return false;
  for (let current: ts.Node | undefined = parent; current; current = current.parent) {
    if (ts.isFunctionDeclaration(current) || ts.isFunctionExpression(current) || ts.isMethodDeclaration(current)) {
      return current.name !== undefined && ts.isIdentifier(current.name) && current.name.text === 'openapi';
    }
    if (ts.isArrowFunction(current)) {
      const holder = current.parent;
      return ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) && holder.name.text === 'openapi';
    }
  }
  return false;
}

function findStatement(node: ts.Node): ts.Node | undefined {
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (ts.isStatement(current)) return current;
  }
  return undefined;
}
