/**
 * End-to-end login latency on devcloud with injected latency, the kit next to two baselines, in one run.
 * Each journey is timed from the client's side (the simulated device), with the round trips it cost counted.
 */
import { build } from 'esbuild';
import { FUNCTION_BUNDLE_OPTIONS } from './build';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { createDevice, type Device } from '../devcloud/device';
import { DEFAULT_APPSECRET } from '../devcloud/identity';
import { startDevCloud, type DevCloud } from '../devcloud/server';
import { installForwardingWx, useDevice } from '../devcloud/wx-global';
import type * as AuthService from '../miniprogram/services/auth';

const ROOT = join(__dirname, '..');
const MINIPROGRAM = join(ROOT, 'miniprogram');
const FUNCTIONS = join(ROOT, '.devcloud', 'bench-functions');
const DATABASE_MS = Number(process.env.BENCH_DB_MS ?? 20);
const WECHAT_MS = Number(process.env.BENCH_WECHAT_MS ?? 50);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 9);

type Style = 'kit' | 'classic' | 'quickstart';
type Journey = 'relaunch, live session' | 'returning user, no code' | 'returning user, with code' | 'new user';

interface Cost {
  ms: number;
  cloudCalls: number;
  dbRoundTrips: number;
  wechatCalls: number;
}

/** Functions for this run: the built kit login, plus the two baselines bundled the same way. */
async function prepareFunctions(): Promise<void> {
  rmSync(FUNCTIONS, { recursive: true, force: true });
  mkdirSync(join(FUNCTIONS, 'login'), { recursive: true });
  copyFileSync(join(ROOT, 'cloudfunctions', 'login', 'index.js'), join(FUNCTIONS, 'login', 'index.js'));
  for (const name of ['classic-login', 'quickstart-login']) {
    await build({
      entryPoints: [join(__dirname, 'baselines', `${name}.ts`)],
      outfile: join(FUNCTIONS, name, 'index.js'),
      ...FUNCTION_BUNDLE_OPTIONS,
      logLevel: 'warning',
    });
    writeFileSync(join(FUNCTIONS, name, 'config.json'), '{"permissions":{"openapi":[]}}');
  }
}

/** The kit's real client service, freshly loaded as on a new launch of the mini-program. */
function launchKit(device: Device): typeof AuthService {
  const cache = (require as unknown as NodeJS.Require).cache;
  for (const key of Object.keys(cache)) if (key.startsWith(MINIPROGRAM)) Reflect.deleteProperty(cache, key);
  useDevice(device);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../miniprogram/services/auth') as typeof AuthService;
}

async function measure(cloud: DevCloud, device: Device, run: () => Promise<unknown>): Promise<Cost> {
  cloud.resetStats();
  const callsBefore = device.calls.callFunction;
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const stats = cloud.stats();
  return {
    ms,
    cloudCalls: device.calls.callFunction - callsBefore,
    dbRoundTrips: stats.database.roundTrips,
    wechatCalls: stats.wechat.jscode2session ?? 0,
  };
}

/** What each style does for each journey, from the client's side. */
function journeyRunner(style: Style, journey: Journey, device: Device): () => Promise<unknown> {
  const wx = device.wx;
  const call = (name: string, data: Record<string, unknown>) => wx.cloud.callFunction({ name, data });
  if (style === 'quickstart') return () => call('quickstart-login', {});
  if (style === 'classic') {
    return async () => {
      const { code } = await wx.login();
      return call('classic-login', { code });
    };
  }
  const auth = launchKit(device);
  switch (journey) {
    case 'relaunch, live session':
      return () => auth.ensureLogin();
    case 'returning user, no code':
      return () => auth.refreshLogin();
    case 'returning user, with code':
    case 'new user':
      return async () => {
        auth.clearLogin(); // no cached state: ensureLogin takes a fresh code
        return auth.ensureLogin();
      };
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function journeys(cloud: DevCloud): Promise<void> {
  const styles: Style[] = ['kit', 'classic', 'quickstart'];
  const list: Journey[] = [
    'relaunch, live session',
    'returning user, no code',
    'returning user, with code',
    'new user',
  ];
  const results = new Map<string, Cost[]>();
  let userSeq = 0;
  // Warm one instance of each function so cold starts do not skew the first style measured.
  for (const style of styles) {
    const warm = createDevice({ devcloudUrl: cloud.url, user: `warm-${style}` });
    await journeyRunner(style, 'new user', warm)();
  }
  for (let i = 0; i < ITERATIONS; i += 1) {
    for (const journey of list) {
      // Interleave styles inside each iteration so machine noise falls on all of them alike.
      for (const style of styles) {
        userSeq += 1;
        const device = createDevice({ devcloudUrl: cloud.url, user: `bench-${style}-${userSeq}` });
        if (journey !== 'new user') {
          await journeyRunner(style, 'new user', device)(); // make the user a returning one, session alive
        }
        const cost = await measure(cloud, device, journeyRunner(style, journey, device));
        const key = `${style}|${journey}`;
        results.set(key, [...(results.get(key) ?? []), cost]);
      }
    }
  }
  console.log(
    `   ${'journey'.padEnd(27)} ${'style'.padEnd(11)} ${'median'.padStart(9)} ${'vs kit'.padStart(7)}  cloud calls  db round trips  code2Session`,
  );
  for (const journey of list) {
    const kitMs = median((results.get(`kit|${journey}`) ?? []).map((cost) => cost.ms));
    for (const style of styles) {
      const costs = results.get(`${style}|${journey}`) ?? [];
      const ms = median(costs.map((cost) => cost.ms));
      const last = costs[costs.length - 1];
      const ratio = kitMs > 0 ? `${(ms / kitMs).toFixed(2)}x` : 'n/a';
      console.log(
        `   ${journey.padEnd(27)} ${style.padEnd(11)} ${`${ms.toFixed(1)} ms`.padStart(9)} ${ratio.padStart(7)}  ${String(last?.cloudCalls).padStart(11)}  ${String(last?.dbRoundTrips).padStart(14)}  ${String(last?.wechatCalls).padStart(12)}`,
      );
    }
  }
}

async function concurrency(cloud: DevCloud): Promise<void> {
  cloud.setLatency({ databaseMs: 0, wechatMs: 0, callFunctionMs: 0 });
  const distinct = Array.from({ length: 100 }, (_, i) => `burst-distinct-${i}`);
  let started = performance.now();
  const distinctResults = await Promise.all(distinct.map((user) => cloud.invoke('login', {}, user)));
  const distinctMs = performance.now() - started;
  const openids = new Set(distinct.map((user) => cloud.user(user).openid));
  const distinctDocs = (await cloud.documents('users')).filter((doc) => openids.has(String(doc._id)));
  const okDistinct = distinctResults.filter((report) => (report.result as { ok?: boolean } | undefined)?.ok).length;
  console.log(
    `   100 first logins, 100 users:  ${okDistinct}/100 ok, ${distinctDocs.length} documents, counts ${new Set(distinctDocs.map((d) => d.loginCount)).size === 1 ? 'all 1' : 'MIXED'}  (${distinctMs.toFixed(0)} ms)`,
  );

  started = performance.now();
  const same = await Promise.all(Array.from({ length: 100 }, () => cloud.invoke('login', {}, 'burst-one-user')));
  const sameMs = performance.now() - started;
  const one = cloud.user('burst-one-user').openid;
  const sameDocs = (await cloud.documents('users')).filter((doc) => doc._id === one);
  const okSame = same.filter((report) => (report.result as { ok?: boolean } | undefined)?.ok).length;
  console.log(
    `   100 first logins, one user:   ${okSame}/100 ok, ${sameDocs.length} document, loginCount ${String(sameDocs[0]?.loginCount)}  (${sameMs.toFixed(0)} ms)`,
  );
}

export async function benchLogin(): Promise<void> {
  await prepareFunctions();
  installForwardingWx();
  const cloud = await startDevCloud({
    functionsDir: FUNCTIONS,
    functionTimeoutMs: 30_000,
    // The classic baseline calls code2Session too, so it needs the AppSecret as well.
    functionEnv: { 'classic-login': { WECHAT_APPSECRET: DEFAULT_APPSECRET } },
  });
  try {
    cloud.setLatency({ databaseMs: DATABASE_MS, wechatMs: WECHAT_MS });
    console.log(
      `\n4. End-to-end login on devcloud, ${DATABASE_MS} ms per database call and ${WECHAT_MS} ms per WeChat call injected, median of ${ITERATIONS}`,
    );
    console.log(
      '   kit = this project; classic = code2Session + query + insert/update on every launch; quickstart = return OPENID, store nothing',
    );
    await journeys(cloud);
    console.log('\n5. Concurrency (no injected latency)');
    await concurrency(cloud);
    const stats = cloud.stats();
    console.log('\n6. Memory');
    console.log(`   devcloud process peak RSS       ${(stats.devcloudRssBytes / 1048576).toFixed(1)} MB`);
    console.log(`   one function instance peak RSS  ${(stats.functions.peakInstanceRssBytes / 1048576).toFixed(1)} MB`);
  } finally {
    await cloud.stop();
  }
}
