import type { ErrorCode } from '../../contracts';
import { API_BASE_URL } from '../config';
import { getToken, renewToken } from './auth';
import { ClientError } from './cloud';

/**
 * The only caller of wx.request: calls the developer's own backend (API_BASE_URL in config.ts) with the session
 * token as `Authorization: Bearer <token>`. A 401 gets one token refresh and one retry; every failure is a typed
 * ApiError. The token goes to API_BASE_URL only, never to another host.
 */

/** What wx.request supports (no PATCH). */
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  /** A path under API_BASE_URL, starting with '/': '/api/me'. */
  path: string;
  method?: Method;
  /** As wx.request takes it: an object is sent as JSON (or as the query string for GET). */
  data?: string | Record<string, unknown> | ArrayBuffer;
  header?: Record<string, string>;
  /** Milliseconds (wx.request's default is 60 s). */
  timeout?: number;
}

export interface ApiResponse<T> {
  statusCode: number;
  data: T;
  header: Record<string, string>;
}

/** A failed backend call: the code (and its Chinese message), the HTTP status and body when there was an answer. */
export class ApiError extends ClientError {
  constructor(
    code: ErrorCode,
    readonly statusCode?: number,
    readonly body?: unknown,
  ) {
    super(code);
    this.name = 'ApiError';
  }
}

export async function requestApi<T = unknown>(request: ApiRequest): Promise<ApiResponse<T>> {
  if (!API_BASE_URL) throw new ApiError('API_NOT_CONFIGURED');
  if (!request.path.startsWith('/')) throw new TypeError(`requestApi: path must start with '/': ${request.path}`);
  const token = await getToken();
  let response = await send<T>(request, token);
  if (response.statusCode === 401) {
    // Expired, revoked or signed with a key the backend no longer trusts: one fresh token, one retry.
    response = await send<T>(request, await renewToken(token));
    if (response.statusCode === 401) throw new ApiError('API_UNAUTHORIZED', 401, response.data);
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new ApiError('API_ERROR', response.statusCode, response.data);
  }
  return response;
}

function send<T>(request: ApiRequest, token: string): Promise<ApiResponse<T>> {
  return new Promise((resolve, reject) => {
    // wx.request returns a RequestTask, not a promise: callbacks it is.
    wx.request({
      url: `${API_BASE_URL}${request.path}`,
      method: request.method ?? 'GET',
      ...(request.data === undefined ? {} : { data: request.data }),
      ...(request.timeout === undefined ? {} : { timeout: request.timeout }),
      header: { ...request.header, Authorization: `Bearer ${token}` },
      success: (result) =>
        resolve({
          statusCode: result.statusCode,
          data: result.data as T,
          header: result.header,
        }),
      // Offline, timeout, TLS, or a domain missing from the mini-program's request whitelist.
      fail: () => reject(new ApiError('NETWORK')),
    });
  });
}
