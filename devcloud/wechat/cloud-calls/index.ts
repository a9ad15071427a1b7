/**
 * cloud-calls/: cloud calls (`cloud.openapi.<ns>.<api>(data)`) and cloud.getOpenData as the CloudBase gateway
 * answers them, checked against wx-server-sdk 4.0.2. ./wire.ts reads the request and writes the reply (the
 * protobuf messages of ./protobuf.ts); this file decides what the reply says: the function's config.json
 * permission first, then a fixture, a fake (./fakes.ts registers WeChat's), or a reply saying that devcloud has
 * neither. Open data is answered by the resolver given to setOpenDataResolver.
 */
import { ApiType, decodeApiGetOpenDataByCloudIdReq, encodeApiGetOpenDataByCloudIdResp } from './protobuf';
import type { CommOpenApiResp } from './protobuf';
import { ConfigError, PermissionStore } from './permissions';
import {
  GatewayError,
  gatewayError,
  OPEN_DATA_API,
  OPENAPI_ERROR,
  parseRequest,
  protobufReply,
  RESP_JSON_CONTENT_TYPE,
  type OpenApiReply,
  type OpenApiRequest,
} from './wire';
import type { OpenApiCallRecord, OpenApiFixture } from '../../protocol';

export {
  cloudCallRefusal,
  GATEWAY_ERROR_CONTENT_TYPE,
  isOpenApiRequest,
  OPEN_DATA_API,
  OPENAPI_ERROR,
  openApiErrorReply,
  openApiNameOf,
  PROTOBUF_CONTENT_TYPE,
  type OpenApiReply,
} from './wire';

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

export interface DevOpenApiOptions {
  functionsDir: string;
  /** The mini-program's appid, handed to handlers when the call names none (cloud.openapi({appid}) does). */
  appId?: string;
  /** Where a handler's (or the open-data resolver's) crash is reported; the caller only sees -604103. Default: console.error. */
  onHandlerError?: (apiName: string, err: unknown) => void;
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
