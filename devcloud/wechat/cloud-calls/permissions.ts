/**
 * The openapi permissions of a cloud function, from <functionsDir>/<fn>/config.json
 * (`{"permissions":{"openapi":["phonenumber.getPhoneNumber"]}}`). The SDK never reads this file: the
 * cloud enforces it, so the local cloud must too. Cached per file and re-read when its mtime or size changes,
 * so editing config.json takes effect on the next call, as a redeploy would.
 */
import { promises as fs } from 'fs';
import path from 'path';

export class ConfigError extends Error {}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  apis: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set<string>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pulls permissions.openapi out of a parsed config.json; anything else in the file is not ours to judge. */
export function openapiPermissions(config: unknown, file: string): ReadonlySet<string> {
  if (!isRecord(config)) throw new ConfigError(`${file}: not a JSON object`);
  const permissions = config['permissions'];
  if (permissions === undefined) return NONE;
  if (!isRecord(permissions)) throw new ConfigError(`${file}: permissions must be an object`);
  const openapi = permissions['openapi'];
  if (openapi === undefined) return NONE;
  if (!Array.isArray(openapi) || !openapi.every((api): api is string => typeof api === 'string')) {
    throw new ConfigError(`${file}: permissions.openapi must be an array of strings`);
  }
  return new Set(openapi);
}

/** A function name that is one path segment, so it cannot point outside functionsDir. */
export function isSafeFunctionName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,60}$/.test(name);
}

export class PermissionStore {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly functionsDir: string) {}

  /** The openapi names the function may call. A missing config.json means none; an invalid one throws ConfigError. */
  async allowed(functionName: string): Promise<ReadonlySet<string>> {
    if (!isSafeFunctionName(functionName)) return NONE;
    const file = path.join(this.functionsDir, functionName, 'config.json');
    const stat = await fs.stat(file).catch((err: unknown) => {
      if (isRecord(err) && err['code'] === 'ENOENT') return undefined;
      throw err;
    });
    if (!stat) {
      this.cache.delete(file);
      return NONE;
    }
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.apis;
    const apis = openapiPermissions(parseJson(await fs.readFile(file, 'utf8'), file), file);
    this.cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, apis });
    return apis;
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError(`${file}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}
