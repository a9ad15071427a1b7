import type { ServerErrorCode } from '../contracts';
import { cloud } from './cloud';
import { AppFailure } from './errors';

/** The cloud calls this kit makes, typed (the SDK types cloud.openapi as `any`). Each needs its config.json entry. */
export interface OpenApi {
  phonenumber: { getPhoneNumber(data: { code: string; openid?: string }): Promise<unknown> };
  security: { msgSecCheck(data: Record<string, unknown>): Promise<unknown> };
  riskControl: {
    getUserRiskRank(data: { appid: string; openid: string; scene: number; clientIp: string }): Promise<unknown>;
  };
}

export function openapi(): OpenApi {
  return cloud.openapi as unknown as OpenApi;
}

/** WeChat errcodes a given cloud call can answer with, and what each means for the caller. */
export type OpenApiErrors = Partial<Record<number, { code: ServerErrorCode; message: string }>>;

/** -1 is "system busy, retry" in WeChat's docs: worth exactly one more try. */
const MAX_ATTEMPTS_ON_BUSY = 2;

/**
 * Runs one cloud call (cloud.openapi.*, cloud.getOpenData) and turns its failures into contract codes. The SDK
 * throws WeChat errcodes (40029, 1400001, ...) and CloudBase's own (-604101: permission missing from config.json)
 * alike as `errCode`.
 */
export async function callOpenApi<T>(api: string, run: () => Promise<T>, errors: OpenApiErrors = {}): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const errCode = Number((error as { errCode?: unknown } | null)?.errCode);
      if (errCode === -1 && attempt < MAX_ATTEMPTS_ON_BUSY) continue;
      throw openApiFailure(api, errCode, errors);
    }
  }
}

function openApiFailure(api: string, errCode: number, errors: OpenApiErrors): AppFailure {
  const detail = { api, errCode };
  const known = errors[errCode];
  if (known) return new AppFailure(known.code, known.message, detail);
  if (errCode === -604101) {
    return new AppFailure('OPENAPI_PERMISSION_MISSING', '服务未开通该微信能力（云函数缺少云调用权限）', detail);
  }
  return new AppFailure('WX_UNAVAILABLE', '微信服务暂时不可用，请稍后重试', detail);
}
