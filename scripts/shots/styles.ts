import { readFileSync } from 'fs';
import { dirname, isAbsolute, join } from 'path';

/**
 * The CSS of one page as WeChat applies it: app.wxss, the page's .wxss and those of the custom components it uses,
 * each scoped exactly as miniprogram-simulate scopes the DOM it builds (its own wxss module: `.name` becomes
 * `.<tagName>--name`, the page's tagName being `main`), with rpx turned into px for the phone's width and type
 * selectors (`page`, `view`, ...) pointed at the HTML elements html.ts makes.
 */

// simulate's own WXSS reader (follows @import) and scoper; no typings ship for its internals.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulateWxss = require('miniprogram-simulate/src/wxss') as {
  getContent(file: string): string;
  compile(wxss: string, options: { prefix: string }): string;
};

export const PHONE_WIDTH = 375;

/** The tag simulate gives the page itself (simulate.load without a tag name), and so its class prefix. */
export const PAGE_TAG = 'main';

/**
 * rpx as the base library converts it: width/750 px each, rounded down, except that a non-zero length never
 * becomes 0 (on an iPhone with 2x pixels it becomes a 0.5 px hairline, the case pictured here).
 */
export function rpxToPx(rpx: number, width = PHONE_WIDTH): number {
  if (rpx === 0) return 0;
  const px = Math.floor(Math.abs(rpx) * (width / 750) + 1e-4);
  return Math.sign(rpx) * (px === 0 ? 0.5 : px);
}

export function convertRpx(css: string): string {
  return css.replace(/(-?\d*\.?\d+)rpx\b/g, (_match, value: string) => `${rpxToPx(Number(value))}px`);
}

/** Every built-in component a WXSS type selector may name, and `page`, the page root. */
export const TYPE_SELECTORS = [
  'page',
  'view',
  'text',
  'button',
  'image',
  'input',
  'textarea',
  'form',
  'label',
  'checkbox',
  'checkbox-group',
  'navigator',
  'scroll-view',
  'rich-text',
];

/** `page .a, view>text` becomes `[data-wx="page"] .a, [data-wx="view"]>[data-wx="text"]`, selectors only. */
export function rewriteTypeSelectors(css: string): string {
  const names = TYPE_SELECTORS.join('|');
  const type = new RegExp(`(^|[\\s>+~,(])(${names})(?![-\\w])`, 'g');
  // A selector list is what stands between a `}` or `{` (or the start) and the next `{`, and is not an at-rule.
  return css.replace(/(^|[{}])([^{}@]+)\{/g, (_match, before: string, selectors: string) => {
    return `${before}${selectors.replace(type, (_m, lead: string, name: string) => `${lead}[data-wx="${name}"]`)}{`;
  });
}

interface StyleSource {
  file: string;
  prefix: string;
}

/** The page and, depth first, every custom component it uses, with the tag name simulate registers each under. */
function styleSources(
  componentPath: string,
  prefix: string,
  rootPath: string,
  seen = new Set<string>(),
): StyleSource[] {
  if (seen.has(componentPath)) return [];
  seen.add(componentPath);
  const json = JSON.parse(readFileSync(`${componentPath}.json`, 'utf8')) as {
    usingComponents?: Record<string, string>;
  };
  const sources: StyleSource[] = [{ file: `${componentPath}.wxss`, prefix }];
  for (const [tag, target] of Object.entries(json.usingComponents ?? {})) {
    // As simulate resolves them: "/x" from the mini-program root, anything else from the component's folder.
    const path = isAbsolute(target) ? join(rootPath, target) : join(dirname(componentPath), target);
    sources.push(...styleSources(path, tag, rootPath, seen));
  }
  return sources;
}

/** The page's CSS, in WeChat's order: app.wxss, the page, its components. */
export function pageCss(rootPath: string, page: string): string {
  const pagePath = join(rootPath, 'pages', page, page);
  const sources = [
    { file: join(rootPath, 'app.wxss'), prefix: PAGE_TAG },
    ...styleSources(pagePath, PAGE_TAG, rootPath),
  ];
  const compiled = sources.map(({ file, prefix }) => simulateWxss.compile(simulateWxss.getContent(file), { prefix }));
  return rewriteTypeSelectors(convertRpx(compiled.join('\n')));
}

/** What the WeChat client itself styles: vendored WeUI rules, then the built-in components and the client chrome. */
export function clientCss(): string {
  const read = (name: string) => readFileSync(join(__dirname, name), 'utf8');
  return rewriteTypeSelectors(read('weui.css') + '\n' + read('wechat.css'));
}
