import * as path from 'node:path';
import ts from 'typescript';

/** A require() in the compiled package whose target is not one of the package's files. */
export interface BrokenRequire {
  /** The requiring file, relative to the package root. */
  file: string;
  line: number;
  specifier: string;
  /** Where it points, relative to the package root ("../contracts" when it leaves the package). */
  target: string;
}

/** Every `require('<literal>')` call of a compiled file, found with TypeScript's parser (strings and comments are not calls). */
export function requiresOf(file: string, text: string): { specifier: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found: { specifier: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      node.arguments.length > 0
    ) {
      const first = node.arguments[0]!;
      if (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) {
        found.push({ specifier: first.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The files a mini-program require() may load, as WeChat's module system resolves it: a path relative to the
 * requiring file (or, with a leading slash, to the package root), with or without `.js`, or a folder's index.js;
 * a bare name from the nearest miniprogram_npm/ (构建 npm). WXS modules require .wxs files by their full name.
 */
function candidates(file: string, specifier: string): { target: string; paths: string[] } {
  const expand = (base: string): string[] =>
    file.endsWith('.wxs') ? [base] : [base, `${base}.js`, `${base}/index.js`];
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const base = specifier.startsWith('/')
      ? path.posix.normalize(specifier.slice(1))
      : path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    return { target: base, paths: expand(base) };
  }
  const paths: string[] = [];
  for (let dir = path.posix.dirname(file); ; dir = path.posix.dirname(dir)) {
    paths.push(...expand(path.posix.join(dir === '.' ? '' : dir, 'miniprogram_npm', specifier)));
    if (dir === '.' || dir === '/' || dir === '') break;
  }
  return { target: `miniprogram_npm/${specifier}`, paths };
}

/**
 * Checks every require() of the compiled package's .js and .wxs files against the package's own file list: a
 * require of anything else (a value imported from contracts/ or server/, a package never built into
 * miniprogram_npm/) compiles and uploads fine, then throws on the phone when the page loads.
 */
export function brokenRequires(files: Readonly<Record<string, string | Buffer>>): BrokenRequire[] {
  const names = new Set(Object.keys(files).map((name) => name.replace(/^\/+/, '')));
  const broken: BrokenRequire[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = name.replace(/^\/+/, '');
    if (!file.endsWith('.js') && !file.endsWith('.wxs')) continue;
    const text = typeof content === 'string' ? content : content.toString('utf8');
    for (const { specifier, line } of requiresOf(file, text)) {
      const { target, paths } = candidates(file, specifier);
      if (paths.some((candidate) => names.has(candidate))) continue;
      broken.push({ file, line, specifier, target });
    }
  }
  return broken.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

export function formatBrokenRequire(broken: BrokenRequire): string {
  const where = broken.target.startsWith('..')
    ? `${broken.target}, outside the mini-program root`
    : `${broken.target}, not in the package`;
  return `${broken.file}:${broken.line} requires "${broken.specifier}" (${where}): the page fails on a phone when it loads`;
}
