import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRecord, readJson } from '../ship/json';
import { lineOf, type Problem } from '../ship/problems';
import { listFiles, rel, type ShipProject } from '../ship/project';
import type { CheckResult } from './types';

const SCRIPT_EXTENSIONS = ['.ts', '.js'];

/**
 * The mini-program's JSON as DevTools reads it at compile time: app.json lists every page directory and nothing
 * else, each listed page has its four files (.json, .wxml, .wxss, .ts/.js), every page and component .json is valid
 * JSON, and each usingComponents path resolves to a component.
 */
export async function checkConfig(project: ShipProject): Promise<CheckResult> {
  const root = project.miniprogramRoot;
  const problems: Problem[] = [];
  const appJsonPath = path.join(root, 'app.json');
  const appFile = rel(project, appJsonPath);
  if (!fs.existsSync(appJsonPath)) {
    return {
      problems: [{ file: appFile, message: 'missing: DevTools cannot compile a mini-program without app.json' }],
      summary: 'app.json',
    };
  }
  const app = readJson(appJsonPath, appFile);
  if (!app.ok) return { problems: [app.problem], summary: 'app.json' };
  if (!isRecord(app.value))
    return { problems: [{ file: appFile, line: 1, message: 'must be a JSON object' }], summary: 'app.json' };
  const appText = app.text;
  const at = (needle: string): number | undefined => lineOf(appText, needle);

  // Pages: main package, then each subpackage (root + page).
  const listed: { page: string; line: number | undefined }[] = [];
  const pageRoots = [''];
  const pages = app.value['pages'];
  if (!Array.isArray(pages) || pages.length === 0) {
    problems.push({
      file: appFile,
      line: at('"pages"') ?? 1,
      message: '"pages" must be a non-empty array of page paths',
    });
  } else {
    for (const page of pages) listed.push(...pageEntry(page, '', appFile, at, problems));
  }
  const subpackages = app.value['subpackages'] ?? app.value['subPackages'];
  if (subpackages !== undefined) {
    if (!Array.isArray(subpackages)) {
      problems.push({
        file: appFile,
        line: at('ubPackages"') ?? at('ubpackages"'),
        message: '"subpackages" must be an array',
      });
    } else {
      for (const sub of subpackages) {
        const subRoot =
          isRecord(sub) && typeof sub['root'] === 'string' ? sub['root'].replace(/^\/|\/$/g, '') : undefined;
        if (subRoot === undefined || !isRecord(sub) || !Array.isArray(sub['pages'])) {
          problems.push({
            file: appFile,
            line: at('"root"'),
            message: 'each subpackage needs a "root" string and a "pages" array',
          });
          continue;
        }
        pageRoots.push(subRoot);
        for (const page of sub['pages']) listed.push(...pageEntry(page, `${subRoot}/`, appFile, at, problems));
      }
    }
  }

  const files = new Set(listFiles(root));
  const seen = new Set<string>();
  for (const { page, line } of listed) {
    if (seen.has(page)) problems.push({ file: appFile, line, message: `lists "${page}" twice` });
    seen.add(page);
    const missing = ['.json', '.wxml', '.wxss'].filter((ext) => !files.has(`${page}${ext}`));
    if (!SCRIPT_EXTENSIONS.some((ext) => files.has(`${page}${ext}`))) missing.push('.ts (or .js)');
    if (missing.length > 0) {
      const names = missing.map((ext) => rel(project, path.join(root, `${page}${ext}`)));
      problems.push({ file: appFile, line, message: `lists page "${page}", but it has no ${names.join(', ')}` });
    }
  }

  // Page directories on disk: any folder under <root>/pages (main package or a subpackage) holding a .wxml.
  const listedDirs = new Set(listed.map(({ page }) => path.posix.dirname(page)));
  const pageDirs = new Set(
    [...files]
      .filter((file) => file.endsWith('.wxml'))
      .map((file) => path.posix.dirname(file))
      .filter((dir) => pageRoots.some((subRoot) => `${dir}/`.startsWith(subRoot ? `${subRoot}/pages/` : 'pages/'))),
  );
  for (const dir of [...pageDirs].sort()) {
    if (!listedDirs.has(dir)) {
      problems.push({
        file: appFile,
        line: at('"pages"'),
        message: `does not list the page directory ${rel(project, path.join(root, dir))} (add "${dir}/${path.posix.basename(dir)}" to pages, or move it out of pages/)`,
      });
    }
  }

  // Pages that app.json names elsewhere must be listed pages.
  const mustBeListed = (value: unknown, what: string): void => {
    if (typeof value === 'string' && !seen.has(value.replace(/^\//, '').replace(/\.html$/, ''))) {
      problems.push({ file: appFile, line: at(`"${value}"`), message: `${what} "${value}" is not a listed page` });
    }
  };
  mustBeListed(app.value['entryPagePath'], 'entryPagePath');
  const tabBar = app.value['tabBar'];
  if (isRecord(tabBar) && Array.isArray(tabBar['list'])) {
    for (const item of tabBar['list']) if (isRecord(item)) mustBeListed(item['pagePath'], 'tabBar pagePath');
  }
  const sitemap = app.value['sitemapLocation'];
  if (typeof sitemap === 'string') {
    const sitemapPath = path.join(root, sitemap);
    if (!fs.existsSync(sitemapPath)) {
      problems.push({
        file: appFile,
        line: at('"sitemapLocation"'),
        message: `sitemapLocation ${rel(project, sitemapPath)} does not exist`,
      });
    } else {
      const parsed = readJson(sitemapPath, rel(project, sitemapPath));
      if (!parsed.ok) problems.push(parsed.problem);
    }
  }

  // Every page and component JSON (the .json beside a .wxml), and the components they use.
  const componentJsons = [...files].filter(
    (file) => file.endsWith('.json') && files.has(file.replace(/\.json$/, '.wxml')),
  );
  const declaredComponents = new Set<string>();
  checkUsingComponents(project, appJsonPath, appText, app.value, declaredComponents, problems);
  for (const file of componentJsons) {
    const absolute = path.join(root, file);
    const parsed = readJson(absolute, rel(project, absolute));
    if (!parsed.ok) {
      problems.push(parsed.problem);
      continue;
    }
    if (!isRecord(parsed.value)) {
      problems.push({ file: rel(project, absolute), line: 1, message: 'must be a JSON object' });
      continue;
    }
    checkUsingComponents(project, absolute, parsed.text, parsed.value, declaredComponents, problems);
  }
  for (const component of [...declaredComponents].sort()) {
    const parsed = readJson(component, rel(project, component));
    if (parsed.ok && isRecord(parsed.value) && parsed.value['component'] !== true) {
      problems.push({
        file: rel(project, component),
        line: 1,
        message: 'is used as a component (usingComponents) but does not declare "component": true',
      });
    }
  }

  return {
    problems,
    summary: `app.json (${listed.length} pages), ${componentJsons.length} page/component json, ${declaredComponents.size} components used`,
  };
}

function pageEntry(
  page: unknown,
  prefix: string,
  appFile: string,
  at: (needle: string) => number | undefined,
  problems: Problem[],
): { page: string; line: number | undefined }[] {
  if (typeof page !== 'string') {
    problems.push({
      file: appFile,
      line: at('"pages"'),
      message: `page entries must be strings, found ${JSON.stringify(page)}`,
    });
    return [];
  }
  const line = at(`"${page}"`);
  if (page.startsWith('/') || /\.(ts|js|wxml|wxss|json)$/.test(page)) {
    problems.push({
      file: appFile,
      line,
      message: `"${page}": a page path has no leading "/" and no extension (e.g. "pages/index/index")`,
    });
    return [];
  }
  return [{ page: `${prefix}${page}`, line }];
}

function checkUsingComponents(
  project: ShipProject,
  jsonPath: string,
  text: string,
  json: Record<string, unknown>,
  declared: Set<string>,
  problems: Problem[],
): void {
  const using = json['usingComponents'];
  if (using === undefined) return;
  const file = rel(project, jsonPath);
  if (!isRecord(using)) {
    problems.push({
      file,
      line: lineOf(text, '"usingComponents"'),
      message: '"usingComponents" must be an object of tag: path',
    });
    return;
  }
  for (const [tag, target] of Object.entries(using)) {
    const line = lineOf(text, `"${tag}"`, text.indexOf('"usingComponents"'));
    if (typeof target !== 'string' || target === '') {
      problems.push({ file, line, message: `usingComponents "${tag}": the path must be a non-empty string` });
      continue;
    }
    // Plugin components come from WeChat at run time; nothing local to resolve.
    if (/^plugin(-private)?:\/\//.test(target)) continue;
    const found = resolveComponent(project.miniprogramRoot, path.dirname(jsonPath), target);
    if (found) declared.add(found);
    else
      problems.push({
        file,
        line,
        message: `usingComponents "${tag}": "${target}" does not resolve to a component (.json + .wxml + .ts/.js)`,
      });
  }
}

/** How WeChat resolves a usingComponents path: relative, root-absolute, then miniprogram_npm up the tree. */
function resolveComponent(root: string, fromDir: string, target: string): string | undefined {
  const bases: string[] = [];
  if (target.startsWith('/')) bases.push(path.join(root, target));
  else {
    bases.push(path.join(fromDir, target));
    if (!target.startsWith('.')) {
      for (let dir = fromDir; dir.startsWith(root); dir = path.dirname(dir)) {
        bases.push(path.join(dir, 'miniprogram_npm', target));
        if (dir === root) break;
      }
    }
  }
  for (const base of bases) {
    for (const candidate of [base, path.join(base, 'index')]) {
      const complete =
        fs.existsSync(`${candidate}.json`) &&
        fs.existsSync(`${candidate}.wxml`) &&
        SCRIPT_EXTENSIONS.some((ext) => fs.existsSync(`${candidate}${ext}`));
      if (complete) return `${candidate}.json`;
    }
  }
  return undefined;
}
