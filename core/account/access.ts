import { CONSENT_REQUIRED_MESSAGE, consentUpToDate } from '../consent';
import { AppFailure } from '../errors';
import type { Identity, KitContext, UserRecord } from '../ports';
import { bannedFailure, userNotFound } from '../profile';

export interface Account {
  user: UserRecord | null;
  /** The account, or USER_NOT_FOUND (USER_BANNED for a banned one). */
  require(): UserRecord;
  /**
   * The account of a user who agreed to the current 《用户协议》和《隐私政策》, or USER_NOT_FOUND / CONSENT_REQUIRED.
   * Every action that collects personal information (nickname, avatar, phone number) goes through this before it
   * writes anything or makes a paid call.
   */
  requireConsent(): UserRecord;
}

/**
 * The caller's account, read before any paid or limited call (content check, phone number): a caller without an
 * account gets USER_NOT_FOUND, a banned one USER_BANNED, one without the current consent CONSENT_REQUIRED, and
 * none of them costs anything. The checks throw that answer; the read itself may be shared with other work in
 * parallel.
 */
export async function accountOf(ctx: KitContext, identity: Identity): Promise<Account> {
  // Read the configuration first: a bad CONSENT_VERSION is CONFIG_ERROR before any I/O.
  const consentVersion = ctx.config.consentVersion();
  const user = await ctx.store.getUser(identity.openid);
  const require = (): UserRecord => {
    if (!user) throw userNotFound();
    if (user.status === 'banned') throw bannedFailure();
    return user;
  };
  return {
    user,
    require,
    requireConsent() {
      const account = require();
      if (!consentUpToDate(account, consentVersion)) {
        throw new AppFailure('CONSENT_REQUIRED', CONSENT_REQUIRED_MESSAGE, {
          recorded: account.consent?.version ?? null,
          current: consentVersion,
        });
      }
      return account;
    },
  };
}
