import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { ShipError } from './problems';

/**
 * WeChat's own template and style compilers, wcc (WXML) and wcsc (WXSS), as the miniprogram-compiler package ships
 * them. We call the binaries directly rather than through the package's wrappers: those throw for WXML but return
 * (not throw) an Error for WXSS, and stop at the first error; here every broken file gets its own file:line.
 */
export interface CompilerError {
  /** Path relative to the mini-program root, as the compiler printed it. */
  file: string;
  line?: number;
  column?: number;
  message: string;
  /** For "`a.wxss` not found from `b.wxss`": the path that was imported. */
  missingImport?: string;
}

type Tool = 'wcc' | 'wcsc';

const PLATFORM_DIR: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'mac', win32: 'windows' };

const resolved = new Map<Tool, string>();

/**
 * The binary, executable. The package is published without the execute bit on wcsc and chmods at run time, which
 * fails on a read-only node_modules: then we run a copy from the temp folder instead.
 */
export function compilerPath(tool: Tool, fromDir: string): string {
  const cached = resolved.get(tool);
  if (cached) return cached;
  let packageDir: string;
  try {
    // Resolved from the project first, then from this script's own install.
    const resolveFrom = (dir: string): string =>
      createRequire(path.join(dir, 'noop.js')).resolve('miniprogram-compiler/package.json');
    packageDir = path.dirname(tryResolve(() => resolveFrom(fromDir)) ?? resolveFrom(__dirname));
  } catch {
    throw new ShipError('miniprogram-compiler is not installed (it comes with miniprogram-simulate): run npm ci');
  }
  const platformDir = PLATFORM_DIR[process.platform];
  if (!platformDir) throw new ShipError(`miniprogram-compiler ships no ${tool} for ${process.platform}`);
  const binary = path.join(packageDir, 'bin', platformDir, process.platform === 'win32' ? `${tool}.exe` : tool);
  const usable = makeExecutable(binary) ?? makeExecutable(copyToTemp(binary, tool));
  if (!usable)
    throw new ShipError(`cannot make ${binary} executable (chmod failed, also on a copy in the temp folder)`);
  resolved.set(tool, usable);
  return usable;
}

function tryResolve(resolve: () => string): string | undefined {
  try {
    return resolve();
  } catch {
    return undefined;
  }
}

function makeExecutable(file: string): string | undefined {
  if (process.platform === 'win32') return file;
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    try {
      fs.chmodSync(file, 0o755);
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      return undefined;
    }
  }
}

function copyToTemp(binary: string, tool: Tool): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wechat-compiler-'));
  const copy = path.join(dir, path.basename(binary) || tool);
  fs.copyFileSync(binary, copy);
  return copy;
}

interface RunResult {
  ok: boolean;
  stderr: string;
}

function run(tool: Tool, args: string[], cwd: string): RunResult {
  const result = spawnSync(compilerPath(tool, cwd), args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new ShipError(`${tool} could not run: ${result.error.message}`);
  return { ok: result.status === 0, stderr: result.stderr.toString('utf8').trim() };
}

/** `p/a.wxml:4:1: unexpected end` and `p/a.wxml:1:1:./m.wxs not found from p/a.wxml`. */
export function parseWccError(stderr: string): CompilerError | undefined {
  const match = /^(.+?\.(?:wxml|wxs)):(\d+):(\d+):\s*(.*)$/m.exec(stderr);
  if (!match) return undefined;
  return { file: match[1]!, line: Number(match[2]), column: Number(match[3]), message: match[4]!.trim() };
}

/** `ERR: p/a.wxss(7:1): unexpected ...` and "ERR: path `x.wxss` not found from `p/a.wxss`." */
export function parseWcscError(stderr: string): CompilerError | undefined {
  const located = /ERR: (.+?\.wxss)\((\d+):(\d+)\): (.*)$/m.exec(stderr);
  if (located) {
    return { file: located[1]!, line: Number(located[2]), column: Number(located[3]), message: located[4]!.trim() };
  }
  const missing = /ERR: path `(.+?)` not found from `(.+?)`/.exec(stderr);
  if (missing) {
    return { file: missing[2]!, message: `@import "${missing[1]!}": file not found`, missingImport: missing[1]! };
  }
  return undefined;
}

/**
 * Compiles the whole list as DevTools does; on an error, records it, drops that file and compiles the rest again,
 * so one run reports every broken file (the compilers themselves stop at the first). `files` are relative to `cwd`.
 */
function compileAll(
  files: readonly string[],
  compileOnce: (files: readonly string[]) => RunResult,
  parse: (stderr: string) => CompilerError | undefined,
): CompilerError[] {
  const errors: CompilerError[] = [];
  const remaining = [...files];
  const broken = new Set<string>();
  while (remaining.length > 0) {
    const result = compileOnce(remaining);
    if (result.ok) break;
    const error = parse(result.stderr);
    const index = error ? remaining.indexOf(normalise(error.file)) : -1;
    if (!error || index < 0) {
      // An error we cannot pin on one file: report it as is, once, and stop.
      errors.push(error ?? { file: remaining[0]!, message: result.stderr || 'compiler failed without a message' });
      break;
    }
    remaining.splice(index, 1);
    // A file that imports one we already reported as broken fails only because of it: report the cause once.
    const consequence =
      error.missingImport !== undefined && [...broken].some((b) => b.endsWith(normalise(error.missingImport!)));
    if (!consequence) errors.push({ ...error, file: normalise(error.file) });
    broken.add(normalise(error.file));
  }
  return errors;
}

function normalise(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}

export interface WxmlUnit {
  /** e.g. pages/login/login.wxml */
  wxml: string;
  /** Custom component tags the page or component declares (usingComponents keys): wcc checks them. */
  components: string[];
}

/** wcc -d -cc "<component args>" <wxml...> <wxs...> -gn $gwx, the way DevTools and miniprogram-compiler call it. */
export function compileWxml(cwd: string, units: readonly WxmlUnit[], wxsFiles: readonly string[]): CompilerError[] {
  return compileAll(
    units.map((unit) => unit.wxml),
    (files) => {
      const withComponents = units.filter((unit) => files.includes(unit.wxml) && unit.components.length > 0);
      const componentArgs = [
        withComponents.length,
        ...withComponents.flatMap((unit) => [unit.wxml, unit.components.length, ...unit.components]),
      ].join(' ');
      return run('wcc', ['-d', '-cc', componentArgs, ...files, ...wxsFiles, '-gn', '$gwx'], cwd);
    },
    parseWccError,
  );
}

/** wcsc -db -pc <n> <component wxss first> <other wxss>, as miniprogram-compiler orders them. */
export function compileWxss(
  cwd: string,
  componentWxss: readonly string[],
  otherWxss: readonly string[],
): CompilerError[] {
  const all = [...componentWxss, ...otherWxss];
  return compileAll(
    all,
    (files) => {
      const components = files.filter((file) => componentWxss.includes(file));
      const others = files.filter((file) => !componentWxss.includes(file));
      return run('wcsc', ['-db', '-pc', String(components.length), ...components, ...others], cwd);
    },
    parseWcscError,
  );
}
