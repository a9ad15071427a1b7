/**
 * The wire format of cloud calls (`cloud.openapi.<ns>.<api>(data)`): how the CloudBase gateway reads a request and
 * writes a reply. ./index.ts decides what the reply says.
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
 *
 * cloud.getOpenData({list}) (index.js `getOpenData.ts`, about line 2086) rides the same request: apiName
 * `ApiGetOpenDataByCloudId`, and a CommApiData of apiType SVRKIT_API whose svrkitData {apiName, reqData} carries a
 * protobuf ApiGetOpenDataByCloudIdReq {2 repeated cloudidList}. The SDK reads the reply's svrkitErrorCode (non-zero
 * -> -601001 'internal svrkit error') and decodes respData as ApiGetOpenDataByCloudIdResp {1 repeated dataList
 * {1 cloudId, 2 json}}, JSON.parse-ing each json into `list[i]` (an empty json -> -601001). Answered by the
 * resolver given to setOpenDataResolver; no config.json permission is involved (see answerSvrkit).
 */
import { randomUUID } from 'crypto';
import { MultipartError, mediaType, parseMultipart } from './multipart';
import type { FormPart } from './multipart';
import { decodeCommApiData, encodeCommOpenApiResp } from './protobuf';
import type { CommApiData, CommOpenApiResp, KeyValuePair, SvrkitApiData } from './protobuf';

/** svrkit apiName (and multipart apiName) of cloud.getOpenData. */
export const OPEN_DATA_API = 'ApiGetOpenDataByCloudId';

/** errorCode values of CommOpenApiResp (wx-server-sdk index.js ERR_CODE, "-601005", "-604100".."-604103"). */
export const OPENAPI_ERROR = {
  /**
   * 'invalid cloudID': cloud.getOpenData named a cloudID the resolver does not know (or that expired). The SDK
   * throws it as errCode -601005 (it keeps any errorCode its ERR_CODE table does not remap).
   */
  INVALID_CLOUDID: -601005,
  /** 'cloudID and calling user does not match': a cloudID issued to another user (or no user is calling). */
  CLOUDID_USER_MISMATCH: -601007,
  /**
   * 'API not found': an apiType devcloud does not serve (INNER_API, TOKEN_API), or a SVRKIT_API other than
   * getOpenData. A declared OPEN_API without a fake or fixture answers NO_FIXTURE_ERRCODE instead.
   */
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
export const RESP_JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface OpenApiReply {
  body: Buffer;
  contentType: string;
  /** 'error' when the reply fails the call: a gateway error, an errorCode, or WeChat's non-zero errcode. */
  outcome: 'ok' | 'error';
}

/** True for the multipart bodies of wx.openApi; every other CloudBase action is JSON. */
export function isOpenApiRequest(contentType: string | undefined): boolean {
  return mediaType(contentType) === 'multipart/form-data';
}

export class GatewayError extends Error {
  constructor(
    readonly code: 'INVALID_PARAM' | 'SYS_ERR',
    message: string,
  ) {
    super(message);
  }
}

export interface OpenApiRequest {
  apiName: string;
  apiType: number;
  appid: string;
  data: Record<string, unknown>;
  svrkitData?: SvrkitApiData;
}

/** The gateway's refusal of a cloud call, before WeChat is asked (e.g. NO_PERMISSION). */
export function cloudCallRefusal(errorCode: number): OpenApiReply {
  return protobufReply({ errorCode });
}

export function protobufReply(message: CommOpenApiResp): OpenApiReply {
  const failed = (message.errorCode ?? 0) !== 0 || (message.svrkitErrorCode ?? 0) !== 0 || hasErrcode(message);
  return { body: encodeCommOpenApiResp(message), contentType: PROTOBUF_CONTENT_TYPE, outcome: failed ? 'error' : 'ok' };
}

/** WeChat's own error inside a JSON respData, as the SDK reads it (a non-zero errcode). */
function hasErrcode(message: CommOpenApiResp): boolean {
  if (!message.respData || !/application\/json/.test(message.contentType ?? '')) return false;
  try {
    const reply = JSON.parse(message.respData.toString('utf8')) as { errcode?: unknown };
    return typeof reply.errcode === 'number' && reply.errcode !== 0;
  } catch {
    return true;
  }
}

export function gatewayError(code: string, message: string): OpenApiReply {
  const body = JSON.stringify({ requestId: randomUUID(), code, message });
  return { body: Buffer.from(body), contentType: GATEWAY_ERROR_CONTENT_TYPE, outcome: 'error' };
}

/** The multipart apiName of a cloud call, without answering it (undefined when the body is not one). */
export function openApiNameOf(contentType: string | undefined, rawBody: Buffer): string | undefined {
  try {
    return textPart(parseParts(contentType ?? '', rawBody), 'apiName') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cloud call answered with WeChat's error `errcode`: inside respData as api.weixin.qq.com sends it, so the SDK
 * rejects with errCode = errcode. getOpenData is a svrkit call with no errcode of its own: the gateway's errorCode
 * carries it instead (the SDK rejects with that errCode too).
 */
export function openApiErrorReply(apiName: string | undefined, errcode: number): OpenApiReply {
  if (apiName === OPEN_DATA_API) return protobufReply({ errorCode: errcode });
  const respData = Buffer.from(JSON.stringify({ errcode, errmsg: `devcloud: injected errcode ${errcode}` }));
  return protobufReply({ respData, contentType: RESP_JSON_CONTENT_TYPE, httpCode: 200 });
}

export function parseRequest(contentType: string, rawBody: Buffer): OpenApiRequest {
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
  const request: OpenApiRequest = {
    apiName,
    apiType: decoded.apiType,
    appid: decoded.appid,
    data: pairsToData(decoded.pairs),
  };
  if (decoded.svrkitData) request.svrkitData = decoded.svrkitData;
  return request;
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
