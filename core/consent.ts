import { AppFailure } from './errors';
import type { UserRecord } from './ports';

/**
 * 《用户协议》和《隐私政策》: which version users must have agreed to before the account collects personal information
 * (nickname, avatar, phone number). CONSENT_VERSION, a positive integer, default 1; raise it whenever the texts
 * change and every user is asked again (CONSENT_REQUIRED until they agree).
 */
export const DEFAULT_CONSENT_VERSION = 1;

export function parseConsentVersion(raw: string | undefined): number {
  const value = raw?.trim();
  if (value === undefined || value === '') return DEFAULT_CONSENT_VERSION;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) {
    throw new AppFailure('CONFIG_ERROR', '服务配置异常，请联系客服', {
      variable: 'CONSENT_VERSION',
      reason: 'not a positive integer',
    });
  }
  return Number(value);
}

/** Has the user agreed to the current version (or a later one)? No record at all is older than any version. */
export function consentUpToDate(user: Pick<UserRecord, 'consent'>, current: number): boolean {
  return Number(user.consent?.version ?? 0) >= current;
}

export const CONSENT_REQUIRED_MESSAGE = '请先阅读并同意最新的《用户协议》和《隐私政策》';
