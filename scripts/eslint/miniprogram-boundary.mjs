// ESLint rule `kit/miniprogram-boundary`: what a mini-program file may import from outside miniprogram/.
//
// WeChat DevTools (and miniprogram-ci) compile and upload only what lies inside the mini-program root, so any import
// that survives compilation and points outside it becomes a require() of a file the phone does not have. The rule
// resolves every module reference against the file's own folder, at any depth, and allows:
// - anything that resolves inside the mini-program root;
// - type-only imports from the shared contract folders (contracts/): TypeScript erases them;
// - type-only imports of packages (typings); a package value import only when miniprogram_npm/ holds it (构建 npm).
// Everything else is an error, including type-only imports of other folders (core/, cloudbase/, server/, verifier/, cloudfunctions/,
// ...): the client's view of the server is contracts/, and a type from server code pulls the server's types (and
// wx-server-sdk's) into the mini-program's type-check. test/check/miniprogram-boundary.test.ts plants each case.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folders whose code never reaches the client, named in the message so the fix is obvious. */
const SERVER_SIDE = ['core', 'cloudbase', 'server', 'verifier', 'cloudfunctions', 'devcloud'];

function inside(dir, target) {
  const relative = path.relative(dir, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** `pkg` or `@scope/pkg` of a bare specifier. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** True when an import declaration or re-export is erased by TypeScript: `import type`, or only inline types. */
function typeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  if (specifiers.length === 0) return false; // `import './x'` and `export * from` keep the require
  return specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

/** @type {import('eslint').Rule.RuleModule} */
export const miniprogramBoundary = {
  meta: {
    type: 'problem',
    docs: { description: 'mini-program code imports values only from inside the mini-program root' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          projectRoot: { type: 'string' },
          typesFrom: { type: 'array', items: { type: 'string' } },
        },
        required: ['root', 'projectRoot'],
        additionalProperties: false,
      },
    ],
    messages: {
      value:
        "value import of '{{specifier}}' resolves to {{target}}, outside miniprogram/: DevTools uploads only miniprogram/, so this require() fails on a phone. Use `import type`, or move the value inside miniprogram/",
      serverSide:
        "'{{specifier}}' resolves to {{target}}: {{folder}}/ is server-side code and never reaches the client, not even as types (share types through contracts/)",
      typesOutside:
        "'{{specifier}}' resolves to {{target}}: only contracts/ may be imported from outside miniprogram/, and only with `import type`",
      package:
        "value import of package '{{specifier}}': the mini-program has no miniprogram_npm/{{name}} (DevTools: 工具 > 构建 npm), so this require() fails on a phone",
    },
  },
  create(context) {
    const { root, projectRoot, typesFrom = [] } = context.options[0];
    const file = context.filename;
    if (!inside(root, file)) return {};
    const fromDir = path.dirname(file);

    const hasNpmPackage = (name) => {
      for (let dir = fromDir; inside(root, dir); dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, 'miniprogram_npm', name))) return true;
        if (dir === root) break;
      }
      return false;
    };

    const check = (node, specifier, isType) => {
      if (typeof specifier !== 'string') return;
      if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
        const name = packageName(specifier);
        if (!isType && !hasNpmPackage(name)) context.report({ node, messageId: 'package', data: { specifier, name } });
        return;
      }
      // A leading slash is the mini-program root in WeChat's module system.
      const target = specifier.startsWith('/') ? path.join(root, specifier) : path.resolve(fromDir, specifier);
      if (inside(root, target)) return;
      const shown = path.relative(projectRoot, target).split(path.sep).join('/') || '.';
      const folder = shown.split('/')[0];
      const data = { specifier, target: shown, folder };
      if (SERVER_SIDE.includes(folder)) context.report({ node, messageId: 'serverSide', data });
      else if (!isType) context.report({ node, messageId: 'value', data });
      else if (!typesFrom.some((dir) => inside(dir, target))) context.report({ node, messageId: 'typesOutside', data });
    };

    return {
      ImportDeclaration: (node) => check(node, node.source.value, typeOnly(node)),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, typeOnly(node)),
      ExportAllDeclaration: (node) => check(node, node.source.value, typeOnly(node)),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, false),
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' &&
        check(node, node.moduleReference.expression.value, node.importKind === 'type'),
      // `typeof import('../x')` and `import('../x').T` in type positions.
      TSImportType: (node) => {
        // typescript-eslint 8 names it `source`; older versions `argument` (a TSLiteralType).
        const literal = 'source' in node ? node.source : node.argument?.literal;
        if (literal && literal.type === 'Literal') check(node, literal.value, true);
      },
      CallExpression: (node) => {
        const [first] = node.arguments;
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && first?.type === 'Literal')
          check(node, first.value, false);
      },
    };
  },
};

export default { rules: { 'miniprogram-boundary': miniprogramBoundary } };
