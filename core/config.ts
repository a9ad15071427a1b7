import { parseConsentVersion } from './consent';
import { AppFailure } from './errors';
import type { KitConfig } from './ports';
import { tokenSettings } from './token';

/** LOG_RETENTION_DAYS default: login records are kept half a year. */
export const DEFAULT_LOG_RETENTION_DAYS = 180;

/**
 * The kit's settings from environment variables, each read when a use case asks for it: a cloud function picks up
 * a changed variable without a redeploy, and a bad one fails only the calls that need it (CONFIG_ERROR, naming the
 * variable, never its value). The own server reads them all once at start instead (server/config.ts).
 */
export function envConfig(env: NodeJS.ProcessEnv = process.env): KitConfig {
  return {
    tokens: () => tokenSettings(env),
    consentVersion: () => parseConsentVersion(env.CONSENT_VERSION),
    riskBlockRank: () => parseRiskBlockRank(env.RISK_BLOCK_RANK),
    adminOpenids: () => parseOpenidList(env.ADMIN_OPENIDS),
    logRetentionDays: () => parseRetentionDays(env.LOG_RETENTION_DAYS),
  };
}

export function parseRiskBlockRank(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const threshold = Number(raw);
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 4) {
    throw new AppFailure('CONFIG_ERROR', '服务端 RISK_BLOCK_RANK 配置错误（应为 0 到 4 的整数）', {
      variable: 'RISK_BLOCK_RANK',
    });
  }
  return threshold;
}

/** Comma-separated OPENIDs; blanks ignored. */
export function parseOpenidList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((openid) => openid.trim())
    .filter(Boolean);
}

export function parseRetentionDays(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_LOG_RETENTION_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new AppFailure('CONFIG_ERROR', 'LOG_RETENTION_DAYS 配置错误（应为 1 到 3650 的整数）', {
      variable: 'LOG_RETENTION_DAYS',
    });
  }
  return days;
}
