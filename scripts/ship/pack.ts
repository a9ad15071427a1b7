import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFERRED_FILE } from '../sdk-defer';
import { bundleFunction, functionEntry } from './bundle';
import { formatBytes, MAIN_PACKAGE_LIMIT, SUBPACKAGE_LIMIT, TOTAL_LIMIT, unwantedReason } from './contents';
import { isRecord, readJson } from './json';
import { formatProblem, ShipError } from './problems';
import { functionNames, listFiles, rel, type PackOption, type ShipProject } from './project';
import { readTriggers, type TimerTrigger } from './triggers';
import { brokenRequires, formatBrokenRequire, requiresOf, type BrokenRequire } from './requires';
import { logsToStderr, offlineProject, type CiTask, type LoadedCi } from './tools';

export interface ShippedFile {
  path: string;
  bytes: number;
  /** Why this file should not ship, when it should not. */
  unwanted?: string;
  /** Sources listing only: what DevTools compiles it to (app.ts -> app.js). */
  becomes?: string;
}

export interface PackageSize {
  /** "main" or the subpackage root. */
  name: string;
  bytes: number;
  limit: number;
}

export interface MiniprogramPackage {
  /** compiled: miniprogram-ci's output, exactly what uploads; sources: the files it would compile (no tools). */
  kind: 'compiled' | 'sources';
  files: ShippedFile[];
  packages: PackageSize[];
  total: number;
  notes: string[];
  zip?: { path: string; bytes: number };
  /** Compiled only: how many require() calls the .js and .wxs files make, and those whose target is not shipped. */
  requires?: { count: number; broken: BrokenRequire[] };
}

export interface FunctionPackage {
  name: string;
  /** The folder that uploads, relative to the project root. */
  dir: string;
  files: ShippedFile[];
  /** Files of cloudfunctions/<fn>/ kept out of the upload, and why. */
  leftOut: { path: string; reason: string }[];
  bytes: number;
  /** Timer triggers from its config.json: the upload does not install them, cloud.createTimeTrigger does. */
  triggers: TimerTrigger[];
}

/** Where `npm run package` and the deploy dry run put what they build (git-ignored: dist/). */
export function outputDir(project: ShipProject): string {
  return path.join(project.root, 'dist', 'package');
}

/** Subpackage roots from app.json (subpackages or subPackages), without slashes at either end. */
function subpackageRoots(project: ShipProject): string[] {
  const appJson = path.join(project.miniprogramRoot, 'app.json');
  if (!fs.existsSync(appJson)) return [];
  const parsed = readJson(appJson, rel(project, appJson));
  if (!parsed.ok || !isRecord(parsed.value)) return [];
  const subs = parsed.value['subpackages'] ?? parsed.value['subPackages'];
  if (!Array.isArray(subs)) return [];
  return subs
    .map((sub) => (isRecord(sub) && typeof sub['root'] === 'string' ? sub['root'].replace(/^\/|\/$/g, '') : ''))
    .filter(Boolean);
}

function sizes(project: ShipProject, files: readonly ShippedFile[]): { packages: PackageSize[]; total: number } {
  const roots = subpackageRoots(project);
  const packages: PackageSize[] = [
    { name: 'main', bytes: 0, limit: MAIN_PACKAGE_LIMIT },
    ...roots.map((root) => ({ name: root, bytes: 0, limit: SUBPACKAGE_LIMIT })),
  ];
  for (const file of files) {
    const owner = packages.find((p) => p.name !== 'main' && file.path.startsWith(`${p.name}/`)) ?? packages[0]!;
    owner.bytes += file.bytes;
  }
  return { packages, total: files.reduce((sum, file) => sum + file.bytes, 0) };
}

/** The mini-program as DevTools builds it: miniprogram-ci's getCompiledResult, offline, and its zip. */
export async function compileMiniprogram(project: ShipProject, loaded: LoadedCi): Promise<MiniprogramPackage> {
  const notes: string[] = [];
  const ciProject = offlineProject(loaded.ci, {
    appid: project.appid || 'wx0000000000000000',
    type: 'miniProgram',
    projectPath: project.root,
    ignores: ['node_modules/**/*'],
  });
  const zipPath = path.join(outputDir(project), 'miniprogram.zip');
  fs.mkdirSync(path.dirname(zipPath), { recursive: true });
  let result: Record<string, string | Buffer>;
  try {
    result = await logsToStderr(() =>
      loaded.ci.getCompiledResult(
        {
          project: ciProject,
          version: '0.0.0',
          setting: { useProjectConfig: true },
          onProgressUpdate: (task: CiTask | string) => {
            // Keep what a DevTools user would see as a warning: files the code analyser leaves out, and the like.
            if (typeof task !== 'string' && task.status === 'warn' && task.message) notes.push(task.message);
          },
        },
        zipPath,
      ),
    );
  } catch (error) {
    throw new ShipError(`miniprogram-ci could not compile the mini-program: ${describe(error)}`);
  }
  const files = Object.entries(result)
    .map(([file, content]) => {
      const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
      const unwanted = unwantedReason(file, content);
      return unwanted ? { path: file, bytes, unwanted } : { path: file, bytes };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
  const count = Object.entries(result)
    .filter(([file]) => file.endsWith('.js') || file.endsWith('.wxs'))
    .reduce((sum, [file, content]) => sum + requiresOf(file, content.toString()).length, 0);
  return {
    kind: 'compiled',
    files,
    ...sizes(project, files),
    notes,
    zip: { path: rel(project, zipPath), bytes: fs.statSync(zipPath).size },
    requires: { count, broken: brokenRequires(result) },
  };
}

/** Without miniprogram-ci: the files under the mini-program root that it would read (packOptions.ignore applied). */
export function miniprogramSources(project: ShipProject): MiniprogramPackage {
  const notes: string[] = [];
  const files: ShippedFile[] = [];
  for (const file of listFiles(project.miniprogramRoot).filter((f) => !ignoredByPackOptions(project, f))) {
    // tsconfig.json only steers DevTools' TypeScript plugin; its code analyser leaves it out of the upload.
    if (/(^|\/)tsconfig[^/]*\.json$/.test(file)) {
      notes.push(`not uploaded: ${file} (compiler configuration)`);
      continue;
    }
    const absolute = path.join(project.miniprogramRoot, file);
    const bytes = fs.statSync(absolute).size;
    if (file.endsWith('.ts') && !file.endsWith('.d.ts')) {
      files.push({ path: file, bytes, becomes: file.replace(/\.ts$/, '.js') });
      continue;
    }
    const unwanted = unwantedReason(file, fs.readFileSync(absolute));
    files.push(unwanted ? { path: file, bytes, unwanted } : { path: file, bytes });
  }
  return { kind: 'sources', files, ...sizes(project, files), notes };
}

function ignoredByPackOptions(project: ShipProject, file: string): boolean {
  const prefix = path.relative(project.root, project.miniprogramRoot).split(path.sep).join('/');
  const fromRoot = prefix ? `${prefix}/${file}` : file;
  return project.packIgnore.some((option: PackOption) => {
    const value = option.value.replace(/^\.?\//, '');
    switch (option.type) {
      case 'file':
        return fromRoot === value || file === value;
      case 'folder':
        return fromRoot.startsWith(`${value.replace(/\/$/, '')}/`) || file.startsWith(`${value.replace(/\/$/, '')}/`);
      case 'suffix':
        return file.endsWith(option.value);
      case 'prefix':
        return path.posix.basename(file).startsWith(option.value);
      case 'regexp':
        return new RegExp(option.value).test(fromRoot);
      default:
        return false;
    }
  });
}

/**
 * Each cloud function as it uploads: cloudfunctions/<fn>/ with index.js and sdk-deferred.js freshly bundled (the
 * same bundleFunction as scripts/build.ts, wx-server-sdk inside, so the cloud installs nothing) and without what
 * must not ship (src/, TypeScript, maps, node_modules). Written to dist/package/cloudfunctions/<fn>/, the folder the
 * deploy uploads.
 */
export async function stageFunctions(project: ShipProject): Promise<FunctionPackage[]> {
  const staged: FunctionPackage[] = [];
  const root = path.join(outputDir(project), 'cloudfunctions');
  fs.rmSync(root, { recursive: true, force: true });
  for (const name of functionNames(project)) {
    const source = path.join(project.cloudfunctionRoot, name);
    const target = path.join(root, name);
    fs.mkdirSync(target, { recursive: true });
    const entry = functionEntry(project, name);
    if (!entry) throw new ShipError(`${rel(project, source)}: no src/index.ts or index.js to deploy`);
    const { triggers, problems } = readTriggers(project, name);
    if (problems.length > 0) throw new ShipError(problems.map(formatProblem).join('\n'));
    const bundled = await bundleFunction(project, name, entry, path.join(target, 'index.js'));
    if (!bundled.ok) throw new ShipError(bundled.problems.map(formatProblem).join('\n'));
    const leftOut: { path: string; reason: string }[] = [];
    for (const file of listFiles(source, ['.git'])) {
      // index.js and the side file are the build output we just replaced with a fresh bundle.
      if (file === 'index.js' || file === DEFERRED_FILE || file === 'bundle.in-memory.js') continue;
      const absolute = path.join(source, file);
      const reason = unwantedReason(file, fs.readFileSync(absolute));
      if (reason) {
        leftOut.push({ path: file, reason });
        continue;
      }
      fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
      fs.copyFileSync(absolute, path.join(target, file));
    }
    const files = listFiles(target).map((file) => ({ path: file, bytes: fs.statSync(path.join(target, file)).size }));
    staged.push({
      name,
      dir: rel(project, target),
      files,
      leftOut: collapse(leftOut),
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
      triggers,
    });
  }
  return staged;
}

/** node_modules/** and src/** as one line each: the listing is for reading. */
function collapse(leftOut: { path: string; reason: string }[]): { path: string; reason: string }[] {
  const out = new Map<string, string>();
  for (const item of leftOut) {
    const nm = /^(.*?node_modules)\//.exec(item.path);
    out.set(nm ? `${nm[1]!}/` : item.path, item.reason);
  }
  return [...out].map(([file, reason]) => ({ path: file, reason }));
}

export function packageProblems(pkg: MiniprogramPackage): string[] {
  const problems: string[] = [];
  for (const size of pkg.packages) {
    if (size.bytes > size.limit) {
      problems.push(
        `${size.name === 'main' ? 'main package' : `subpackage ${size.name}`} is ${formatBytes(size.bytes)}, over the ${formatBytes(size.limit)} limit`,
      );
    }
  }
  if (pkg.total > TOTAL_LIMIT)
    problems.push(`all packages together are ${formatBytes(pkg.total)}, over ${formatBytes(TOTAL_LIMIT)}`);
  for (const file of pkg.files) if (file.unwanted) problems.push(`${file.path} should not ship: ${file.unwanted}`);
  for (const broken of pkg.requires?.broken ?? []) problems.push(formatBrokenRequire(broken));
  return problems;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (isRecord(error) && typeof error['message'] === 'string') return error['message'];
  return JSON.stringify(error);
}
