/**
 * README's control API route list, generated from the route tables (routes/*.ts): one heading, intro and table per
 * group. `npx tsx devcloud/hub/route-list.ts` rewrites it in devcloud/README.md; test/control-routes.test.ts
 * fails when README and the tables differ.
 */
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import type { Router } from './router';
import { CONTROL_API } from './routes';

export const ROUTE_LIST_BEGIN =
  '<!-- The route list below is generated from hub/routes/*.ts: `npx tsx devcloud/hub/route-list.ts` rewrites it. -->';
export const ROUTE_LIST_END = '<!-- End of the generated route list. -->';

/** A table cell: `|` would end it. */
const cell = (text: string | undefined) => (text ? ` ${text.replace(/\|/g, '\\|')} ` : ' ');

/** Prose in README's width (120 characters), broken between words. */
function wrap(text: string, width = 120): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** A route as README names it: `:name` parameters as `<name>`, then the query it reads. */
export function routeTitle(method: string, path: string, query = ''): string {
  return `${method} /devcloud${path.replace(/:([A-Za-z]+)/g, '<$1>')}${query}`;
}

export function routeListMarkdown(router: Router = CONTROL_API): string {
  const sections = router.groups.map((group) =>
    [
      `### ${group.title}`,
      '',
      ...wrap(group.intro),
      '',
      '| route | body | answer |',
      '| --- | --- | --- |',
      ...group.routes.map(
        (route) =>
          `|${[`\`${routeTitle(route.method, route.path, route.query)}\``, route.takes, route.answers].map(cell).join('|')}|`,
      ),
    ].join('\n'),
  );
  return [ROUTE_LIST_BEGIN, '', sections.join('\n\n'), '', ROUTE_LIST_END].join('\n');
}

/** README's text with its route list replaced by `list`. */
export function withRouteList(readme: string, list: string): string {
  const begin = readme.indexOf(ROUTE_LIST_BEGIN);
  const end = readme.indexOf(ROUTE_LIST_END);
  if (begin < 0 || end < begin) throw new Error('README has no generated route list (its markers are missing)');
  return readme.slice(0, begin) + list + readme.slice(end + ROUTE_LIST_END.length);
}

export const README = join(__dirname, '..', 'README.md');

// Run as a script (`npx tsx devcloud/hub/route-list.ts`), not imported.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === __filename) {
  writeFileSync(README, withRouteList(readFileSync(README, 'utf8'), routeListMarkdown()));
  process.stdout.write(`${README}: the route list is regenerated\n`);
}
