import type { AccountActions } from '../../../contracts';
import { CONSENT_REQUIRED_MESSAGE, consentUpToDate, currentConsentVersion } from '../../../cloudbase/consent';
import { AppFailure } from '../../../cloudbase/errors';
import type { Identity } from '../../../cloudbase/identity';
import { toProfile, updateUser } from '../../../cloudbase/users';
import { requireAccount } from './account-user';

type Status = AccountActions['getConsent']['result'];

/** What the client needs to ask for consent: the version to show and whether the user already agreed to it. */
export async function getConsent(identity: Identity): Promise<Status> {
  const currentVersion = currentConsentVersion();
  const user = await requireAccount(identity);
  const status: Status = { currentVersion, upToDate: consentUpToDate(user, currentVersion) };
  const { consent } = toProfile(user);
  if (consent) status.consent = consent;
  return status;
}

/**
 * Records the user's agreement to 《用户协议》和《隐私政策》 of `version` on their users document. Only the current
 * version is recorded: an older one means the texts changed since the client showed them (CONSENT_REQUIRED, ask
 * again), a newer one is a version this server does not know (INVALID_ARGUMENT). Either way nothing is written.
 * Agreeing again to the same version refreshes `at`.
 */
export async function recordConsent(
  identity: Identity,
  version: number,
): Promise<AccountActions['recordConsent']['result']> {
  const currentVersion = currentConsentVersion();
  if (version > currentVersion) {
    throw new AppFailure('INVALID_ARGUMENT', '参数错误：协议版本无效', { version, current: currentVersion });
  }
  if (version < currentVersion) {
    throw new AppFailure('CONSENT_REQUIRED', CONSENT_REQUIRED_MESSAGE, { version, current: currentVersion });
  }
  const user = await updateUser(identity.openid, { consent: { version, at: new Date() }, updatedAt: new Date() });
  if (!user) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  return { user: toProfile(user) };
}
