import type { PhoneInfo, WeChatPort } from '../../core/ports';
import { cloud } from '../cloud';
import { openapi, viaCloud } from './openapi';

/** phonenumber.getPhoneNumber (config.json: "phonenumber.getPhoneNumber"), and the legacy flow's cloudID. */
export const phoneNumberCalls: Pick<WeChatPort, 'getPhoneNumber' | 'resolveCloudID'> = {
  getPhoneNumber: (input) => viaCloud('phonenumber.getPhoneNumber', () => openapi().phonenumber.getPhoneNumber(input)),
  resolveCloudID: async (cloudID) => {
    const reply = await viaCloud('getOpenData', async () => cloud.getOpenData({ list: [cloudID] }));
    return (reply as { list?: Array<{ data?: PhoneInfo }> }).list?.[0];
  },
};
