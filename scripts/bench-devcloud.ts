/**
 * devcloud's own figures, through the real wx-server-sdk: the SDK runs in a child process set up as a cloud function
 * (as devcloud's function instances are), talking HTTP to a devcloud in this process. Prints add and get throughput
 * with p50/p95 latency, an aggregation over 10,000 documents, and devcloud's memory.
 * Env: BENCH_DEVCLOUD_OPS (default 2000 per operation), BENCH_DEVCLOUD_CONCURRENCY (default 16).
 */
import { execFile } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startDevCloud } from 'devcloud';
import { percentile } from './bench-login';

const ROOT = join(__dirname, '..');
const OPS = Math.max(100, Number(process.env.BENCH_DEVCLOUD_OPS ?? 2000));
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_DEVCLOUD_CONCURRENCY ?? 16));
const AGGREGATE_DOCS = 10_000;
const AGGREGATE_RUNS = 20;
const MB = 1048576;

/** What the child reports: per phase, the wall time and each call's latency (ms). */
interface PhaseResult {
  wallMs: number;
  latencies: number[];
}

/** The workload, run by the real SDK as a cloud function would call the database. */
const WORKLOAD = `
const { performance } = require('perf_hooks');
const cloud = require('wx-server-sdk');
cloud.init({ env: process.env.TCB_ENV });
const db = cloud.database();
const _ = db.command;
const $ = db.command.aggregate;
const [ops, concurrency, aggregateDocs, aggregateRuns] = JSON.parse(process.env.BENCH_SHAPE);

async function phase(count, parallel, call) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await call(i);
      latencies.push(performance.now() - t);
    }
  }));
  return { wallMs: performance.now() - started, latencies };
}

(async () => {
  const docs = db.collection('bench');
  const add = await phase(ops, concurrency, (i) =>
    docs.add({ data: { _id: 'doc-' + i, n: i, name: 'user ' + i, tags: ['a', 'b'], at: new Date() } }));
  const get = await phase(ops, concurrency, (i) => docs.doc('doc-' + ((i * 7919) % ops)).get());
  const query = await phase(ops, concurrency, (i) => docs.where({ n: _.gte(i) }).limit(10).get());
  const table = db.collection('bench_agg');
  for (let i = 0; i < aggregateDocs; i += 1000) {
    await table.add({ data: Array.from({ length: Math.min(1000, aggregateDocs - i) }, (unused, j) => ({
      n: i + j, city: 'city-' + ((i + j) % 50), score: (i + j) % 100, vip: (i + j) % 3 === 0 })) });
  }
  const pipeline = () => table.aggregate()
    .match({ vip: true })
    .group({ _id: '$city', count: $.sum(1), avg: $.avg('$score'), best: $.max('$score') })
    .sort({ count: -1, _id: 1 })
    .limit(100)
    .end()
    .then(({ list }) => { if (list.length !== 50) throw new Error('expected 50 groups, got ' + list.length); });
  await pipeline(); // warm-up: devcloud loads its aggregation engine on first use
  const aggregate = await phase(aggregateRuns, 1, pipeline);
  process.stdout.write(JSON.stringify({ add, get, query, aggregate }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

function runWorkload(url: string): Promise<Record<'add' | 'get' | 'query' | 'aggregate', PhaseResult>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', WORKLOAD],
      {
        cwd: ROOT,
        maxBuffer: 64 * MB,
        env: {
          PATH: process.env.PATH,
          // As inside SCF: no metadata lookup; any credentials; the CloudBase API is devcloud's.
          TENCENTCLOUD_RUNENV: 'SCF',
          SCF_NAMESPACE: 'bench',
          TCB_ENV: 'bench',
          TENCENTCLOUD_REGION: 'ap-shanghai',
          TENCENTCLOUD_SECRETID: 'bench',
          TENCENTCLOUD_SECRETKEY: 'bench',
          TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${url}/fn/bench/admin` }),
          SILENCE: 'true',
          BENCH_SHAPE: JSON.stringify([OPS, CONCURRENCY, AGGREGATE_DOCS, AGGREGATE_RUNS]),
        },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Record<'add' | 'get' | 'query' | 'aggregate', PhaseResult>);
      },
    );
  });
}

function line(label: string, result: PhaseResult): string {
  const perSecond = (result.latencies.length / result.wallMs) * 1000;
  const p50 = percentile(result.latencies, 50).toFixed(2);
  const p95 = percentile(result.latencies, 95).toFixed(2);
  return `   ${label.padEnd(40)} ${perSecond.toFixed(0).padStart(7)} ops/s   p50 ${p50.padStart(7)} ms   p95 ${p95.padStart(7)} ms`;
}

export async function benchDevcloud(): Promise<void> {
  const emptyFunctions = mkdtempSync(join(tmpdir(), 'devcloud-bench-'));
  const cloud = await startDevCloud({
    functionsDir: emptyFunctions,
    rulesDir: false,
    collections: ['bench', 'bench_agg'],
  });
  try {
    const before = process.memoryUsage();
    const result = await runWorkload(cloud.url);
    const after = process.memoryUsage();
    console.log(
      `\n7. devcloud itself, in memory, through the real wx-server-sdk in another process (${OPS} calls each, ${CONCURRENCY} in flight; BENCH_DEVCLOUD_OPS, BENCH_DEVCLOUD_CONCURRENCY)`,
    );
    console.log(line('add (one document)', result.add));
    console.log(line('doc(id).get()', result.get));
    console.log(line(`where().limit(10).get() over ${OPS}`, result.query));
    console.log(line(`aggregate over ${AGGREGATE_DOCS} documents`, result.aggregate));
    console.log(
      `      (${AGGREGATE_RUNS} runs one at a time, after one to warm up: match a third, group by 50 cities with $sum/$avg/$max, sort, limit)`,
    );
    const stats = cloud.stats();
    console.log(
      `   devcloud RSS ${(after.rss / MB).toFixed(1)} MB (peak ${(stats.devcloudRssBytes / MB).toFixed(1)} MB, ` +
        `${((after.rss - before.rss) / MB).toFixed(1)} MB more than before the run); heap used ${(after.heapUsed / MB).toFixed(1)} MB ` +
        `for ${OPS + AGGREGATE_DOCS} documents`,
    );
  } finally {
    await cloud.stop();
    rmSync(emptyFunctions, { recursive: true, force: true });
  }
}
