/**
 * The control API is its route tables (hub/routes/*.ts): README's route list is generated from them and must be
 * what they say; every route README's prose names, and every call the typed client, the simulated phone and the
 * console make, is a route of a table; a path in no table answers 404 NOT_FOUND.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { README, routeListMarkdown, ROUTE_LIST_BEGIN, ROUTE_LIST_END, withRouteList } from '../hub/route-list';
import { Router } from '../hub/router';
import { CONTROL_API } from '../hub/routes';
import { DEVCLOUD } from './support/import-graph';
import { startTestCloud, type TestCloud } from './support/cloud';

const readme = readFileSync(README, 'utf8');

/** Is `METHOD /path` (a concrete path, or one with `<name>` / `x` placeholders) a route of the tables? */
function isRoute(method: string, path: string): boolean {
  const concrete = path.replace(/<[^>]+>/g, 'x');
  return CONTROL_API.routes().some(({ route }) => {
    if (route.method !== method) return false;
    const pattern = route.path
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    return new RegExp(`^${pattern}$`).test(concrete);
  });
}

describe("README's route list", () => {
  test('is the one generated from the route tables (npx tsx devcloud/hub/route-list.ts rewrites it)', () => {
    const begin = readme.indexOf(ROUTE_LIST_BEGIN);
    const end = readme.indexOf(ROUTE_LIST_END);
    expect(begin).toBeGreaterThan(0);
    expect(readme.slice(begin, end + ROUTE_LIST_END.length)).toBe(routeListMarkdown());
  });

  test('lists every route of every table, once, under its group', () => {
    const list = routeListMarkdown();
    for (const group of CONTROL_API.groups) {
      expect(list).toContain(`### ${group.title}\n`);
      for (const route of group.routes) {
        const row = `| \`${route.method} /devcloud${route.path.replace(/:([A-Za-z]+)/g, '<$1>')}${route.query ?? ''}\` |`;
        expect(list.split(row)).toHaveLength(2);
      }
    }
  });

  test('a change to a table shows: the list generated from a changed table differs from README', () => {
    const changed = new Router(
      CONTROL_API.groups.map((group, index) =>
        index === 0 ? { ...group, routes: [...group.routes, { ...group.routes[0]!, path: '/new' }] } : group,
      ),
    );
    expect(routeListMarkdown(changed)).not.toBe(routeListMarkdown());
    expect(routeListMarkdown(changed)).toContain('| `GET /devcloud/new` |');
    expect(withRouteList(readme, routeListMarkdown(changed))).not.toBe(readme);
  });

  test('every control route named anywhere in README is in a table', () => {
    const named = [...readme.matchAll(/\b(GET|POST|PUT|DELETE) \/devcloud(\/[^\s`|,;)]*)/g)].map(
      ([, method, path]) => [method!, path!.replace(/\?.*$/, '').replace(/[.:]$/, '')] as const,
    );
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter(([method, path]) => !isRoute(method, path)).map((pair) => pair.join(' '))).toEqual([]);
  });
});

describe('the clients call only routes of the tables', () => {
  /** `METHOD /path` pairs in a source text, `${...}` parts as one segment. */
  function calls(text: string): Array<[string, string]> {
    const found: Array<[string, string]> = [];
    const normal = (path: string) => path.replace(/\$\{[^}]*\}/g, 'x').replace(/\?.*$/, '');
    for (const [, method, path] of text.matchAll(/'(GET|POST|PUT|DELETE)',\s*['`](\/[^'`]*)['`]/g))
      found.push([method!, normal(path!)]);
    // The device's ask(api, path, body): always a POST.
    for (const [, path] of text.matchAll(/\bask\b[^(]*\(\s*'[^']*',\s*'(\/[^']*)'/g)) found.push(['POST', path!]);
    // The console's api.get('/path') ...
    for (const [, method, , path] of text.matchAll(/\bapi\.(get|post|put|delete)\b[^(]*\(\s*(['`])(\/[^'`]*)\2/g))
      found.push([method!.toUpperCase(), normal(path!)]);
    return found;
  }
  const sources = (dir: string) =>
    readdirSync(join(DEVCLOUD, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.tsx?$/.test(file))
      .map((file) => readFileSync(join(DEVCLOUD, dir, file), 'utf8'));

  test.each(['phone', 'console'])('%s/', (dir) => {
    const made = sources(dir).flatMap(calls);
    expect(made.length).toBeGreaterThan(dir === 'phone' ? 40 : 15);
    expect(made.filter(([method, path]) => !isRoute(method, path)).map((pair) => pair.join(' '))).toEqual([]);
  });
});

describe('on a running devcloud', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(async () => {
    await t?.stop();
  });

  test('a path in no table answers 404 NOT_FOUND, a route of a table answers', async () => {
    const get = async (path: string, method = 'GET') => {
      const response = await fetch(`${t.control.url}/devcloud${path}`, { method });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    expect(await get('/nothing')).toEqual({ status: 404, body: { code: 'NOT_FOUND', message: 'GET /nothing' } });
    expect(await get('/info', 'DELETE')).toEqual({
      status: 404,
      body: { code: 'NOT_FOUND', message: 'DELETE /info' },
    });
    expect(await get('/info')).toMatchObject({ status: 200, body: { url: t.control.url } });
  });
});
