import type { AccountResult, Envelope } from '../../contracts';
import type { Identity, KitContext } from '../ports';
import { answer, parseEvent } from '../run';
import { AccountEventSchema } from '../schemas';
import { accountOf } from './access';
import { getConsent, recordConsent } from './consent';
import { bindPhone, bindPhoneLegacy } from './phone';
import { prepareAvatarUpload, updateProfile } from './profile';

export { setAvatarImage } from './profile';

/** The logged-in user's account. Every action acts on the caller only: no event field names a user. */
export async function runAccount(
  ctx: KitContext,
  identity: Identity,
  rawEvent: unknown,
): Promise<Envelope<AccountResult>> {
  return answer('account', async (): Promise<AccountResult> => {
    const event = parseEvent(AccountEventSchema, rawEvent);
    switch (event.action) {
      case 'getConsent':
        return getConsent(ctx, identity);
      case 'recordConsent':
        return recordConsent(ctx, identity, event.version);
      case 'prepareAvatarUpload':
        return prepareAvatarUpload(ctx, identity, event.extension);
      case 'updateProfile':
        return updateProfile(ctx, identity, event);
      case 'bindPhone':
        return bindPhone(ctx, identity, event.code);
      case 'bindPhoneLegacy':
        return bindPhoneLegacy(ctx, identity, event);
      case 'logout':
        return logout(ctx, identity);
      case 'deleteAccount':
        await ctx.store.deleteAccount(identity);
        return { deleted: true };
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  });
}

/** Logout is idempotent: a caller without an account is logged out already. A banned one gets USER_BANNED. */
async function logout(ctx: KitContext, identity: Identity): Promise<{ loggedOut: true }> {
  const account = await accountOf(ctx, identity);
  if (account.user) account.require();
  await ctx.store.logout(identity.openid);
  return { loggedOut: true };
}
