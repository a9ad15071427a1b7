/**
 * Cloud calls (`cloud.openapi.<ns>.<api>(data)`) as the CloudBase gateway answers them.
 *
 * Request, as wx-server-sdk 4.0.2 builds it (index.js `getGenericOpenAPI`/`callWXOpenAPI`, then
 * @cloudbase/node-sdk dist/wx/index.js `callCompatibleWxOpenApi`): POST multipart/form-data with parts
 * `action=wx.openApi`, `apiName`, `requestData` (protobuf CommApiData, see ./protobuf.ts), `envName` and a few
 * empty token parts. Data keys arrive snake_cased, each value as its JSON text.
 *
 * Reply: HTTP 200 with a protobuf CommOpenApiResp body. The SDK (index.js `callGeneralOpenAPI`) throws
 * `errCode = errorCode` when errorCode is non-zero, else parses respData as JSON when contentType matches
 * /application\/json|text\/plain/, throws `errCode = errcode` when that JSON has a non-zero errcode, else
 * camelCases it. Gateway-level failures are JSON `{requestId, code, message}` sent with the HTTP content type
 * exactly `application/json; charset=utf-8`, which node-sdk (utils/tcbapirequester.js `handleWxOpenApiData`)
 * parses as JSON; the SDK maps `code` through TCB_ERR_CODE (INVALID_PARAM -> -501007, SYS_ERR -> -501001).
 */
import { randomUUID } from 'crypto';
import { MultipartError, mediaType, parseMultipart } from './multipart';
import type { FormPart } from './multipart';
import { ApiType, decodeCommApiData, encodeCommOpenApiResp } from './protobuf';
import type { CommApiData, CommOpenApiResp, KeyValuePair } from './protobuf';
import { ConfigError, PermissionStore } from './permissions';

export type OpenApiHandler = (
  data: Record<string, unknown>,
  ctx: { appid: string; functionName: string },
) => Promise<Record<string, unknown>>;

export interface DevOpenApiOptions {
  functionsDir: string;
  /** The mini-program's appid, handed to handlers when the call names none (cloud.openapi({appid}) does). */
  appId?: string;
  /** Where a handler's crash is reported; the caller only sees -604103. Default: console.error. */
  onHandlerError?: (apiName: string, err: unknown) => void;
}

/** errorCode values of CommOpenApiResp (wx-server-sdk index.js ERR_CODE, "-604100".."-604103"). */
export const OPENAPI_ERROR = {
  /** 'API not found': the API has no handler here (not faked yet) or is not an OPEN_API call. */
  NOT_FOUND: -604100,
  /** 'function has no permission to call this API': not in the function's config.json permissions.openapi. */
  NO_PERMISSION: -604101,
  /** 'call open API system error': the handler threw. */
  SYSTEM_ERROR: -604103,
} as const;

/** HTTP content type of a protobuf reply. Anything but exactly `application/json; charset=utf-8` works. */
export const PROTOBUF_CONTENT_TYPE = 'application/octet-stream';
/** HTTP content type of a gateway error; node-sdk parses the body as JSON only for this exact string. */
export const GATEWAY_ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';
/** contentType inside CommOpenApiResp for a JSON respData; the SDK tests it with /application\/json/. */
const RESP_JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface OpenApiReply {
  body: Buffer;
  contentType: string;
}

/** True for the multipart bodies of wx.openApi; every other CloudBase action is JSON. */
export function isOpenApiRequest(contentType: string | undefined): boolean {
  return mediaType(contentType) === 'multipart/form-data';
}

class GatewayError extends Error {
  constructor(
    readonly code: 'INVALID_PARAM' | 'SYS_ERR',
    message: string,
  ) {
    super(message);
  }
}

interface OpenApiRequest {
  apiName: string;
  apiType: number;
  appid: string;
  data: Record<string, unknown>;
}

export class DevOpenApi {
  private readonly handlers = new Map<string, OpenApiHandler>();
  private readonly permissions: PermissionStore;
  private readonly appId: string;
  private readonly onHandlerError: (apiName: string, err: unknown) => void;

  constructor(options: DevOpenApiOptions) {
    this.permissions = new PermissionStore(options.functionsDir);
    this.appId = options.appId ?? '';
    this.onHandlerError =
      options.onHandlerError ?? ((apiName, err) => console.error(`[devcloud] openapi ${apiName} handler failed:`, err));
  }

  /** Registers (or replaces) the fake of one WeChat API, e.g. 'phonenumber.getPhoneNumber'. */
  register(apiName: string, handler: OpenApiHandler): void {
    this.handlers.set(apiName, handler);
  }

  /** Answers one wx.openApi request made by `functionName`. Never throws: failures become replies. */
  async handle(functionName: string, contentType: string, rawBody: Buffer): Promise<OpenApiReply> {
    try {
      const request = parseRequest(contentType, rawBody);
      return protobufReply(await this.answer(functionName, request));
    } catch (err) {
      if (err instanceof GatewayError) return gatewayError(err.code, err.message);
      return gatewayError('SYS_ERR', err instanceof Error ? err.message : String(err));
    }
  }

  private async answer(functionName: string, request: OpenApiRequest): Promise<CommOpenApiResp> {
    const allowed = await this.permissions.allowed(functionName).catch((err: unknown) => {
      throw err instanceof ConfigError ? new GatewayError('SYS_ERR', err.message) : err;
    });
    if (!allowed.has(request.apiName)) return { errorCode: OPENAPI_ERROR.NO_PERMISSION };
    const handler = this.handlers.get(request.apiName);
    if (!handler || request.apiType !== ApiType.OPEN_API) return { errorCode: OPENAPI_ERROR.NOT_FOUND };
    let reply: Record<string, unknown>;
    try {
      reply = await handler(request.data, { appid: request.appid || this.appId, functionName });
    } catch (err) {
      this.onHandlerError(request.apiName, err);
      return { errorCode: OPENAPI_ERROR.SYSTEM_ERROR };
    }
    // WeChat's own errors (errcode) travel inside respData with HTTP 200, as from api.weixin.qq.com.
    return { respData: Buffer.from(JSON.stringify(reply)), contentType: RESP_JSON_CONTENT_TYPE, httpCode: 200 };
  }
}

function protobufReply(message: CommOpenApiResp): OpenApiReply {
  return { body: encodeCommOpenApiResp(message), contentType: PROTOBUF_CONTENT_TYPE };
}

function gatewayError(code: string, message: string): OpenApiReply {
  const body = JSON.stringify({ requestId: randomUUID(), code, message });
  return { body: Buffer.from(body), contentType: GATEWAY_ERROR_CONTENT_TYPE };
}

function parseRequest(contentType: string, rawBody: Buffer): OpenApiRequest {
  const parts = parseParts(contentType, rawBody);
  const action = textPart(parts, 'action');
  if (action !== 'wx.openApi') throw new GatewayError('INVALID_PARAM', `unsupported multipart action: ${action}`);
  const apiName = textPart(parts, 'apiName');
  if (!apiName) throw new GatewayError('INVALID_PARAM', 'missing apiName');
  const requestData = parts.get('requestData');
  if (!requestData) throw new GatewayError('INVALID_PARAM', 'missing requestData');
  let decoded: CommApiData;
  try {
    decoded = decodeCommApiData(requestData.data);
  } catch (err) {
    throw new GatewayError('INVALID_PARAM', `requestData is not a CommApiData: ${String(err)}`);
  }
  return { apiName, apiType: decoded.apiType, appid: decoded.appid, data: pairsToData(decoded.pairs) };
}

function parseParts(contentType: string, rawBody: Buffer): Map<string, FormPart> {
  try {
    return new Map(parseMultipart(contentType, rawBody).map((part) => [part.name, part]));
  } catch (err) {
    if (err instanceof MultipartError) throw new GatewayError('INVALID_PARAM', err.message);
    throw err;
  }
}

function textPart(parts: Map<string, FormPart>, name: string): string {
  return parts.get(name)?.data.toString('utf8') ?? '';
}

/**
 * Turns the pairs back into the call's data object. Plain values are JSON text (the SDK uses
 * JSONBigInt.stringify; integers beyond 2^53 lose precision here). Media values (the SDK's mediaConverter:
 * `{contentType, value: Buffer}`) arrive as raw bytes with a filename; the SDK writes their content type to a
 * field name the message lacks, so only the filename survives the wire.
 */
function pairsToData(pairs: KeyValuePair[]): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const pair of pairs) {
    data[pair.key] = pair.filename || pair.contenttype ? mediaValue(pair) : jsonValue(pair);
  }
  return data;
}

function mediaValue(pair: KeyValuePair): Record<string, unknown> {
  return { contentType: pair.contenttype, fileName: pair.filename, value: pair.value };
}

function jsonValue(pair: KeyValuePair): unknown {
  try {
    return JSON.parse(pair.value.toString('utf8')) as unknown;
  } catch {
    throw new GatewayError('INVALID_PARAM', `value of ${pair.key} is not JSON`);
  }
}
