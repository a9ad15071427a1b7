import type { WeChatPort } from '../../core/ports';
import { openapi, viaCloud } from './openapi';

/** riskControl.getUserRiskRank (config.json: "riskControl.getUserRiskRank"). */
export const riskControlCalls: Pick<WeChatPort, 'getUserRiskRank'> = {
  getUserRiskRank: (input) =>
    viaCloud('riskControl.getUserRiskRank', () => openapi().riskControl.getUserRiskRank(input)),
};
