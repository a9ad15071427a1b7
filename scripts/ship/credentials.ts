import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRecord, readJson } from './json';
import { formatProblem, ShipError } from './problems';
import { PLACEHOLDER_APPID, type ShipProject } from './project';

/** The git-ignored local alternative to the environment variables. */
export const LOCAL_CONFIG = 'deploy.local.json';

export interface DeployCredentials {
  appid: string;
  env: string;
  /** The upload key's PEM text. Never printed: reports say only where it came from. */
  privateKey: string;
  robot: number;
  /** Where each value came from, for the report (never the key itself). */
  sources: { appid: string; env: string; privateKey: string };
}

export type CredentialsResult =
  | { ok: true; credentials: DeployCredentials }
  | { ok: false; missing: string[]; sources: Partial<DeployCredentials['sources']> };

interface LocalConfig {
  appid?: string;
  env?: string;
  privateKeyPath?: string;
  robot?: number;
}

function readLocalConfig(project: ShipProject): LocalConfig {
  const file = path.join(project.root, LOCAL_CONFIG);
  if (!fs.existsSync(file)) return {};
  const parsed = readJson(file, LOCAL_CONFIG);
  if (!parsed.ok) throw new ShipError(formatProblem(parsed.problem), 2);
  if (!isRecord(parsed.value)) throw new ShipError(`${LOCAL_CONFIG}: must be a JSON object`, 2);
  const value = parsed.value;
  const text = (key: string): string | undefined =>
    typeof value[key] === 'string' && value[key] ? value[key] : undefined;
  const config: LocalConfig = {};
  const appid = text('appid');
  const env = text('env');
  const privateKeyPath = text('privateKeyPath');
  if (appid) config.appid = appid;
  if (env) config.env = env;
  if (privateKeyPath) config.privateKeyPath = privateKeyPath;
  if (typeof value['robot'] === 'number') config.robot = value['robot'];
  return config;
}

/**
 * appid, CloudBase env id and upload key: from WECHAT_APPID, WECHAT_CLOUD_ENV and WECHAT_PRIVATE_KEY_PATH (or the
 * key itself in WECHAT_PRIVATE_KEY, for CI secrets), else from deploy.local.json. Environment variables win.
 */
export function resolveCredentials(
  project: ShipProject,
  environment: NodeJS.ProcessEnv = process.env,
): CredentialsResult {
  const local = readLocalConfig(project);
  const missing: string[] = [];
  const sources: Partial<DeployCredentials['sources']> = {};

  const pick = (
    variable: string,
    localValue: string | undefined,
    key: keyof DeployCredentials['sources'],
  ): string | undefined => {
    const fromEnv = environment[variable];
    if (fromEnv) {
      sources[key] = variable;
      return fromEnv;
    }
    if (localValue) {
      sources[key] = LOCAL_CONFIG;
      return localValue;
    }
    return undefined;
  };

  const appid = pick('WECHAT_APPID', local.appid, 'appid');
  if (!appid)
    missing.push(
      `appid: set WECHAT_APPID or "appid" in ${LOCAL_CONFIG} (mp.weixin.qq.com > 开发管理 > 开发设置 > AppID)`,
    );
  else if (appid === PLACEHOLDER_APPID || !/^wx[0-9a-f]{16}$/.test(appid)) {
    missing.push(
      `appid: "${appid}" (${sources.appid ?? '?'}) is not a mini-program AppID (wx + 16 hex digits, not the placeholder)`,
    );
  }

  const env = pick('WECHAT_CLOUD_ENV', local.env, 'env');
  if (!env) missing.push(`env: set WECHAT_CLOUD_ENV or "env" in ${LOCAL_CONFIG} (云开发控制台 > 设置 > 环境 ID)`);

  let privateKey: string | undefined;
  const inline = environment['WECHAT_PRIVATE_KEY'];
  const keyPath = environment['WECHAT_PRIVATE_KEY_PATH'] ?? local.privateKeyPath;
  if (inline) {
    privateKey = inline;
    sources.privateKey = 'WECHAT_PRIVATE_KEY';
  } else if (keyPath) {
    const where = environment['WECHAT_PRIVATE_KEY_PATH'] ? 'WECHAT_PRIVATE_KEY_PATH' : LOCAL_CONFIG;
    const absolute = path.resolve(project.root, keyPath);
    sources.privateKey = `${where} (${keyPath})`;
    if (!fs.existsSync(absolute)) missing.push(`upload key: ${keyPath} (from ${where}) does not exist`);
    else privateKey = fs.readFileSync(absolute, 'utf8');
  } else {
    missing.push(
      `upload key: set WECHAT_PRIVATE_KEY_PATH (or WECHAT_PRIVATE_KEY) or "privateKeyPath" in ${LOCAL_CONFIG} (mp.weixin.qq.com > 开发管理 > 开发设置 > 小程序代码上传密钥)`,
    );
  }
  if (privateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
    missing.push(
      `upload key from ${sources.privateKey ?? '?'} is not a PEM private key (expected the private.<appid>.key file WeChat gives)`,
    );
  }

  if (missing.length > 0 || !appid || !env || privateKey === undefined) return { ok: false, missing, sources };
  const robot = Number(environment['WECHAT_CI_ROBOT'] ?? local.robot ?? 1);
  return {
    ok: true,
    credentials: {
      appid,
      env,
      privateKey,
      robot: Number.isInteger(robot) && robot >= 1 && robot <= 30 ? robot : 1,
      sources: { appid: sources.appid ?? '?', env: sources.env ?? '?', privateKey: sources.privateKey ?? '?' },
    },
  };
}

/** Removes the key, and any PEM block, from text that is about to be printed. */
export function redact(text: string, privateKey: string): string {
  const withoutKey = privateKey.trim() ? text.split(privateKey.trim()).join('[upload key]') : text;
  return withoutKey.replace(
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
    '[upload key]',
  );
}
