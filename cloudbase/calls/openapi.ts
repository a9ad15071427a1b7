import { AppFailure, describeError } from '../../core/errors';
import { WeChatCallError, type PhoneInfo } from '../../core/ports';
import { cloud } from '../cloud';

/**
 * The cloud calls this kit makes, typed (the SDK types cloud.openapi as `any`). Each needs its function's
 * config.json permission, and `npm run check` reads which calls a function's bundle makes: so each call lives in
 * a file of its own (calls/*.ts), imported only by the functions that declare it.
 */
export interface OpenApi {
  phonenumber: { getPhoneNumber(data: { code: string; openid?: string }): Promise<{ phoneInfo?: PhoneInfo }> };
  security: { msgSecCheck(data: Record<string, unknown>): Promise<{ result?: { suggest?: string } }> };
  riskControl: {
    getUserRiskRank(data: { appid: string; openid: string; scene: number; clientIp: string }): Promise<{
      riskRank?: number;
    }>;
  };
}

export function openapi(): OpenApi {
  return cloud.openapi as unknown as OpenApi;
}

/**
 * The SDK throws WeChat's errcodes (40029, 1400001, ...) and CloudBase's own (-604101: permission missing from
 * config.json) alike as `errCode`: both become WeChatCallError for the use cases to map.
 */
export async function viaCloud<T>(api: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const errCode = Number((error as { errCode?: unknown } | null)?.errCode);
    if (Number.isFinite(errCode)) throw new WeChatCallError(api, errCode);
    // No answer at all (a reset, a lost reply): not retried, since a code may already be spent.
    throw new AppFailure('WX_UNAVAILABLE', '微信服务暂时不可用，请稍后重试', { api, ...describeError(error) });
  }
}
