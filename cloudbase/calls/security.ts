import type { WeChatPort } from '../../core/ports';
import { openapi, viaCloud } from './openapi';

/** security.msgSecCheck, version 2 (config.json: "security.msgSecCheck"). */
export const securityCalls: Pick<WeChatPort, 'msgSecCheck'> = {
  msgSecCheck: (input) =>
    viaCloud('security.msgSecCheck', () => openapi().security.msgSecCheck({ ...input, version: 2 })),
};
