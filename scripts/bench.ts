/**
 * `npm run bench`: figures, not tests. Prints
 *  1. the size of each built cloud function bundle (wx-server-sdk is external, so this is our code alone);
 *  2. require-and-init time of the built login function next to a bare require('wx-server-sdk'), medians over
 *     fresh processes, interleaved so machine noise hits both alike;
 *  3. the size of the mini-program's sources.
 */
import { execFileSync } from 'child_process';
import { readdirSync, statSync } from 'fs';
import { join, relative } from 'path';
import { benchLogin } from './bench-login';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Time `require(target)` in a fresh Node process set up like a CloudBase instance (cloud env, fake credentials). */
function timeRequire(target: string): number {
  const script = `const { performance } = require('perf_hooks'); const t = performance.now(); require(${JSON.stringify(target)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      TENCENTCLOUD_RUNENV: 'SCF',
      TENCENTCLOUD_SECRETID: 'bench',
      TENCENTCLOUD_SECRETKEY: 'bench',
      SCF_NAMESPACE: 'bench',
      TCB_ENV: 'bench',
      TENCENTCLOUD_REGION: 'ap-shanghai',
      TCB_CONTEXT_CNFG: JSON.stringify({ URL: 'http://127.0.0.1:9/admin' }),
    },
  });
  return Number(out.toString());
}

function bundles(): void {
  console.log('1. Cloud function bundles (wx-server-sdk external; target <= 50 KB each)');
  const dir = join(ROOT, 'cloudfunctions');
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, 'index.js');
    try {
      const bytes = statSync(file).size;
      console.log(`   ${name.padEnd(12)} ${kb(bytes).padStart(9)}  ${bytes <= 50 * 1024 ? 'within' : 'OVER'} target`);
    } catch {
      console.log(`   ${name.padEnd(12)} not built (run npm run build)`);
    }
  }
}

function initTimes(): void {
  console.log(
    `\n2. Require-and-init, median of ${RUNS} fresh processes each, interleaved (target: login <= 1.1x bare SDK)`,
  );
  const sdk: number[] = [];
  const login: number[] = [];
  const loginEntry = join(ROOT, 'cloudfunctions', 'login', 'index.js');
  timeRequire('wx-server-sdk'); // warm the file cache once, for both
  for (let run = 0; run < RUNS; run += 1) {
    sdk.push(timeRequire('wx-server-sdk'));
    login.push(timeRequire(loginEntry));
  }
  const ratio = median(login) / median(sdk);
  console.log(`   bare require('wx-server-sdk')   ${median(sdk).toFixed(1).padStart(7)} ms`);
  console.log(
    `   login function (require+init)   ${median(login).toFixed(1).padStart(7)} ms   ratio ${ratio.toFixed(2)}x  ${ratio <= 1.1 ? 'within' : 'OVER'} target`,
  );
}

function miniprogramSize(): void {
  console.log('\n3. Mini-program sources (target: login feature <= 60 KB)');
  const dir = join(ROOT, 'miniprogram');
  const files = filesUnder(dir).filter((file) => !file.endsWith('tsconfig.json'));
  let total = 0;
  for (const file of files) {
    const bytes = statSync(file).size;
    total += bytes;
    console.log(`   ${relative(ROOT, file).padEnd(44)} ${kb(bytes).padStart(9)}`);
  }
  console.log(`   ${'total'.padEnd(44)} ${kb(total).padStart(9)}  ${total <= 60 * 1024 ? 'within' : 'OVER'} target`);
}

async function main(): Promise<void> {
  bundles();
  initTimes();
  miniprogramSize();
  await benchLogin();
  await (await import('./bench-token')).benchToken();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
