import type { AccountActions } from '../../contracts';
import { CONSENT_REQUIRED_MESSAGE, consentUpToDate } from '../consent';
import { AppFailure } from '../errors';
import type { Identity, KitContext } from '../ports';
import { toProfile, userNotFound } from '../profile';
import { accountOf } from './access';

type Status = AccountActions['getConsent']['result'];

/** What the client needs to ask for consent: the version to show and whether the user already agreed to it. */
export async function getConsent(ctx: KitContext, identity: Identity): Promise<Status> {
  const currentVersion = ctx.config.consentVersion();
  const user = (await accountOf(ctx, identity)).require();
  const status: Status = { currentVersion, upToDate: consentUpToDate(user, currentVersion) };
  const { consent } = toProfile(user);
  if (consent) status.consent = consent;
  return status;
}

/**
 * Records the user's agreement to 《用户协议》和《隐私政策》 of `version`. Only the current version is recorded: an
 * older one means the texts changed since the client showed them (CONSENT_REQUIRED, ask again), a newer one is a
 * version this server does not know (INVALID_ARGUMENT). Either way nothing is written. Agreeing again to the same
 * version refreshes `at`.
 */
export async function recordConsent(
  ctx: KitContext,
  identity: Identity,
  version: number,
): Promise<AccountActions['recordConsent']['result']> {
  const currentVersion = ctx.config.consentVersion();
  if (version > currentVersion) {
    throw new AppFailure('INVALID_ARGUMENT', '参数错误：协议版本无效', { version, current: currentVersion });
  }
  if (version < currentVersion) {
    throw new AppFailure('CONSENT_REQUIRED', CONSENT_REQUIRED_MESSAGE, { version, current: currentVersion });
  }
  const user = await ctx.store.setConsent(identity.openid, { version, at: new Date() });
  if (!user) throw userNotFound();
  return { user: toProfile(user) };
}
