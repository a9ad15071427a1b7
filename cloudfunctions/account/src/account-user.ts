import { CONSENT_REQUIRED_MESSAGE, consentUpToDate, currentConsentVersion } from '../../../cloudbase/consent';
import { AppFailure } from '../../../cloudbase/errors';
import type { Identity } from '../../../cloudbase/identity';
import { bannedFailure, getUser, type UserDocument } from '../../../cloudbase/users';

export interface Account {
  user: UserDocument | null;
  /** The account, or USER_NOT_FOUND (USER_BANNED for a banned one). */
  require(): UserDocument;
  /**
   * The account of a user who agreed to the current 《用户协议》和《隐私政策》, or USER_NOT_FOUND / CONSENT_REQUIRED.
   * Every action that collects personal information (nickname, avatar, phone number) goes through this before it
   * writes anything or makes a paid call.
   */
  requireConsent(): UserDocument;
}

/**
 * The caller's account, read before any paid or limited call (content check, phone number): a caller without an
 * account gets USER_NOT_FOUND, a banned one USER_BANNED, one without the current consent CONSENT_REQUIRED, and
 * none of them costs anything. The checks throw that answer; the read itself may be shared with other work in
 * parallel.
 */
export async function accountOf(identity: Identity): Promise<Account> {
  // Read the configuration first: a bad CONSENT_VERSION is CONFIG_ERROR before any I/O.
  const consentVersion = currentConsentVersion();
  const user = await getUser(identity.openid);
  const require = (): UserDocument => {
    if (!user) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
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

export async function requireAccount(identity: Identity): Promise<UserDocument> {
  return (await accountOf(identity)).require();
}

/** requireAccount, and the current consent to 《用户协议》和《隐私政策》. */
export async function requireConsentedAccount(identity: Identity): Promise<UserDocument> {
  return (await accountOf(identity)).requireConsent();
}
