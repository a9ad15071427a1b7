/**
 * README.md, README.zh-CN.md and docs/: short READMEs that link to each other, links and pictures that resolve, and
 * a DevTools quick start that names what the code needs (every function, collection, trigger and environment
 * variable), in both languages.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { dirname, join, resolve } from 'path';

const ROOT = join(__dirname, '..', '..');
const READMES = ['README.md', 'README.zh-CN.md'];
const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => join('docs', name));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Markdown links and <img src>, outside code blocks. */
function targets(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links = [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  const images = [...prose.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
  return [...links, ...images];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(text: string): Set<string> {
  const headings = text.replace(/```[\s\S]*?```/g, '').match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((heading) =>
      heading
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

test('each README links to the other at the top, and stays short', () => {
  for (const file of READMES) {
    const text = read(file);
    const other = READMES.find((name) => name !== file)!;
    expect(text.split('\n').slice(0, 5).join('\n')).toContain(`](${other})`);
    expect(text.split('\n').length).toBeLessThanOrEqual(250);
  }
});

test('every relative link and picture in README*.md and docs/*.md resolves, anchors included', () => {
  const broken: string[] = [];
  for (const file of [...READMES, ...DOCS]) {
    for (const target of targets(read(file))) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const absolute = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), decodeURI(path));
      if (!existsSync(absolute)) broken.push(`${file}: ${target}`);
      else if (anchor && absolute.endsWith('.md') && !anchors(readFileSync(absolute, 'utf8')).has(anchor))
        broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});

test('both READMEs show the same pictures and link the same pages', () => {
  const links = (file: string) =>
    new Set(targets(read(file)).filter((target) => !/^https?:/.test(target) && !READMES.includes(target)));
  expect([...links('README.zh-CN.md')].sort()).toEqual([...links('README.md')].sort());
});

test('the quick start names every function, collection, trigger and environment variable the code has', () => {
  const functions = readdirSync(join(ROOT, 'cloudfunctions')).filter((name) =>
    existsSync(join(ROOT, 'cloudfunctions', name, 'src', 'index.ts')),
  );
  const collections = readdirSync(join(ROOT, 'database-rules'))
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.replace(/\.json$/, ''));
  const withTriggers = functions.filter((name) => {
    const config = JSON.parse(read(join('cloudfunctions', name, 'config.json'))) as { triggers?: unknown[] };
    return (config.triggers ?? []).length > 0;
  });
  // Every variable the functions read (the runtime's own TENCENTCLOUD_* aside).
  const hostFiles = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name));
  const sources = [
    ...hostFiles('core'),
    ...hostFiles('cloudbase'),
    ...functions.flatMap((fn) =>
      readdirSync(join(ROOT, 'cloudfunctions', fn, 'src')).map((name) => join('cloudfunctions', fn, 'src', name)),
    ),
  ].filter((file) => file.endsWith('.ts'));
  const variables = new Set(
    sources.flatMap((file) => [...read(file).matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!)),
  );
  variables.forEach((name) => name.startsWith('TENCENTCLOUD_') && variables.delete(name));
  expect(variables.size).toBeGreaterThan(5);

  const missing: string[] = [];
  for (const file of READMES) {
    const text = read(file);
    const need = (what: string, found: boolean) => found || missing.push(`${file}: ${what}`);
    for (const name of functions) need(`function ${name}`, text.includes(`\`${name}\``));
    for (const name of collections) need(`collection ${name}`, text.includes(`\`${name}\``));
    for (const name of withTriggers)
      need(`the trigger of ${name}`, text.includes(`cloudfunctions/${name}/config.json`));
    for (const name of variables) need(`variable ${name}`, text.includes(name));
    for (const words of ['上传触发器', '基础库最低版本设置', '2.32.3', '16.13']) need(words, text.includes(words));
  }
  expect(missing).toEqual([]);
});
