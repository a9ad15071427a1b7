/**
 * devcloud's import graph, read from its sources with TypeScript's own import scanner: every `import`, `export ...
 * from`, `import type`, `require()` and `import()` of a relative path, resolved to a file. Tests only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve, sep } from 'path';
import * as ts from 'typescript';

export const DEVCLOUD = resolve(__dirname, '..', '..');

/** Not devcloud's own code: its tests, its example project (a project of its own), installed packages. */
const OUTSIDE = new Set(['node_modules', 'test', 'examples', '.devcloud']);

const SOURCE = /\.(ts|tsx|js|mjs|cjs)$/;

/** Every file of devcloud outside its tests and examples, relative to devcloud/ with '/' separators. */
export function devcloudFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (dir === DEVCLOUD && OUTSIDE.has(name)) continue;
        if (name === 'node_modules') continue;
        walk(path);
      } else out.push(relative(DEVCLOUD, path).split(sep).join('/'));
    }
  };
  walk(DEVCLOUD);
  return out.sort();
}

/** devcloud's modules: its source files (not .d.ts declarations). */
export function devcloudModules(): string[] {
  return devcloudFiles().filter((file) => SOURCE.test(file) && !file.endsWith('.d.ts'));
}

/** What a relative specifier names, as TypeScript and Node resolve it: a file, or a folder's index. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = resolve(DEVCLOUD, dirname(from), specifier);
  const candidates = [
    base,
    ...['.ts', '.tsx', '.js', '.d.ts'].map((ext) => base + ext),
    ...['index.ts', 'index.tsx', 'index.js'].map((index) => join(base, index)),
  ];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return found === undefined ? undefined : relative(DEVCLOUD, found).split(sep).join('/');
}

export interface ImportEdge {
  from: string;
  /** The imported file, relative to devcloud/ ('../x' when it lies outside devcloud). */
  to: string;
  specifier: string;
}

/** The relative imports of one source text (a file of devcloud, or a sample placed at `file`). */
export function importsOf(file: string, text: string): ImportEdge[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map((entry) => entry.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => {
      const to = resolveSpecifier(file, specifier);
      if (to === undefined) throw new Error(`${file}: cannot resolve ${specifier}`);
      return { from: file, to, specifier };
    });
}

/** Every edge between devcloud's modules (and any arrow out of devcloud by a relative path). */
export function importGraph(): ImportEdge[] {
  return devcloudModules().flatMap((file) => importsOf(file, readFileSync(join(DEVCLOUD, file), 'utf8')));
}

/** The room a file lies in: its top folder, or '.' for a file loose at devcloud's root. */
export function roomOf(file: string): string {
  return file.startsWith('..') ? '(outside devcloud)' : file.includes('/') ? file.slice(0, file.indexOf('/')) : '.';
}

/** The circles of a graph (strongly connected components with more than one file, or a file importing itself). */
export function circles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (next.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}
