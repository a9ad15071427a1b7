import { fork, type ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import { join } from 'path';

/** The caller's identity as WeChat's runtime sets it for one invocation (read by cloud.getWXContext()). */
export interface InvocationContext {
  OPENID?: string;
  APPID?: string;
  UNIONID?: string;
  SOURCE?: string;
  CLIENTIP?: string;
}

export interface InvocationReport {
  requestId: string;
  functionName: string;
  result?: unknown;
  /** Set when the function threw or timed out: the client sees a failed callFunction. */
  error?: { errCode: number; errMsg: string };
  cold: boolean;
  /** Time to load the function in a new instance (cold starts only). */
  initMs?: number;
  durationMs: number;
  rssBytes?: number;
}

export interface RuntimeOptions {
  functionsDir: string;
  /** Base URL of the local cloud: the SDK is pointed at `${baseUrl}/fn/<name>/admin`. */
  baseUrl: string;
  envId: string;
  /** Environment variables each function gets, as set in the CloudBase console. */
  functionEnv?: Record<string, Record<string, string>>;
  /** Per-instance concurrency is one; this caps instances per function (CloudBase scales out similarly). */
  maxInstancesPerFunction?: number;
  /** CloudBase's default function timeout is 3 s. */
  timeoutMs?: number;
  /** Every line a function writes to stdout/stderr, for tests that check what is logged. */
  onLog?: (functionName: string, line: string) => void;
}

interface Instance {
  child: ChildProcess;
  busy: boolean;
  ready: Promise<number>;
  pending?: { id: string; resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };
}

interface WorkerReply {
  type: 'result';
  id: string;
  result?: unknown;
  error?: { message: string };
  cold: boolean;
  durationMs: number;
  rssBytes: number;
}

const WORKER = join(__dirname, 'function-worker.js');

/**
 * Runs cloudfunctions/<fn>/index.js the way CloudBase does: one invocation at a time per instance, instances kept
 * warm between invocations, each invocation with its own WX context, so concurrent callers never share identity.
 */
export class FunctionRuntime {
  private readonly pools = new Map<string, Instance[]>();
  private readonly waiting = new Map<string, Array<() => void>>();
  private stopped = false;
  readonly stats = { invocations: 0, coldStarts: 0, peakInstanceRssBytes: 0 };

  constructor(private readonly options: RuntimeOptions) {}

  async invoke(functionName: string, event: unknown, context: InvocationContext): Promise<InvocationReport> {
    const requestId = randomUUID();
    const entry = join(this.options.functionsDir, functionName, 'index.js');
    if (!/^[A-Za-z0-9_-]+$/.test(functionName) || !existsSync(entry)) {
      return this.failure(
        requestId,
        functionName,
        -501000,
        `FunctionName parameter could not be found (${functionName}); run npm run build`,
      );
    }
    const instance = await this.acquire(functionName, entry);
    const started = Date.now();
    this.stats.invocations += 1;
    try {
      const initMs = await instance.ready;
      const reply = await this.send(instance, requestId, event, context);
      if (reply.cold) this.stats.coldStarts += 1;
      this.stats.peakInstanceRssBytes = Math.max(this.stats.peakInstanceRssBytes, reply.rssBytes);
      const report: InvocationReport = {
        requestId,
        functionName,
        cold: reply.cold,
        durationMs: reply.durationMs,
        rssBytes: reply.rssBytes,
      };
      if (reply.cold) report.initMs = initMs;
      if (reply.error) report.error = { errCode: -504002, errMsg: `functions execute fail: ${reply.error.message}` };
      else report.result = reply.result;
      return report;
    } catch (error) {
      // Timed out or crashed: the instance is gone, as on CloudBase.
      this.discard(functionName, instance);
      return {
        ...this.failure(requestId, functionName, -504002, (error as Error).message),
        durationMs: Date.now() - started,
      };
    } finally {
      this.release(functionName, instance);
    }
  }

  /** Warm instances per function (for reports). */
  instanceCount(functionName: string): number {
    return this.pools.get(functionName)?.length ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const exits: Promise<unknown>[] = [];
    for (const pool of this.pools.values()) {
      for (const instance of pool) {
        if (instance.child.exitCode === null) {
          exits.push(new Promise((resolve) => instance.child.once('exit', resolve)));
          instance.child.kill();
        }
      }
    }
    this.pools.clear();
    await Promise.all(exits);
  }

  private failure(requestId: string, functionName: string, errCode: number, message: string): InvocationReport {
    return {
      requestId,
      functionName,
      error: { errCode, errMsg: `cloud.callFunction:fail ${errCode} ${message}` },
      cold: false,
      durationMs: 0,
    };
  }

  private async acquire(functionName: string, entry: string): Promise<Instance> {
    for (;;) {
      if (this.stopped) throw new Error('runtime stopped');
      const pool = this.pools.get(functionName) ?? [];
      this.pools.set(functionName, pool);
      const idle = pool.find((instance) => !instance.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < (this.options.maxInstancesPerFunction ?? 8)) {
        const instance = this.spawn(functionName, entry);
        pool.push(instance);
        return instance;
      }
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(functionName) ?? [];
        queue.push(resolve);
        this.waiting.set(functionName, queue);
      });
    }
  }

  private release(functionName: string, instance: Instance): void {
    instance.busy = false;
    this.waiting.get(functionName)?.shift()?.();
  }

  private discard(functionName: string, instance: Instance): void {
    instance.child.kill();
    const pool = this.pools.get(functionName) ?? [];
    this.pools.set(
      functionName,
      pool.filter((other) => other !== instance),
    );
  }

  private spawn(functionName: string, entry: string): Instance {
    const { baseUrl, envId } = this.options;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DEVCLOUD_FUNCTION_ENTRY: entry,
      // What wx-server-sdk reads to find "the cloud": here, this local one, with per-function URLs so cloud calls
      // can be checked against the caller's config.json permissions.
      TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${baseUrl}/fn/${functionName}/admin` }),
      TENCENTCLOUD_SECRETID: 'devcloud-secret-id',
      TENCENTCLOUD_SECRETKEY: 'devcloud-secret-key',
      TENCENTCLOUD_SESSIONTOKEN: '',
      TENCENTCLOUD_RUNENV: 'SCF',
      TENCENTCLOUD_REGION: 'ap-shanghai',
      SCF_NAMESPACE: envId,
      SCF_FUNCTIONNAME: functionName,
      TCB_ENV: envId,
      WECHAT_API_BASE: `${baseUrl}/wx`,
      ...this.options.functionEnv?.[functionName],
    };
    const child = fork(WORKER, [], { env, silent: true, execArgv: [] });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) this.options.onLog?.(functionName, line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    let markReady: (initMs: number) => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    const ready = new Promise<number>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined); // observed by invoke(); never an unhandled rejection here
    child.on('message', (message: WorkerReply | { type: 'ready'; initMs: number }) => {
      if (message.type === 'ready') {
        markReady(message.initMs);
        return;
      }
      const instance = this.pools.get(functionName)?.find((candidate) => candidate.child === child);
      if (instance?.pending && message.id === instance.pending.id) {
        const { resolve } = instance.pending;
        instance.pending = undefined;
        resolve(message);
      }
    });
    child.on('exit', (code) => {
      failReady(new Error(`function instance failed to start (code ${code})`));
      const instance = this.pools.get(functionName)?.find((candidate) => candidate.child === child);
      if (instance?.pending) instance.pending.reject(new Error(`function instance exited (code ${code})`));
      if (instance)
        this.pools.set(
          functionName,
          (this.pools.get(functionName) ?? []).filter((other) => other !== instance),
        );
    });
    return { child, busy: true, ready };
  }

  private send(instance: Instance, id: string, event: unknown, context: InvocationContext): Promise<WorkerReply> {
    const timeoutMs = this.options.timeoutMs ?? 3000;
    return new Promise<WorkerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        instance.pending = undefined;
        reject(new Error(`Invoking task timed out after ${timeoutMs / 1000} seconds`));
      }, timeoutMs);
      instance.pending = {
        id,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      instance.child.send({ type: 'invoke', id, event, context });
    });
  }
}
