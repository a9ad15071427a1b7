import type { ServerErrorCode } from '../contracts';
import { AppFailure } from './errors';
import { WeChatCallError } from './ports';

/** WeChat errcodes a given call can answer with, and what each means for the caller. */
export type WeChatErrors = Partial<Record<number, { code: ServerErrorCode; message: string }>>;

/** -1 is "system busy, retry" in WeChat's docs: worth exactly one more try. */
const MAX_ATTEMPTS_ON_BUSY = 2;

/**
 * Runs one WeChat server call through the host's port and turns its errcodes into contract codes, the same way on
 * both hosts. Failures that are not WeChat's answer (WX_UNAVAILABLE, a bug) pass through as they are.
 */
export async function callWeChat<T>(api: string, run: () => Promise<T>, errors: WeChatErrors = {}): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof WeChatCallError)) throw error;
      if (error.errcode === -1 && attempt < MAX_ATTEMPTS_ON_BUSY) continue;
      throw weChatFailure(api, error.errcode, errors);
    }
  }
}

function weChatFailure(api: string, errcode: number, errors: WeChatErrors): AppFailure {
  const detail = { api, errCode: errcode };
  const known = errors[errcode];
  if (known) return new AppFailure(known.code, known.message, detail);
  if (errcode === -604101) {
    return new AppFailure('OPENAPI_PERMISSION_MISSING', '服务未开通该微信能力（云函数缺少云调用权限）', detail);
  }
  return new AppFailure('WX_UNAVAILABLE', '微信服务暂时不可用，请稍后重试', detail);
}
