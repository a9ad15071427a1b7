/**
 * A cloud function's config.json, beyond its cloud-call permissions (openapi/permissions.ts): what the function
 * runs with and when it is triggered.
 *
 * - `timeout`: seconds an invocation may run, an integer 1-60 (CloudBase CLI's function config: "取值范围 1-60
 *   秒"); without it CloudBase's default of 3 s (devcloud's functionTimeoutMs option) applies.
 * - `envVariables`: `{NAME: value}` environment variables (CloudBase's function config field of that name),
 *   merged under devcloud's functionEnv option / `--function-env`, which win (a local secret beats a committed
 *   placeholder). They cannot replace the variables the runtime itself sets (TCB_*, SCF_*, TENCENTCLOUD_*...).
 * - `triggers`: `[{name, type: 'timer', config: '<7-field cron>'}]`; "目前仅支持一个触发器" (one per function), its
 *   name up to 60 characters of a-z A-Z 0-9 - _, starting with a letter
 *   (https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/functions/triggers.html).
 *
 * Read when needed and cached per file by mtime and size, so an edit takes effect as a redeploy would: the timeout
 * on the next invocation, the variables on the next cold start, the triggers at the next scan.
 */
import { promises as fs } from 'fs';
import path from 'path';
import * as v from 'valibot';
import { CronSyntaxError, parseCloudBaseCron, type CloudBaseCron } from './cron';

export class FunctionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionConfigError';
  }
}

export interface TimerTrigger {
  name: string;
  type: 'timer';
  /** The cron expression as written. */
  config: string;
  cron: CloudBaseCron;
}

export interface FunctionConfig {
  /** Seconds, when config.json sets it. */
  timeoutSeconds?: number;
  envVariables: Record<string, string>;
  triggers: TimerTrigger[];
}

/** CloudBase's limits on the function timeout, in seconds. */
export const MAX_TIMEOUT_SECONDS = 60;

const EMPTY: FunctionConfig = { envVariables: {}, triggers: [] };

const ConfigSchema = v.looseObject({
  timeout: v.optional(
    v.pipe(
      v.number('timeout must be a number of seconds'),
      v.integer('timeout must be a whole number of seconds'),
      v.minValue(1, 'timeout must be at least 1 second'),
      v.maxValue(MAX_TIMEOUT_SECONDS, `timeout must be at most ${MAX_TIMEOUT_SECONDS} seconds`),
    ),
  ),
  envVariables: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _')),
      v.union([v.string(), v.number(), v.boolean()], 'environment variable values are strings'),
    ),
  ),
  triggers: v.optional(
    v.pipe(
      v.array(
        v.strictObject({
          name: v.pipe(
            v.string('trigger name must be a string'),
            v.regex(
              /^[A-Za-z][A-Za-z0-9_-]{0,59}$/,
              'trigger name: up to 60 of a-z A-Z 0-9 - _, starting with a letter',
            ),
          ),
          type: v.literal('timer', 'trigger type must be "timer" (the only type CloudBase supports)'),
          config: v.string('trigger config must be a cron expression string'),
        }),
        'triggers must be an array',
      ),
      v.maxLength(1, 'CloudBase supports one trigger per function'),
    ),
  ),
});

/** Parses config.json's text; throws FunctionConfigError naming the file and the field. */
export function parseFunctionConfig(text: string, file: string): FunctionConfig {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (error) {
    throw new FunctionConfigError(`${file}: invalid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new FunctionConfigError(`${file}: not a JSON object`);
  const parsed = v.safeParse(ConfigSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue.path?.map((item) => String(item.key)).join('.');
    throw new FunctionConfigError(`${file}: ${where ? `${where}: ` : ''}${issue.message}`);
  }
  const config = parsed.output;
  const triggers = (config.triggers ?? []).map((trigger) => {
    try {
      return { ...trigger, cron: parseCloudBaseCron(trigger.config) };
    } catch (error) {
      if (error instanceof CronSyntaxError)
        throw new FunctionConfigError(`${file}: triggers ${trigger.name}: ${error.message}`);
      throw error;
    }
  });
  const envVariables = Object.fromEntries(
    Object.entries(config.envVariables ?? {}).map(([name, value]) => [name, String(value)]),
  );
  return { ...(config.timeout === undefined ? {} : { timeoutSeconds: config.timeout }), envVariables, triggers };
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  config: FunctionConfig;
}

export class FunctionConfigStore {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(readonly functionsDir: string) {}

  /** The function's config (empty when it has no config.json); throws FunctionConfigError for an invalid one. */
  async read(functionName: string): Promise<FunctionConfig> {
    if (!/^[A-Za-z0-9_-]{1,60}$/.test(functionName)) return EMPTY;
    const file = path.join(this.functionsDir, functionName, 'config.json');
    const stat = await fs.stat(file).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!stat) {
      this.cache.delete(file);
      return EMPTY;
    }
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.config;
    const config = parseFunctionConfig(await fs.readFile(file, 'utf8'), path.relative(process.cwd(), file) || file);
    this.cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, config });
    return config;
  }

  /** The functions in the folder: its sub-folders (built or not: an unbuilt one fails when invoked). */
  async functionNames(): Promise<string[]> {
    const entries = await fs.readdir(this.functionsDir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isDirectory() && /^[A-Za-z0-9_-]{1,60}$/.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  }
}
