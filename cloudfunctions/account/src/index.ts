import { phoneNumberCalls } from '../../../cloudbase/calls/phonenumber';
import { securityCalls } from '../../../cloudbase/calls/security';
import { cloudFunction } from '../../../cloudbase/handler';
import { runAccount } from '../../../core/account';

/** The logged-in user's account (core/account): every action acts on the caller only. */
export const main = cloudFunction('account', runAccount, { ...phoneNumberCalls, ...securityCalls });
