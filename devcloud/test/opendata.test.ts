/**
 * cloud.getOpenData({list}) against the REAL wx-server-sdk: it goes out as a wx.openApi multipart request whose
 * CommApiData is a SVRKIT_API call `ApiGetOpenDataByCloudId`; DevOpenApi answers from the resolver given to
 * setOpenDataResolver with a protobuf ApiGetOpenDataByCloudIdResp inside CommOpenApiResp.respData.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import cloud from 'wx-server-sdk';
import { DevOpenApi, GATEWAY_ERROR_CONTENT_TYPE, OPEN_DATA_API, OPENAPI_ERROR } from '../wechat/cloud-calls';
import { parseMultipart } from '../wechat/cloud-calls/multipart';
import {
  ApiType,
  decodeApiGetOpenDataByCloudIdReq,
  decodeApiGetOpenDataByCloudIdResp,
  decodeCommApiData,
  decodeCommOpenApiResp,
  encodeApiGetOpenDataByCloudIdReq,
  encodeCommApiData,
} from '../wechat/cloud-calls/protobuf';
import type { CloudbaseHarness, CloudbaseRoute } from './support/cloudbase-harness';
import { jsonReply, multipart, readBody, rejectionOf, startCloudbaseHarness } from './support/cloudbase-harness';

const ENV = 'test-env';
const APPID = 'wx0123456789abcdef';

type Ctx = { appid: string; functionName: string };

let harness: CloudbaseHarness;
let functionsDir: string;
let openapi: DevOpenApi;
let handlerErrors: Array<{ apiName: string; err: unknown }>;
let lastRequest: { contentType: string; body: Buffer } | undefined;

/** /fn/<name>/admin: every multipart body goes to DevOpenApi, as devcloud's server routes it. */
const route: CloudbaseRoute = async (req, res, { functionName }) => {
  const contentType = req.headers['content-type'] ?? '';
  if (functionName && contentType.startsWith('multipart/form-data')) {
    const body = await readBody(req);
    lastRequest = { contentType, body };
    const reply = await openapi.handle(functionName, contentType, body);
    res.writeHead(200, { 'content-type': reply.contentType }).end(reply.body);
    return;
  }
  jsonReply(res, { requestId: 'r', code: 'INVALID_PARAM', message: 'unexpected' });
};

/** The SDK types getOpenData as returning its result directly; at run time it returns a promise. */
function getOpenData(list: string[]): Promise<Record<string, unknown>> {
  return cloud.getOpenData({ list }) as unknown as Promise<Record<string, unknown>>;
}

function newOpenApi(): DevOpenApi {
  return new DevOpenApi({
    functionsDir,
    appId: APPID,
    onHandlerError: (apiName, err) => handlerErrors.push({ apiName, err }),
  });
}

/** A phone-number open datum as WeChat gives it for a cloudID. */
function phoneJson(cloudID: string, phone: string): string {
  return JSON.stringify({
    cloudID,
    data: {
      phoneNumber: phone,
      purePhoneNumber: phone,
      countryCode: '86',
      watermark: { appid: APPID, timestamp: 1700000000 },
    },
  });
}

beforeAll(async () => {
  functionsDir = await mkdtemp(join(tmpdir(), 'devcloud-opendata-'));
  // A config.json that cannot even be parsed: getOpenData must not read it.
  await mkdir(join(functionsDir, 'broken'), { recursive: true });
  await writeFile(join(functionsDir, 'broken', 'config.json'), '{"permissions": ');

  harness = await startCloudbaseHarness({ env: ENV, route });
});

afterAll(async () => {
  await harness.close();
  await rm(functionsDir, { recursive: true, force: true });
});

beforeEach(() => {
  handlerErrors = [];
  lastRequest = undefined;
  openapi = newOpenApi();
  // A function with no config.json at all: getOpenData needs no openapi permission.
  harness.asFunction('account');
});

describe('cloud.getOpenData through the real SDK', () => {
  it('hands the resolver the ids in order and returns each JSON parsed, data intact', async () => {
    const calls: Array<{ ids: string[]; ctx: Ctx }> = [];
    openapi.setOpenDataResolver(async (ids, ctx) => {
      calls.push({ ids, ctx });
      return ids.map((id) => phoneJson(id, id === '27_b' ? '13900005678' : '13800001234'));
    });

    const result = await getOpenData(['27_a', '27_b']);

    expect(calls).toEqual([{ ids: ['27_a', '27_b'], ctx: { appid: APPID, functionName: 'account' } }]);
    expect(result).toEqual({
      list: [JSON.parse(phoneJson('27_a', '13800001234')), JSON.parse(phoneJson('27_b', '13900005678'))],
      errMsg: 'getOpenData:ok',
      errCode: 0,
    });
    expect(result['list']).toEqual([
      {
        cloudID: '27_a',
        data: {
          phoneNumber: '13800001234',
          purePhoneNumber: '13800001234',
          countryCode: '86',
          watermark: { appid: APPID, timestamp: 1700000000 },
        },
      },
      expect.objectContaining({ cloudID: '27_b' }),
    ]);
  });

  it('sends a wx.openApi multipart request with a SVRKIT_API CommApiData, answered without config.json', async () => {
    openapi.setOpenDataResolver(async (ids) => ids.map((id) => phoneJson(id, '13800001234')));
    harness.asFunction('broken');

    await expect(getOpenData(['27_x'])).resolves.toMatchObject({ errCode: 0 });

    if (!lastRequest) throw new Error('no request seen');
    const parts = new Map(
      parseMultipart(lastRequest.contentType, lastRequest.body).map((part) => [part.name, part.data]),
    );
    expect(parts.get('action')?.toString()).toBe('wx.openApi');
    expect(parts.get('apiName')?.toString()).toBe(OPEN_DATA_API);
    const message = decodeCommApiData(parts.get('requestData') ?? Buffer.alloc(0));
    expect(message).toMatchObject({ apiType: ApiType.SVRKIT_API, pairs: [], appid: '' });
    expect(message.svrkitData?.apiName).toBe(OPEN_DATA_API);
    expect(decodeApiGetOpenDataByCloudIdReq(message.svrkitData?.reqData ?? Buffer.alloc(0))).toEqual({
      cloudidList: ['27_x'],
      appid: '',
    });
  });

  it('fails the call with errCode -601005 (invalid cloudID) when any id is unknown or expired', async () => {
    const seen: string[][] = [];
    openapi.setOpenDataResolver(async (ids) => {
      seen.push(ids);
      return ids.map((id) => (id === '27_gone' ? undefined : phoneJson(id, '13800001234')));
    });

    const err = await rejectionOf(getOpenData(['27_ok', '27_gone']));

    expect(seen).toEqual([['27_ok', '27_gone']]);
    expect(err['errCode']).toBe(OPENAPI_ERROR.INVALID_CLOUDID);
    expect(err['errCode']).toBe(-601005);
    expect(String(err['message'])).toContain('invalid cloudID');
  });

  it('answers a clear gateway error (-501001) when no resolver is registered', async () => {
    const err = await rejectionOf(getOpenData(['27_a']));
    expect(err['errCode']).toBe(-501001);
    expect(String(err['errMsg'])).toContain('setOpenDataResolver');
  });

  it('answers -604103 and reports it when the resolver throws or answers out of shape', async () => {
    const broken: Array<(ids: string[]) => Promise<Array<string | undefined>>> = [
      async () => {
        throw new Error('resolver broke');
      },
      async () => [],
      async (ids) => ids.map(() => 'not json'),
    ];
    for (const resolver of broken) {
      openapi.setOpenDataResolver(resolver);
      const err = await rejectionOf(getOpenData(['27_a']));
      expect(err['errCode']).toBe(OPENAPI_ERROR.SYSTEM_ERROR);
    }
    expect(handlerErrors.map((e) => e.apiName)).toEqual([OPEN_DATA_API, OPEN_DATA_API, OPEN_DATA_API]);
  });

  it('returns an empty list for an empty request without asking the resolver', async () => {
    const resolver = jest.fn(async (ids: string[]) => ids.map(() => undefined));
    openapi.setOpenDataResolver(resolver);
    await expect(getOpenData([])).resolves.toEqual({ list: [], errMsg: 'getOpenData:ok', errCode: 0 });
    expect(resolver).not.toHaveBeenCalled();
  });

  it('answers -604100 for other svrkit calls (cloud.getVoIPSign is not emulated)', async () => {
    openapi.setOpenDataResolver(async (ids) => ids.map(() => undefined));
    // Present at run time (index.js getAPIs), missing from the SDK's typings.
    const sdk = cloud as unknown as Record<string, (p: Record<string, unknown>) => Promise<unknown>>;
    const getVoIPSign = sdk['getVoIPSign'];
    if (!getVoIPSign) throw new Error('no cloud.getVoIPSign');
    const err = await rejectionOf(getVoIPSign({ groupId: 'g', nonce: 'n', timestamp: 1700000000 }));
    expect(err['errCode']).toBe(OPENAPI_ERROR.NOT_FOUND);
  });
});

describe('ApiGetOpenDataByCloudId on the wire', () => {
  function request(reqData: Buffer, appid = ''): { contentType: string; body: Buffer } {
    const requestData = encodeCommApiData({
      apiType: ApiType.SVRKIT_API,
      pairs: [],
      svrkitData: { apiName: OPEN_DATA_API, reqData },
      appid,
    });
    return multipart({ action: 'wx.openApi', apiName: OPEN_DATA_API, requestData });
  }

  it('replies CommOpenApiResp {respData: ApiGetOpenDataByCloudIdResp, svrkitErrorCode: 0}', async () => {
    const ctxs: Ctx[] = [];
    openapi.setOpenDataResolver(async (ids, ctx) => {
      ctxs.push(ctx);
      return ids.map((id) => phoneJson(id, '13800001234'));
    });
    const { contentType, body } = request(encodeApiGetOpenDataByCloudIdReq({ cloudidList: ['1', '2'], appid: '' }));
    const reply = await openapi.handle('account', contentType, body);
    expect(reply.contentType).not.toBe(GATEWAY_ERROR_CONTENT_TYPE);
    const resp = decodeCommOpenApiResp(reply.body);
    expect(resp).toMatchObject({ svrkitErrorCode: 0, httpCode: 200 });
    expect(resp.errorCode).toBeUndefined();
    expect(decodeApiGetOpenDataByCloudIdResp(resp.respData ?? Buffer.alloc(0))).toEqual({
      dataList: [
        { cloudId: '1', json: phoneJson('1', '13800001234') },
        { cloudId: '2', json: phoneJson('2', '13800001234') },
      ],
    });
    expect(ctxs).toEqual([{ appid: APPID, functionName: 'account' }]);
  });

  it('hands the resolver the appid the call names (CommApiData.appid first, then the request)', async () => {
    const appids: string[] = [];
    openapi.setOpenDataResolver(async (ids, ctx) => {
      appids.push(ctx.appid);
      return ids.map((id) => phoneJson(id, '1'));
    });
    const reqData = encodeApiGetOpenDataByCloudIdReq({ cloudidList: ['1'], appid: 'wxfromreq' });
    for (const { contentType, body } of [request(reqData, 'wxcomm'), request(reqData)]) {
      await openapi.handle('account', contentType, body);
    }
    expect(appids).toEqual(['wxcomm', 'wxfromreq']);
  });

  it('replies errorCode -601005 and no respData for an unknown id', async () => {
    openapi.setOpenDataResolver(async (ids) => ids.map(() => undefined));
    const { contentType, body } = request(encodeApiGetOpenDataByCloudIdReq({ cloudidList: ['x'], appid: '' }));
    const reply = await openapi.handle('account', contentType, body);
    expect(decodeCommOpenApiResp(reply.body)).toEqual({ errorCode: -601005 });
  });

  it('replies INVALID_PARAM for a reqData that is not an ApiGetOpenDataByCloudIdReq', async () => {
    openapi.setOpenDataResolver(async (ids) => ids.map(() => undefined));
    const { contentType, body } = request(Buffer.from([0xff, 0xff]));
    const reply = await openapi.handle('account', contentType, body);
    expect(reply.contentType).toBe(GATEWAY_ERROR_CONTENT_TYPE);
    expect(JSON.parse(reply.body.toString('utf8'))).toMatchObject({ code: 'INVALID_PARAM' });
  });
});
