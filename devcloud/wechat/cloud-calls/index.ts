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
import {
  ApiType,
  decodeApiGetOpenDataByCloudIdReq,
  decodeCommApiData,
  encodeApiGetOpenDataByCloudIdResp,
  encodeCommOpenApiResp,
} from './protobuf';
import type { CommApiData, CommOpenApiResp, KeyValuePair, SvrkitApiData } from './protobuf';
import { ConfigError, PermissionStore } from './permissions';
import type { OpenApiCallRecord, OpenApiFixture } from '../../protocol';

/** Who makes a cloud call: the calling function and, when devcloud knows it, the user whose invocation it is. */
export interface OpenApiCallContext {
  appid: string;
  functionName: string;
  openid?: string;
}

/**
 * A binary reply (an image): WeChat answers the API with raw bytes instead of JSON. The SDK hands the caller
 * `{contentType, buffer}` for any contentType that is not JSON or text (index.js `getGenericOpenAPI`).
 */
export class OpenApiBinary {
  constructor(
    readonly contentType: string,
    readonly body: Buffer,
  ) {}
}

/** WeChat's JSON reply (`{errcode, errmsg, ...}`, snake_case) or a binary one. */
export type OpenApiHandlerReply = Record<string, unknown> | OpenApiBinary;

export type OpenApiHandler = (data: Record<string, unknown>, ctx: OpenApiCallContext) => Promise<OpenApiHandlerReply>;

/** Cloud calls kept for GET /devcloud/openapi/calls (the newest). */
const MAX_CALL_RECORDS = 1000;

/**
 * errcode of a declared cloud call that devcloud can answer neither with a fake nor with a fixture: WeChat's
 * "api unauthorized" (48001), which no caller retries, with an errmsg that says how to set a fixture. Our choice:
 * the real platform would answer the call; devcloud cannot invent its reply.
 */
export const NO_FIXTURE_ERRCODE = 48001;

/**
 * Resolves the cloudIDs of one cloud.getOpenData call: per requested id, in order, the JSON text WeChat would
 * give ('{"cloudID":"<id>","data":{...}}'), or undefined for an unknown or expired id.
 */
/** Who asks for open data: the calling function and, when devcloud knows it, the user whose invocation it is. */
export interface OpenDataContext {
  appid: string;
  functionName: string;
  openid?: string;
}

/** Thrown by a resolver to refuse the whole call with one of WeChat's errorCodes (e.g. CLOUDID_USER_MISMATCH). */
export class OpenDataRefusal extends Error {
  constructor(readonly errorCode: number) {
    super(`open data refused: ${errorCode}`);
    this.name = 'OpenDataRefusal';
  }
}

export type OpenDataResolver = (cloudIds: string[], ctx: OpenDataContext) => Promise<Array<string | undefined>>;

/** A cloud-call name as the SDK sends it: `<namespace>.<method>`, e.g. `wxacode.getUnlimited`. */
export function isOpenApiName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,63}\.[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name);
}

/** svrkit apiName (and multipart apiName) of cloud.getOpenData. */
export const OPEN_DATA_API = 'ApiGetOpenDataByCloudId';

export interface DevOpenApiOptions {
  functionsDir: string;
  /** The mini-program's appid, handed to handlers when the call names none (cloud.openapi({appid}) does). */
  appId?: string;
  /** Where a handler's (or the open-data resolver's) crash is reported; the caller only sees -604103. Default: console.error. */
  onHandlerError?: (apiName: string, err: unknown) => void;
}

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
const RESP_JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

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
  svrkitData?: SvrkitApiData;
}

export class DevOpenApi {
  private readonly handlers = new Map<string, OpenApiHandler>();
  private readonly fixtures = new Map<string, OpenApiFixture>();
  private calls: OpenApiCallRecord[] = [];
  private lastCallSeq = 0;
  private readonly permissions: PermissionStore;
  private readonly appId: string;
  private readonly onHandlerError: (apiName: string, err: unknown) => void;
  private openDataResolver: OpenDataResolver | undefined;

  constructor(options: DevOpenApiOptions) {
    this.permissions = new PermissionStore(options.functionsDir);
    this.appId = options.appId ?? '';
    this.onHandlerError =
      options.onHandlerError ?? ((apiName, err) => console.error(`[devcloud] openapi ${apiName} handler failed:`, err));
  }

  /**
   * Registers (or replaces) the fake of one WeChat API, e.g. 'phonenumber.getPhoneNumber', or of every API of a
   * namespace ('templateMessage.*'): an API's own fake wins over its namespace's.
   */
  register(apiName: string, handler: OpenApiHandler): void {
    this.handlers.set(apiName, handler);
  }

  /** The cloud calls with a fake or a fixture here (cloud.getOpenData and wildcard fakes aside), sorted. */
  apiNames(): string[] {
    const named = [...this.handlers.keys()].filter((name) => !name.endsWith('.*'));
    return [...new Set([...named, ...this.fixtures.keys()])].sort();
  }

  /** Whether a cloud call has an answer here (a fake, a fixture, or cloud.getOpenData). */
  knows(apiName: string): boolean {
    return this.handlerOf(apiName) !== undefined || this.fixtures.has(apiName) || apiName === OPEN_DATA_API;
  }

  /**
   * Answers `apiName` with a canned reply from now on (replacing a fake, if it has one). The permission check of
   * config.json still comes first. Throws TypeError for a name or fixture that is not one.
   */
  setFixture(apiName: string, fixture: OpenApiFixture): void {
    if (!isOpenApiName(apiName)) throw new TypeError(`not a cloud-call name: ${String(apiName)}`);
    if ('binary' in fixture) {
      const { contentType, base64 } = fixture.binary;
      if (typeof contentType !== 'string' || !contentType || /application\/json|text\/plain/.test(contentType))
        throw new TypeError('binary.contentType must be a non-JSON, non-text media type, e.g. image/png');
      if (typeof base64 !== 'string') throw new TypeError('binary.base64 must be a string');
    } else if (typeof fixture.reply !== 'object' || fixture.reply === null || Array.isArray(fixture.reply)) {
      throw new TypeError('reply must be a JSON object, as WeChat answers: {errcode, errmsg, ...}');
    }
    this.fixtures.set(apiName, fixture);
  }

  /** Fixtures set, by API name. */
  listFixtures(): Record<string, OpenApiFixture> {
    return Object.fromEntries(this.fixtures);
  }

  /** Drops the fixture of one API, or all of them. */
  clearFixtures(apiName?: string): void {
    if (apiName === undefined) this.fixtures.clear();
    else this.fixtures.delete(apiName);
  }

  /** Cloud calls answered (or refused), oldest first: the newest 1,000. */
  recordedCalls(): OpenApiCallRecord[] {
    return this.calls.map((call) => ({ ...call }));
  }

  clearRecordedCalls(): void {
    this.calls = [];
  }

  private handlerOf(apiName: string): OpenApiHandler | undefined {
    return this.handlers.get(apiName) ?? this.handlers.get(`${apiName.split('.')[0] ?? ''}.*`);
  }

  private record(call: Omit<OpenApiCallRecord, 'seq' | 'at'>): void {
    this.lastCallSeq += 1;
    this.calls.push({ seq: this.lastCallSeq, at: new Date().toISOString(), ...call });
    if (this.calls.length > MAX_CALL_RECORDS + 100) this.calls = this.calls.slice(-MAX_CALL_RECORDS);
  }

  /**
   * Resolves cloudIDs for ApiGetOpenDataByCloudId (cloud.getOpenData). Returns, per requested id in order, the
   * JSON text WeChat would give: '{"cloudID":"<id>","data":{...}}', or undefined for an unknown/expired id.
   * Any undefined fails the whole call with errorCode -601005 (INVALID_CLOUDID). Replaces an earlier resolver.
   */
  setOpenDataResolver(
    resolver: (cloudIds: string[], ctx: OpenDataContext) => Promise<Array<string | undefined>>,
  ): void {
    this.openDataResolver = resolver;
  }

  /**
   * Answers one wx.openApi request made by `functionName`, on behalf of `caller` (the user whose invocation is
   * calling, when known). Never throws: failures become replies.
   */
  async handle(
    functionName: string,
    contentType: string,
    rawBody: Buffer,
    caller: { openid?: string } = {},
  ): Promise<OpenApiReply> {
    try {
      const request = parseRequest(contentType, rawBody);
      return protobufReply(await this.answer(functionName, request, caller));
    } catch (err) {
      if (err instanceof GatewayError) return gatewayError(err.code, err.message);
      return gatewayError('SYS_ERR', err instanceof Error ? err.message : String(err));
    }
  }

  private async answer(
    functionName: string,
    request: OpenApiRequest,
    caller: { openid?: string },
  ): Promise<CommOpenApiResp> {
    if (request.apiType === ApiType.SVRKIT_API) return this.answerSvrkit(functionName, request, caller);
    const { apiName } = request;
    const record = (answeredBy: OpenApiCallRecord['answeredBy'], errcode: number) =>
      this.record({
        api: apiName,
        functionName,
        ...(caller.openid ? { openid: caller.openid } : {}),
        data: describeData(request.data),
        answeredBy,
        errcode,
      });
    const allowed = await this.permissions.allowed(functionName).catch((err: unknown) => {
      throw err instanceof ConfigError ? new GatewayError('SYS_ERR', err.message) : err;
    });
    if (!allowed.has(apiName)) {
      record('none', OPENAPI_ERROR.NO_PERMISSION);
      return { errorCode: OPENAPI_ERROR.NO_PERMISSION };
    }
    if (request.apiType !== ApiType.OPEN_API) {
      record('none', OPENAPI_ERROR.NOT_FOUND);
      return { errorCode: OPENAPI_ERROR.NOT_FOUND };
    }
    const fixture = this.fixtures.get(apiName);
    const handler = this.handlerOf(apiName);
    let reply: OpenApiHandlerReply;
    if (fixture) {
      reply = 'binary' in fixture ? fixtureBinary(fixture.binary) : fixture.reply;
    } else if (handler) {
      try {
        const ctx: OpenApiCallContext = { appid: request.appid || this.appId, functionName };
        if (caller.openid) ctx.openid = caller.openid;
        reply = await handler(request.data, ctx);
      } catch (err) {
        this.onHandlerError(apiName, err);
        record('fake', OPENAPI_ERROR.SYSTEM_ERROR);
        return { errorCode: OPENAPI_ERROR.SYSTEM_ERROR };
      }
    } else {
      // Declared in config.json, so the platform would answer it: say what devcloud lacks, never -604100.
      reply = {
        errcode: NO_FIXTURE_ERRCODE,
        errmsg: `api unauthorized: devcloud has no fake of ${apiName}; set its reply with POST /devcloud/openapi/fixtures {"api":"${apiName}","reply":{...}}`,
      };
    }
    const answeredBy = fixture ? 'fixture' : handler ? 'fake' : 'none';
    if (reply instanceof OpenApiBinary) {
      record(answeredBy, 0);
      return { respData: reply.body, contentType: reply.contentType, httpCode: 200 };
    }
    record(answeredBy, typeof reply.errcode === 'number' ? reply.errcode : 0);
    // WeChat's own errors (errcode) travel inside respData with HTTP 200, as from api.weixin.qq.com.
    return { respData: Buffer.from(JSON.stringify(reply)), contentType: RESP_JSON_CONTENT_TYPE, httpCode: 200 };
  }

  /**
   * SVRKIT_API calls. Only ApiGetOpenDataByCloudId is emulated. It needs no config.json permission: WeChat's
   * cloud.getOpenData documents none (only the separate openapi.cloudbase.getOpenData does) and the SDK sends it
   * as a svrkit call, not under an openapi name a permission list could hold.
   */
  private async answerSvrkit(
    functionName: string,
    request: OpenApiRequest,
    caller: { openid?: string },
  ): Promise<CommOpenApiResp> {
    const svrkit = request.svrkitData;
    if (!svrkit || (svrkit.apiName || request.apiName) !== OPEN_DATA_API) return { errorCode: OPENAPI_ERROR.NOT_FOUND };
    const resolver = this.openDataResolver;
    if (!resolver) {
      // A local-cloud setup problem, not something WeChat answers: say so in the error the SDK surfaces.
      throw new GatewayError(
        'SYS_ERR',
        `devcloud has no open-data resolver: cloud.getOpenData (${OPEN_DATA_API}) needs DevOpenApi.setOpenDataResolver`,
      );
    }
    let cloudIds: string[];
    let reqAppid: string;
    try {
      ({ cloudidList: cloudIds, appid: reqAppid } = decodeApiGetOpenDataByCloudIdReq(svrkit.reqData));
    } catch (err) {
      throw new GatewayError('INVALID_PARAM', `reqData is not an ApiGetOpenDataByCloudIdReq: ${String(err)}`);
    }
    let texts: Array<string | undefined>;
    try {
      const ctx: OpenDataContext = { appid: request.appid || reqAppid || this.appId, functionName, ...caller };
      texts = cloudIds.length > 0 ? await resolver([...cloudIds], ctx) : [];
      checkResolved(cloudIds, texts);
    } catch (err) {
      if (err instanceof OpenDataRefusal) return { errorCode: err.errorCode };
      this.onHandlerError(OPEN_DATA_API, err);
      return { errorCode: OPENAPI_ERROR.SYSTEM_ERROR };
    }
    // Our choice (WeChat documents none): one bad id fails the whole call with a code the SDK names ('invalid
    // cloudID'); the caller learns the code, not which id. See OPENAPI_ERROR.INVALID_CLOUDID.
    if (texts.some((text) => text === undefined)) return { errorCode: OPENAPI_ERROR.INVALID_CLOUDID };
    const dataList = cloudIds.map((cloudId, i) => ({ cloudId, json: texts[i] ?? '' }));
    return { respData: encodeApiGetOpenDataByCloudIdResp({ dataList }), httpCode: 200, svrkitErrorCode: 0 };
  }
}

/** A resolver's answer must line up with the ids and hold JSON text (the SDK JSON.parses it) or undefined. */
function checkResolved(cloudIds: string[], texts: unknown): asserts texts is Array<string | undefined> {
  if (!Array.isArray(texts) || texts.length !== cloudIds.length) {
    throw new Error(`open-data resolver returned ${shapeOf(texts)} for ${cloudIds.length} cloudID(s)`);
  }
  texts.forEach((text: unknown, i) => {
    if (text === undefined) return;
    if (typeof text !== 'string') throw new Error(`open-data resolver returned ${shapeOf(text)} for ${cloudIds[i]}`);
    try {
      JSON.parse(text);
    } catch {
      throw new Error(`open-data resolver returned non-JSON text for ${cloudIds[i]}`);
    }
  });
}

function fixtureBinary(binary: { contentType: string; base64: string }): OpenApiBinary {
  return new OpenApiBinary(binary.contentType, Buffer.from(binary.base64, 'base64'));
}

/** The request data for the call record: media bytes replaced by their size. */
function describeData(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => {
      if (value && typeof value === 'object' && Buffer.isBuffer((value as { value?: unknown }).value)) {
        const media = value as { contentType?: string; fileName?: string; value: Buffer };
        return [key, { contentType: media.contentType, fileName: media.fileName, bytes: media.value.length }];
      }
      return [key, value];
    }),
  );
}

function shapeOf(value: unknown): string {
  return Array.isArray(value) ? `${value.length} entries` : typeof value;
}

function protobufReply(message: CommOpenApiResp): OpenApiReply {
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

function gatewayError(code: string, message: string): OpenApiReply {
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
