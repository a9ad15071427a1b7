import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ShipError } from './problems';

/**
 * miniprogram-ci (WeChat's build and upload module, 276 MB with its dependencies) lives in its own package,
 * tools/, installed on first use by `npm run package` / `npm run deploy` with `npm ci --prefix tools`, so the
 * root install, the tests and CI never download it. SHIP_TOOLS_DIR points elsewhere (tests use an empty folder).
 */
export function toolsDir(): string {
  return process.env['SHIP_TOOLS_DIR'] ?? path.join(__dirname, '..', '..', 'tools');
}

/** The subset of miniprogram-ci's API we use, typed here because its package is not installed at the root. */
export interface CiProjectOptions {
  appid: string;
  type: 'miniProgram';
  projectPath: string;
  privateKey?: string;
  ignores?: string[];
}

export interface CiProject {
  attr(): Promise<unknown>;
}

export interface CiTask {
  id?: string;
  message?: string;
  status?: string;
}

export interface CiCompileOptions {
  project: CiProject;
  version: string;
  desc?: string;
  robot?: number;
  setting?: { useProjectConfig?: boolean };
  onProgressUpdate?: (task: CiTask | string) => void;
}

export interface MiniprogramCi {
  Project: new (options: CiProjectOptions) => CiProject;
  DefaultProjectAttr?: Record<string, unknown>;
  getCompiledResult(options: CiCompileOptions, savePath?: string): Promise<Record<string, string | Buffer>>;
  upload(options: CiCompileOptions): Promise<{ subPackageInfo?: { name: string; size: number }[] }>;
  cloud: {
    uploadFunction(options: {
      project: CiProject;
      env: string;
      name: string;
      path: string;
      remoteNpmInstall: boolean;
    }): Promise<{ filesCount: number; packSize: number }>;
    /**
     * One trigger per call (WeChat: "目前仅支持一个触发器"). It catches every refusal itself and resolves to
     * '请检查传入的 triggersConfig 是否符合格式' instead of throwing: success is only '创建定时触发器成功'.
     */
    createTimeTrigger(options: {
      project: CiProject;
      envId: string;
      functionName: string;
      triggersConfig: { name: string; type: string; config: string }[];
    }): Promise<string>;
  };
}

export interface LoadedCi {
  ci: MiniprogramCi;
  version: string;
}

function installedVersion(dir: string): string | undefined {
  const file = path.join(dir, 'node_modules', 'miniprogram-ci', 'package.json');
  if (!fs.existsSync(file)) return undefined;
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version;
}

/** The version tools/package-lock.json pins: a different installed version means the lockfile moved on. */
function lockedVersion(dir: string): string | undefined {
  const lock = path.join(dir, 'package-lock.json');
  if (!fs.existsSync(lock)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(lock, 'utf8')) as { packages?: Record<string, { version?: string }> };
  return parsed.packages?.['node_modules/miniprogram-ci']?.version;
}

export function toolsInstalled(): boolean {
  const dir = toolsDir();
  const installed = installedVersion(dir);
  return installed !== undefined && (lockedVersion(dir) ?? installed) === installed;
}

/** Installs tools/ from its lockfile when missing or stale, then loads miniprogram-ci. Progress goes to stderr. */
export function loadCi(): LoadedCi {
  const dir = toolsDir();
  if (!toolsInstalled()) {
    if (!fs.existsSync(path.join(dir, 'package.json'))) throw new ShipError(`${dir}/package.json is missing`);
    const hasLock = fs.existsSync(path.join(dir, 'package-lock.json'));
    console.error(
      `installing miniprogram-ci into ${path.relative(process.cwd(), dir) || dir}/node_modules (first use: ~280 MB, about a minute)`,
    );
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = spawnSync(npm, [hasLock ? 'ci' : 'install', '--prefix', dir, '--no-audit', '--no-fund'], {
      stdio: ['ignore', process.stderr, process.stderr],
    });
    if (result.status !== 0) {
      throw new ShipError(
        `could not install miniprogram-ci (npm ${hasLock ? 'ci' : 'install'} --prefix ${dir} exited ${result.status ?? result.signal ?? '?'})`,
      );
    }
  }
  const toolsRequire = createRequire(path.join(dir, 'package.json'));
  const ci = logsToStderr(() => toolsRequire('miniprogram-ci') as MiniprogramCi);
  return { ci, version: installedVersion(dir) ?? '?' };
}

/** miniprogram-ci logs its progress with console.log: send it to stderr so stdout stays our report. */
export function logsToStderr<T>(run: () => T): T {
  const log = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
  try {
    const result = run();
    if (result instanceof Promise) {
      return result.finally(() => {
        console.log = log;
      }) as T;
    }
    console.log = log;
    return result;
  } catch (error) {
    console.log = log;
    throw error;
  }
}

/**
 * A miniprogram-ci project that compiles offline: attr() normally asks WeChat's servers (with the upload key) for
 * the account's limits; for a local build we answer with miniprogram-ci's own defaults (2 MB main package).
 */
export function offlineProject(ci: MiniprogramCi, options: CiProjectOptions): CiProject {
  const project = new ci.Project({ ...options, privateKey: options.privateKey ?? 'offline' });
  const attr = { ...(ci.DefaultProjectAttr ?? { setting: { MaxCodeSize: 2, MaxSubpackageSubCodeSize: 2 } }) };
  project.attr = () => Promise.resolve(attr);
  return project;
}
