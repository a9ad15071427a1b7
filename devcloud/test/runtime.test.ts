/**
 * devcloud's function runtime (runtime.ts + function-worker.js): warm child-process instances, one invocation at a
 * time each, the caller's identity per invocation through WX_CONTEXT_KEYS (read by the real wx-server-sdk), errors,
 * timeouts, logs and a clean stop. The functions are tiny fixtures written to a temporary folder for this file.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import type { DevCloud } from '../hub';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';
import type { InvocationReport } from '../protocol';

/** The SDK the fixtures load: the project's own copy (the fixtures live in a temporary folder). */
const SDK = join(__dirname, '..', '..', 'node_modules', 'wx-server-sdk');
/** The file-wide timeout: a safety net against load. The timeout tests use `hang`, whose config.json says 1 s. */
const TIMEOUT_MS = 30_000;
const MAX_INSTANCES = 3;

const SLEEP = 'const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));';

/** Fixture functions (cloudfunctions/<name>/index.js as the runtime loads them). */
const FIXTURES: Record<string, string> = {
  // The caller's WX context as wx-server-sdk reads it, after an await (so interleaving would show).
  whoami: `
    const cloud = require(${JSON.stringify(SDK)});
    ${SLEEP}
    exports.main = async (event) => {
      await sleep(event.waitMs || 0);
      const raw = { WX_OPENID: process.env.WX_OPENID || null, WX_UNIONID: process.env.WX_UNIONID || null };
      return { context: cloud.getWXContext(), raw, pid: process.pid, tag: event.tag, userInfo: event.userInfo };
    };`,
  // Sleeps, and says which instance ran it and when.
  slow: `
    ${SLEEP}
    exports.main = async (event) => {
      const started = Date.now();
      await sleep(event.ms || 0);
      return { pid: process.pid, started, ended: Date.now() };
    };`,
  // Throws on demand; counts calls so a test can see the same instance lives on.
  boom: `
    let calls = 0;
    exports.main = async (event) => {
      calls += 1;
      if (event.fail === 'error') throw new Error('boom #' + calls);
      if (event.fail === 'object') throw { code: 'CUSTOM', detail: calls };
      return { calls, pid: process.pid };
    };`,
  chatty: `
    exports.main = async (event) => {
      console.log('hello from ' + event.tag);
      console.error('warning from ' + event.tag);
      console.log('long:' + 'x'.repeat(event.long || 0));
      console.log('汉字'.repeat(event.wide || 0));
      return 'done';
    };`,
  // Handles SIGTERM and lives on: only a hard kill ends it. Logs its pid at init. Its config.json says 1 s, so a
  // call told to wait longer can only end by the timeout.
  stubborn: `
    ${SLEEP}
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    console.log('pid ' + process.pid);
    exports.main = async (event) => {
      await sleep(event.ms || 0);
      return process.pid;
    };`,
  // Says that it runs (the event a test waits for), then never answers.
  busy: `
    exports.main = () => {
      console.log('running in ' + process.pid);
      return new Promise(() => {});
    };`,
  // Never answers, so only its timeout (config.json: 1 s) can end an invocation, however loaded the machine. Logs
  // its pid at init, and ignores SIGTERM: only a hard kill ends it.
  hang: `
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    console.log('pid ' + process.pid);
    exports.main = () => new Promise(() => {});`,
  // An unawaited rejection: the instance dies mid-invocation.
  crash: `
    ${SLEEP}
    exports.main = async () => {
      Promise.reject(new Error('lost promise'));
      await sleep(2000);
      return 'unreachable';
    };`,
  // A cold start that lasts until the test opens the gate (a file beside the functions): it logs its pid first, so
  // a test knows the instance is loading, then sleeps (no busy loop) until the file exists.
  gated: `
    const { existsSync } = require('fs');
    const gate = require('path').join(__dirname, '..', 'gate-open');
    console.log('loading pid ' + process.pid);
    while (!existsSync(gate)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    exports.main = async () => process.pid;`,
  initfail: `throw new Error('cannot load configuration');`,
  nomain: `exports.handler = async () => 1;`,
};

let functionsDir: string;
let t: TestCloud;
let cloud: DevCloud;
/** The last test stops the file's cloud itself. */
let stopped = false;

beforeAll(async () => {
  functionsDir = await mkdtemp(join(tmpdir(), 'devcloud-runtime-'));
  for (const [name, source] of Object.entries(FIXTURES)) {
    await mkdir(join(functionsDir, name));
    await writeFile(join(functionsDir, name, 'index.js'), source);
  }
  await writeFile(join(functionsDir, 'hang', 'config.json'), JSON.stringify({ timeout: 1 }));
  await writeFile(join(functionsDir, 'stubborn', 'config.json'), JSON.stringify({ timeout: 1 }));
  t = await startTestCloud({ functionsDir, maxInstancesPerFunction: MAX_INSTANCES, functionTimeoutMs: TIMEOUT_MS });
  cloud = t.cloud!;
});
afterAll(async () => {
  if (!stopped) await t?.stop();
  await rm(functionsDir, { recursive: true, force: true });
});

/** The result of a successful invocation, typed as the fixture returns it. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed cast, by design
function resultOf<T>(report: InvocationReport): T {
  expect(report.error).toBeUndefined();
  return report.result as T;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for an event (a process gone, a log line arrived); the bound only ends a run where it never comes. */
async function waitFor(condition: () => boolean, ms = 30_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Live child processes of this process running a function instance (from /proc). */
async function workerChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === process.pid && state !== 'Z' && cmdline.includes('functions/worker.js')) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

interface SlowResult {
  pid: number;
  started: number;
  ended: number;
}

interface WhoAmI {
  context: Record<string, unknown>;
  /** The variables themselves, for a function that reads process.env instead of getWXContext(). */
  raw: { WX_OPENID: string | null; WX_UNIONID: string | null };
  pid: number;
  tag?: number;
  userInfo?: Record<string, unknown>;
}

describe('instances', () => {
  test('the first invocation is a cold start with initMs; the next one is warm on the same instance', async () => {
    expect(cloud.runtime.instanceCount('slow')).toBe(0);
    const coldStartsBefore = cloud.runtime.stats.coldStarts;
    const first = await cloud.runtime.invoke('slow', { ms: 0 }, {});
    expect(first.cold).toBe(true);
    expect(typeof first.initMs).toBe('number');
    expect(first.initMs).toBeGreaterThan(0);
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    expect(first.rssBytes).toBeGreaterThan(1_000_000);
    expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(cloud.runtime.instanceCount('slow')).toBe(1);

    const second = await cloud.runtime.invoke('slow', { ms: 0 }, {});
    expect(second.cold).toBe(false);
    expect(second.initMs).toBeUndefined();
    expect(resultOf<SlowResult>(second).pid).toBe(resultOf<SlowResult>(first).pid);
    expect(second.requestId).not.toBe(first.requestId);
    expect(cloud.runtime.instanceCount('slow')).toBe(1);
    expect(cloud.runtime.stats.coldStarts - coldStartsBefore).toBe(1);
  });

  test('one invocation at a time per instance: concurrent calls scale out to the cap, then queue', async () => {
    const count = 7;
    const ms = 300;
    const started = Date.now();
    const reports = await Promise.all(Array.from({ length: count }, () => cloud.runtime.invoke('slow', { ms }, {})));
    const elapsed = Date.now() - started;
    const results = reports.map((report) => resultOf<SlowResult>(report));
    const pids = new Set(results.map((result) => result.pid));
    expect(pids.size).toBe(MAX_INSTANCES);
    expect(cloud.runtime.instanceCount('slow')).toBe(MAX_INSTANCES);
    // Seven calls on three instances take three rounds.
    expect(elapsed).toBeGreaterThanOrEqual(Math.ceil(count / MAX_INSTANCES) * ms - 20);
    // On each instance the invocations ran one after another, never overlapping.
    for (const pid of pids) {
      const runs = results.filter((result) => result.pid === pid).sort((a, b) => a.started - b.started);
      for (let i = 1; i < runs.length; i += 1) expect(runs[i]!.started).toBeGreaterThanOrEqual(runs[i - 1]!.ended);
    }
  });
});

describe('identity', () => {
  test('concurrent callers each see their own OPENID after an await (real wx-server-sdk getWXContext)', async () => {
    const names = Array.from({ length: 12 }, () => uniqueUser('who'));
    const reports = await Promise.all(
      names.map((name, tag) => cloud.invoke('whoami', { tag, waitMs: (tag * 37) % 90 }, name)),
    );
    const pids = new Set<number>();
    reports.forEach((report, tag) => {
      const result = resultOf<WhoAmI>(report);
      pids.add(result.pid);
      expect(result.tag).toBe(tag);
      expect(result.context).toEqual({
        OPENID: cloud.user(names[tag]!).openid,
        APPID: cloud.appid,
        CLIENTIP: '127.0.0.1',
        ENV: cloud.envId,
        SOURCE: 'wx_client',
      });
    });
    expect(pids.size).toBeGreaterThan(1); // it really ran on several instances, some reused
    expect(pids.size).toBeLessThanOrEqual(MAX_INSTANCES);
  });

  test('a call without UNIONID after one with it, on the same warm instance, sees no UNIONID', async () => {
    const bound = uniqueUser('bound');
    const plain = uniqueUser('plain');
    const { unionid } = cloud.user(bound, { unionid: true });
    const first = resultOf<WhoAmI>(await cloud.invoke('whoami', {}, bound));
    const second = resultOf<WhoAmI>(await cloud.invoke('whoami', {}, plain));
    const anonymous = resultOf<WhoAmI>(await cloud.invoke('whoami', {}));
    expect(second.pid).toBe(first.pid);
    expect(anonymous.pid).toBe(first.pid);
    expect(first.context).toMatchObject({ OPENID: cloud.user(bound).openid, UNIONID: unionid });
    expect(second.context.OPENID).toBe(cloud.user(plain).openid);
    expect(second.context).not.toHaveProperty('UNIONID');
    expect(second.raw).toEqual({ WX_OPENID: cloud.user(plain).openid, WX_UNIONID: null });
    expect(anonymous.context).not.toHaveProperty('OPENID');
    expect(anonymous.context).not.toHaveProperty('UNIONID');
    expect(anonymous.raw).toEqual({ WX_OPENID: null, WX_UNIONID: null });
    expect(anonymous.context.APPID).toBe(cloud.appid);
  });

  test('through the control API: the context is the caller; event.userInfo is what WeChat injects', async () => {
    const name = uniqueUser('ctl');
    const { openid } = await t.control.user(name);
    const report = await t.control.invoke('whoami', { tag: 1 }, name);
    const result = resultOf<WhoAmI>(report);
    expect(result.context.OPENID).toBe(openid);
    expect(result.userInfo).toEqual({ appId: cloud.appid, openId: openid });
  });
});

describe('failures', () => {
  test('a function that throws: -504002 with its message, and the same instance stays usable', async () => {
    const failed = await cloud.runtime.invoke('boom', { fail: 'error' }, {});
    expect(failed.result).toBeUndefined();
    expect(failed.error?.errCode).toBe(-504002);
    expect(failed.error?.errMsg).toContain('boom #1');
    expect(failed.error?.errMsg).toMatch(/^cloud\.callFunction:fail -504002 functions execute fail/);
    const thrownObject = await cloud.runtime.invoke('boom', { fail: 'object' }, {});
    expect(thrownObject.error?.errCode).toBe(-504002);
    expect(thrownObject.error?.errMsg).toContain('{"code":"CUSTOM","detail":2}');
    const ok = await cloud.runtime.invoke('boom', {}, {});
    expect(ok.cold).toBe(false);
    expect(resultOf<{ calls: number }>(ok).calls).toBe(3); // module state kept: same instance
    expect(cloud.runtime.instanceCount('boom')).toBe(1);
  });

  /** The pids `hang` instances logged at init since log entry `before`. */
  const hangPids = (before: number) =>
    cloud.logs
      .slice(before)
      .filter((log) => log.functionName === 'hang' && /^pid \d+$/.test(log.line))
      .map((log) => Number(log.line.slice(4)));

  test('a function slower than the timeout: -504003 and the instance is replaced', async () => {
    const before = cloud.logs.length;
    const late = await cloud.runtime.invoke('hang', {}, {});
    expect(late.error?.errCode).toBe(-504003);
    expect(late.error?.errMsg).toContain('timed out after 1 seconds');
    expect(late.result).toBeUndefined();
    expect(cloud.runtime.instanceCount('hang')).toBe(0);
    expect(await waitFor(() => hangPids(before).length === 1)).toBe(true);
    const [first] = hangPids(before);
    expect(await waitFor(() => !alive(first!))).toBe(true);
    // The next invocations get fresh instances, as many as run at once (up to the cap).
    const reports = await Promise.all(
      Array.from({ length: MAX_INSTANCES }, () => cloud.runtime.invoke('hang', {}, {})),
    );
    expect(reports.map((report) => report.error?.errCode)).toEqual(Array(MAX_INSTANCES).fill(-504003));
    expect(await waitFor(() => hangPids(before).length === 1 + MAX_INSTANCES)).toBe(true);
    expect(new Set(hangPids(before)).size).toBe(1 + MAX_INSTANCES);
  });

  test('a timed-out instance that ignores SIGTERM is still ended', async () => {
    const before = cloud.logs.length;
    const late = await cloud.runtime.invoke('hang', {}, {});
    expect(late.error?.errCode).toBe(-504003);
    expect(await waitFor(() => hangPids(before).length === 1)).toBe(true);
    expect(await waitFor(() => !alive(hangPids(before)[0]!))).toBe(true);
  });

  test('an instance that dies mid-invocation: an error report, and the next call gets a new instance', async () => {
    const report = await cloud.runtime.invoke('crash', {}, {});
    expect(report.error?.errCode).toBe(-504002);
    expect(report.error?.errMsg).toContain('exited');
    expect(cloud.runtime.instanceCount('crash')).toBe(0);
    // The worker logs why it died (output may trail the exit a little).
    expect(
      await waitFor(() => cloud.logs.some((log) => log.functionName === 'crash' && log.line.includes('lost promise'))),
    ).toBe(true);
  });

  test('a missing function is -501000, and so is a name that is not a function name', async () => {
    for (const name of ['nosuchfunction', '../slow', 'slow/../slow']) {
      const report = await cloud.runtime.invoke(name, {}, {});
      expect(report.error?.errCode).toBe(-501000);
      expect(report.error?.errMsg).toContain('FunctionName parameter could not be found');
      expect(report.result).toBeUndefined();
    }
    const viaControl = await t.control.invoke('nosuchfunction', {}, uniqueUser());
    expect(viaControl.error?.errCode).toBe(-501000);
  });

  test('a function that fails to load, or exports no main(), fails its invocations with the reason logged', async () => {
    const before = cloud.logs.length;
    const initFail = await cloud.runtime.invoke('initfail', {}, {});
    expect(initFail.error?.errCode).toBe(-504002);
    expect(initFail.error?.errMsg).toContain('failed to start');
    const noMain = await cloud.runtime.invoke('nomain', {}, {});
    expect(noMain.error?.errCode).toBe(-504002);
    const logged = (functionName: string, text: string) => () =>
      cloud.logs.slice(before).some((log) => log.functionName === functionName && log.line.includes(text));
    expect(await waitFor(logged('initfail', 'cannot load configuration'))).toBe(true);
    expect(await waitFor(logged('nomain', 'does not export main()'))).toBe(true);
    expect(cloud.runtime.instanceCount('initfail')).toBe(0);
  });
});

describe('as the cloud runs an uploaded folder', () => {
  test("a package the function's folder lacks is not found, though the repository's node_modules has it", async () => {
    // Inside the repository, where walking up would find node_modules/valibot: the cloud would not.
    const dir = join(__dirname, '..', '..', '.devcloud', `runtime-isolation-${process.pid}`);
    await mkdir(join(dir, 'escapes'), { recursive: true });
    await mkdir(join(dir, 'inside', 'node_modules', 'local-helper'), { recursive: true });
    await writeFile(join(dir, 'escapes', 'index.js'), "require('valibot');\nexports.main = async () => 'loaded';\n");
    await writeFile(
      join(dir, 'inside', 'index.js'),
      `const helper = require('local-helper'); const sdk = require(${JSON.stringify(SDK)});
       exports.main = async () => helper + ':' + typeof sdk.getWXContext;\n`,
    );
    await writeFile(join(dir, 'inside', 'node_modules', 'local-helper', 'index.js'), "module.exports = 'helper';\n");
    // A package linked into the function's node_modules (pnpm, npm link) counts as inside, wherever it points.
    await mkdir(join(dir, 'store', 'linked-helper'), { recursive: true });
    await writeFile(join(dir, 'store', 'linked-helper', 'index.js'), "module.exports = 'linked';\n");
    await mkdir(join(dir, 'linked', 'node_modules'), { recursive: true });
    await symlink(join(dir, 'store', 'linked-helper'), join(dir, 'linked', 'node_modules', 'linked-helper'), 'dir');
    await writeFile(join(dir, 'linked', 'index.js'), "exports.main = async () => require('linked-helper');\n");
    const own = await startTestCloud({ functionsDir: dir });
    try {
      const escaped = await own.cloud!.runtime.invoke('escapes', {}, {});
      expect(escaped.error?.errCode).toBe(-504002);
      const logs = () => own.cloud!.logs.map((log) => log.line).join('\n');
      expect(await waitFor(() => logs().includes("Cannot find module 'valibot'"))).toBe(true);
      expect(logs()).toContain("the function's folder does not contain it");
      // Its own node_modules, and a module loaded by absolute path (with that module's own requires), resolve.
      expect(resultOf<string>(await own.cloud!.runtime.invoke('inside', {}, {}))).toBe('helper:function');
      expect(resultOf<string>(await own.cloud!.runtime.invoke('linked', {}, {}))).toBe('linked');
    } finally {
      await own.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('callFunction latency: each invocation from a phone costs the configured round trip', async () => {
    const latency = 200;
    cloud.setLatency({ callFunctionMs: latency });
    try {
      expect(cloud.latency()).toEqual({ databaseMs: 0, wechatMs: 0, callFunctionMs: latency });
      const started = Date.now();
      const report = await cloud.invoke('slow', { ms: 0 });
      expect(report.error).toBeUndefined();
      // The trip comes on top of the function's own time, not inside it (timers may round a millisecond or two).
      expect(Date.now() - started).toBeGreaterThanOrEqual(latency + report.durationMs - 5);
    } finally {
      cloud.setLatency({ callFunctionMs: 0 });
    }
  });
});

describe('logs', () => {
  test('stdout and stderr reach cloud.logs line by line, long and multi-byte lines whole', async () => {
    const before = cloud.logs.length;
    const long = 200_000;
    const wide = 50_000;
    resultOf<string>(await cloud.runtime.invoke('chatty', { tag: 'T1', long, wide }, {}));
    // Output travels through pipes: give the last chunk a moment to arrive.
    const mine = () => cloud.logs.slice(before).filter((log) => log.functionName === 'chatty');
    expect(await waitFor(() => mine().length >= 4)).toBe(true);
    const lines = mine().map((log) => log.line);
    expect(lines).toContain('hello from T1');
    expect(lines).toContain('warning from T1');
    expect(lines.filter((line) => line.startsWith('long:'))).toEqual(['long:' + 'x'.repeat(long)]);
    expect(lines.filter((line) => line.startsWith('汉字'))).toEqual(['汉字'.repeat(wide)]);
    expect(lines).toHaveLength(4);
    expect(await t.control.logs()).toEqual(expect.arrayContaining([{ functionName: 'chatty', line: 'hello from T1' }]));
  });
});

describe('stop()', () => {
  test('ends every instance, fails in-flight and queued invocations, and leaves no child process', async () => {
    const others = await workerChildren(); // the file-wide cloud's instances
    // The file-wide timeout (30 s): stop() must end the in-flight call long before it could time out.
    const own = await startTestCloud({ functionsDir, maxInstancesPerFunction: 1, functionTimeoutMs: TIMEOUT_MS });
    const runtime = own.cloud!.runtime;
    const pids = new Set<number>();
    pids.add(resultOf<WhoAmI>(await runtime.invoke('whoami', {}, {})).pid);
    pids.add(resultOf<number>(await runtime.invoke('stubborn', {}, {})));
    // That stubborn instance times out (its config.json: 1 s) and is discarded.
    expect((await runtime.invoke('stubborn', { ms: 600_000 }, {})).error?.errCode).toBe(-504003);
    // Then a busy instance, running (its line logged: waited for, not guessed), with a call queued behind it.
    const before = own.cloud!.logs.length;
    const inFlight = runtime.invoke('busy', {}, {});
    const running = () => own.cloud!.logs.slice(before).some((log) => log.line.startsWith('running in '));
    expect(await waitFor(running)).toBe(true);
    const queued = runtime.invoke('busy', {}, {}).then(
      () => 'answered',
      (error: unknown) => (error as Error).message,
    );
    expect(await waitFor(() => runtime.queuedCount('busy') === 1)).toBe(true);
    const mine = (await workerChildren()).filter((pid) => !others.includes(pid));
    expect(mine.length).toBeGreaterThanOrEqual(2); // whoami and busy
    for (const pid of mine) pids.add(pid);

    await own.stop();
    const inFlightReport = await inFlight;
    expect(inFlightReport.error?.errCode).toBe(-504002); // ended with the instance, not left to time out
    expect(inFlightReport.error?.errMsg).toContain('exited (signal SIGKILL)');
    expect(await queued).toBe('runtime stopped');
    expect(runtime.queuedCount('busy')).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const left = await workerChildren();
    for (const pid of pids) expect(left).not.toContain(pid);
    expect(runtime.instanceCount('busy')).toBe(0);
    await expect(runtime.invoke('slow', {}, {})).rejects.toThrow('runtime stopped');
  });

  test('stop() during a cold start: the waiting invocation sees the instance exit, not a failure to start', async () => {
    // The interleaving that once answered "function instance failed to start (signal SIGKILL)" on a loaded machine:
    // stop() kills an instance that is still loading. Forced here by events: the instance says it is loading, and
    // cannot finish before the gate opens, which it never does.
    const own = await startTestCloud({ functionsDir, maxInstancesPerFunction: 1 });
    const loading = () => own.cloud!.logs.find((log) => log.functionName === 'gated' && /^loading pid/.test(log.line));
    const report = own.cloud!.runtime.invoke('gated', {}, {});
    expect(await waitFor(() => loading() !== undefined)).toBe(true);
    await own.stop();
    const { error } = await report;
    expect(error?.errCode).toBe(-504002);
    expect(error?.errMsg).toContain('exited (signal SIGKILL)');
    expect(alive(Number(loading()!.line.slice('loading pid '.length)))).toBe(false);
  });

  test('after the file-wide cloud stops, no function instance process is left', async () => {
    const extra = await startTestCloud({ functionsDir, maxInstancesPerFunction: 2 });
    await Promise.all([
      extra.cloud!.runtime.invoke('slow', { ms: 50 }, {}),
      extra.cloud!.runtime.invoke('slow', { ms: 50 }, {}),
    ]);
    const ours = await workerChildren();
    await extra.stop();
    await t.stop();
    stopped = true;
    expect(ours.length).toBeGreaterThanOrEqual(2);
    expect(await workerChildren()).toEqual([]);
  });
});
