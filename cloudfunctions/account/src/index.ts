import type { AccountResult } from '../../../contracts';
import { defineHandler } from '../../../cloudbase/handler';
import { getConsent, recordConsent } from './consent';
import { deleteAccount, logout } from './lifecycle';
import { bindPhone, bindPhoneLegacy } from './phone';
import { prepareAvatarUpload, updateProfile } from './profile';
import { AccountEventSchema } from './schema';

/** The logged-in user's account. Every action acts on the caller (context OPENID) only: no event field names a user. */
export const main = defineHandler(
  'account',
  AccountEventSchema,
  async ({ event, identity }): Promise<AccountResult> => {
    switch (event.action) {
      case 'getConsent':
        return getConsent(identity);
      case 'recordConsent':
        return recordConsent(identity, event.version);
      case 'prepareAvatarUpload':
        return prepareAvatarUpload(identity, event);
      case 'updateProfile':
        return updateProfile(identity, event);
      case 'bindPhone':
        return bindPhone(identity, event.code);
      case 'bindPhoneLegacy':
        return bindPhoneLegacy(identity, event);
      case 'logout':
        return logout(identity);
      case 'deleteAccount':
        return deleteAccount(identity);
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
);
