import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRecord, readJson } from './json';
import { formatProblem, ShipError } from './problems';

/** The WeChat DevTools project as project.config.json describes it. Every script here starts from one of these. */
export interface ShipProject {
  /** Absolute path of the folder holding project.config.json. */
  root: string;
  miniprogramRoot: string;
  cloudfunctionRoot: string;
  /** The appid written in project.config.json (a placeholder until the user sets theirs). */
  appid: string;
  packIgnore: PackOption[];
}

export interface PackOption {
  type: string;
  value: string;
}

export const PLACEHOLDER_APPID = 'wxd0000000000000';

export function loadProject(root: string): ShipProject {
  const absoluteRoot = path.resolve(root);
  const configPath = path.join(absoluteRoot, 'project.config.json');
  if (!fs.existsSync(configPath)) throw new ShipError(`${absoluteRoot}: no project.config.json (not a WeChat project)`);
  const parsed = readJson(configPath, 'project.config.json');
  if (!parsed.ok) throw new ShipError(formatProblem(parsed.problem));
  const config = isRecord(parsed.value) ? parsed.value : {};
  const dir = (key: string, fallback: string): string =>
    path.join(absoluteRoot, typeof config[key] === 'string' ? config[key] : fallback);
  const packOptions = isRecord(config['packOptions']) ? config['packOptions'] : {};
  const ignore = Array.isArray(packOptions['ignore']) ? packOptions['ignore'] : [];
  return {
    root: absoluteRoot,
    miniprogramRoot: dir('miniprogramRoot', 'miniprogram/'),
    cloudfunctionRoot: dir('cloudfunctionRoot', 'cloudfunctions/'),
    appid: typeof config['appid'] === 'string' ? config['appid'] : '',
    packIgnore: ignore.filter(
      (item): item is PackOption =>
        isRecord(item) && typeof item['type'] === 'string' && typeof item['value'] === 'string',
    ),
  };
}

/** Project-relative path with forward slashes, as every report prints it. */
export function rel(project: ShipProject, absolutePath: string): string {
  return path.relative(project.root, absolutePath).split(path.sep).join('/');
}

/** Every file under `dir`, relative to it with forward slashes, sorted; node_modules and .git are never walked. */
export function listFiles(dir: string, skipDirs: readonly string[] = ['node_modules', '.git']): string[] {
  const out: string[] = [];
  const walk = (absolute: string, prefix: string): void => {
    if (!fs.existsSync(absolute)) return;
    for (const entry of fs.readdirSync(absolute, { withFileTypes: true })) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skipDirs.includes(entry.name)) walk(path.join(absolute, entry.name), relative);
      } else if (entry.isFile()) {
        out.push(relative);
      }
    }
  };
  walk(dir, '');
  return out.sort();
}

/**
 * The cloud functions: every folder of the cloud function root that holds a function (src/index.ts, index.js or
 * package.json). Discovered, never listed by hand, so a new function is checked and packaged from its first commit.
 */
export function functionNames(project: ShipProject): string[] {
  if (!fs.existsSync(project.cloudfunctionRoot)) return [];
  return fs
    .readdirSync(project.cloudfunctionRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .map((entry) => entry.name)
    .filter((name) =>
      ['src/index.ts', 'index.js', 'package.json'].some((file) =>
        fs.existsSync(path.join(project.cloudfunctionRoot, name, file)),
      ),
    )
    .sort();
}
