/**
 * devcloud cloud calls against the REAL wx-server-sdk: `cloud.openapi.x.y(data)` goes out as multipart +
 * protobuf, DevOpenApi checks the calling function's config.json and answers with a protobuf CommOpenApiResp.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import cloud from 'wx-server-sdk';
import {
  DevOpenApi,
  GATEWAY_ERROR_CONTENT_TYPE,
  isOpenApiRequest,
  NO_FIXTURE_ERRCODE,
  OPENAPI_ERROR,
} from '../wechat/cloud-calls';
import { ApiType, decodeCommApiData, decodeCommOpenApiResp, encodeCommApiData } from '../wechat/cloud-calls/protobuf';
import type { CloudbaseHarness, CloudbaseRoute } from './support/cloudbase-harness';
import { jsonReply, multipart, readBody, rejectionOf, startCloudbaseHarness } from './support/cloudbase-harness';

const ENV = 'test-env';
const APPID = 'wx0123456789abcdef';

type ApiCall = (data: Record<string, unknown>) => Promise<Record<string, unknown>>;

let harness: CloudbaseHarness;
let functionsDir: string;
let openapi: DevOpenApi;
const handlerErrors: string[] = [];

/** /fn/<name>/admin: multipart bodies are cloud calls; nothing else is expected in this file. */
const route: CloudbaseRoute = async (req, res, { functionName }) => {
  const contentType = req.headers['content-type'];
  if (functionName && isOpenApiRequest(contentType)) {
    const reply = await openapi.handle(functionName, contentType ?? '', await readBody(req));
    res.writeHead(200, { 'content-type': reply.contentType }).end(reply.body);
    return;
  }
  jsonReply(res, { requestId: 'r', code: 'INVALID_PARAM', message: 'unexpected' });
};

/** cloud.openapi is typed Record<string, any> by the SDK; give the one namespace we call a real type. */
function api(namespace: string, name: string): ApiCall {
  const namespaces = cloud.openapi as Record<string, Record<string, ApiCall> | undefined>;
  const call = namespaces[namespace]?.[name];
  if (!call) throw new Error(`no openapi.${namespace}.${name}`);
  return call;
}

const getPhoneNumber = (data: Record<string, unknown>) => api('phonenumber', 'getPhoneNumber')(data);

async function writeConfig(fn: string, content: string): Promise<void> {
  await mkdir(join(functionsDir, fn), { recursive: true });
  await writeFile(join(functionsDir, fn, 'config.json'), content);
}

beforeAll(async () => {
  functionsDir = await mkdtemp(join(tmpdir(), 'devcloud-openapi-'));
  await writeConfig(
    'login',
    JSON.stringify({ permissions: { openapi: ['phonenumber.getPhoneNumber', 'wxa.notFakedYet'] } }),
  );
  await writeConfig('noperm', JSON.stringify({ permissions: { openapi: ['security.msgSecCheck'] } }));
  await mkdir(join(functionsDir, 'noconfig'), { recursive: true });
  await writeConfig('broken', '{"permissions": ');
  openapi = new DevOpenApi({ functionsDir, appId: APPID, onHandlerError: (name) => handlerErrors.push(name) });

  harness = await startCloudbaseHarness({ env: ENV, route });
});

afterAll(async () => {
  await harness.close();
  await rm(functionsDir, { recursive: true, force: true });
});

beforeEach(() => harness.asFunction('login'));

describe('cloud.openapi through the real SDK', () => {
  it('hands the handler snake_cased data and returns its JSON camelCased', async () => {
    const seen: Array<{ data: Record<string, unknown>; ctx: { appid: string; functionName: string } }> = [];
    openapi.register('phonenumber.getPhoneNumber', async (data, ctx) => {
      seen.push({ data, ctx });
      return {
        errcode: 0,
        errmsg: 'ok',
        phone_info: {
          phone_number: '+86 13800001234',
          pure_phone_number: '13800001234',
          country_code: '86',
          watermark: { timestamp: 1700000000, appid: APPID },
        },
      };
    });

    const result = await getPhoneNumber({ code: 'phone-code-1', extraParam: { innerKey: [1, 'two'] }, flag: true });

    expect(seen).toEqual([
      {
        data: { code: 'phone-code-1', extra_param: { inner_key: [1, 'two'] }, flag: true },
        ctx: { appid: APPID, functionName: 'login' },
      },
    ]);
    expect(result).toEqual({
      phoneInfo: {
        phoneNumber: '+86 13800001234',
        purePhoneNumber: '13800001234',
        countryCode: '86',
        watermark: { timestamp: 1700000000, appid: APPID },
      },
      errMsg: 'openapi.phonenumber.getPhoneNumber:ok',
      errCode: 0,
    });
  });

  it('makes the SDK throw a WeChat errcode from respData (it does not return it)', async () => {
    openapi.register('phonenumber.getPhoneNumber', async () => ({ errcode: 40029, errmsg: 'invalid code' }));
    const err = await rejectionOf(getPhoneNumber({ code: 'used' }));
    expect(err['errCode']).toBe(40029);
    expect(String(err['errMsg'])).toContain('invalid code');
  });

  it('refuses an API missing from the function config.json with -604101', async () => {
    openapi.register('phonenumber.getPhoneNumber', async () => ({ errcode: 0, errmsg: 'ok' }));
    for (const fn of ['noperm', 'noconfig', 'no-such-function']) {
      harness.asFunction(fn);
      const err = await rejectionOf(getPhoneNumber({ code: 'c' }));
      expect(err['errCode']).toBe(-604101);
    }
  });

  it('answers a declared API that has neither fake nor fixture with 48001 saying how to set one (not -604100)', async () => {
    const err = await rejectionOf(api('wxa', 'notFakedYet')({}));
    expect(err['errCode']).toBe(NO_FIXTURE_ERRCODE);
    expect(String(err['errMsg'])).toContain('POST /devcloud/openapi/fixtures');
    expect(openapi.recordedCalls().at(-1)).toMatchObject({ api: 'wxa.notFakedYet', answeredBy: 'none' });
  });

  it('answers a declared API from its fixture, JSON or binary, and records the call with its data', async () => {
    openapi.setFixture('wxa.notFakedYet', { reply: { errcode: 0, errmsg: 'ok', some_field: { inner_value: 7 } } });
    expect(await api('wxa', 'notFakedYet')({ askedFor: 'x' })).toEqual({
      someField: { innerValue: 7 },
      errMsg: 'openapi.wxa.notFakedYet:ok',
      errCode: 0,
    });
    expect(openapi.recordedCalls().at(-1)).toMatchObject({
      api: 'wxa.notFakedYet',
      functionName: 'login',
      data: { asked_for: 'x' },
      answeredBy: 'fixture',
      errcode: 0,
    });
    openapi.setFixture('wxa.notFakedYet', { reply: { errcode: 40097, errmsg: 'invalid args' } });
    expect((await rejectionOf(api('wxa', 'notFakedYet')({})))['errCode']).toBe(40097);
    openapi.setFixture('wxa.notFakedYet', { binary: { contentType: 'image/jpeg', base64: 'AQID' } });
    const binary = await api('wxa', 'notFakedYet')({});
    expect(binary['contentType']).toBe('image/jpeg');
    expect(Buffer.isBuffer(binary['buffer'])).toBe(true);
    expect([...(binary['buffer'] as Buffer)]).toEqual([1, 2, 3]);
    openapi.clearFixtures('wxa.notFakedYet');
    expect((await rejectionOf(api('wxa', 'notFakedYet')({})))['errCode']).toBe(NO_FIXTURE_ERRCODE);
  });

  it('refuses a fixture for an API the function does not declare: -604101 comes first', async () => {
    openapi.setFixture('wxa.undeclared', { reply: { errcode: 0, errmsg: 'ok' } });
    expect((await rejectionOf(api('wxa', 'undeclared')({})))['errCode']).toBe(OPENAPI_ERROR.NO_PERMISSION);
    openapi.clearFixtures();
  });

  it('refuses fixtures that are not one: a bad name, a reply that is not an object, a JSON binary', () => {
    expect(() => openapi.setFixture('notAnApi', { reply: {} })).toThrow(TypeError);
    expect(() => openapi.setFixture('wxa.x', { reply: [] as unknown as Record<string, unknown> })).toThrow(TypeError);
    expect(() => openapi.setFixture('wxa.x', { binary: { contentType: 'application/json', base64: '' } })).toThrow(
      TypeError,
    );
    expect(openapi.listFixtures()).toEqual({});
  });

  it('answers -604103 when the handler throws, and reports the crash', async () => {
    openapi.register('phonenumber.getPhoneNumber', async () => {
      throw new Error('fake broke');
    });
    const err = await rejectionOf(getPhoneNumber({ code: 'c' }));
    expect(err['errCode']).toBe(OPENAPI_ERROR.SYSTEM_ERROR);
    expect(handlerErrors).toEqual(['phonenumber.getPhoneNumber']);
  });

  it('turns an invalid config.json into a gateway SYS_ERR (-501001), not a silent refusal', async () => {
    harness.asFunction('broken');
    const err = await rejectionOf(getPhoneNumber({ code: 'c' }));
    expect(err['errCode']).toBe(-501001);
    expect(String(err['errMsg'])).toContain('config.json');
  });

  it('sees config.json edits on the next call', async () => {
    openapi.register('phonenumber.getPhoneNumber', async () => ({ errcode: 0, errmsg: 'ok', phone_info: {} }));
    harness.asFunction('later');
    expect((await rejectionOf(getPhoneNumber({ code: 'c' })))['errCode']).toBe(-604101);
    await writeConfig('later', JSON.stringify({ permissions: { openapi: ['phonenumber.getPhoneNumber'] } }));
    expect(await getPhoneNumber({ code: 'c' })).toMatchObject({ phoneInfo: {}, errCode: 0 });
  });

  it('passes a media value (SDK mediaConverter) as raw bytes with its file name', async () => {
    let received: unknown;
    openapi.register('phonenumber.getPhoneNumber', async (data) => {
      received = data['media'];
      return { errcode: 0, errmsg: 'ok' };
    });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    await getPhoneNumber({ media: { contentType: 'image/png', value: png } });
    // The SDK writes the content type to a field CommApiData's pair lacks, so it never reaches the wire.
    expect(received).toEqual({ contentType: '', fileName: 'media.png', value: png });
  });
});

describe('DevOpenApi.handle on the wire', () => {
  it('replies with protobuf, an errorCode only and not the JSON content type, for a refusal', async () => {
    const requestData = encodeCommApiData({ apiType: ApiType.OPEN_API, pairs: [], appid: '' });
    const { contentType, body } = multipart({ action: 'wx.openApi', apiName: 'security.msgSecCheck', requestData });
    const reply = await openapi.handle('login', contentType, body);
    expect(reply.contentType).not.toBe(GATEWAY_ERROR_CONTENT_TYPE);
    expect(decodeCommOpenApiResp(reply.body)).toEqual({ errorCode: -604101 });
  });

  it('replies with a JSON gateway error for a malformed request', async () => {
    const notProtobuf = multipart({
      action: 'wx.openApi',
      apiName: 'phonenumber.getPhoneNumber',
      requestData: Buffer.from([0xff, 0xff]),
    });
    const missingApi = multipart({ action: 'wx.openApi' });
    for (const { contentType, body } of [
      notProtobuf,
      missingApi,
      { contentType: 'multipart/form-data', body: Buffer.from('x') },
    ]) {
      const reply = await openapi.handle('login', contentType, body);
      expect(reply.contentType).toBe(GATEWAY_ERROR_CONTENT_TYPE);
      expect(JSON.parse(reply.body.toString('utf8'))).toMatchObject({ code: 'INVALID_PARAM' });
    }
  });

  it('round-trips CommApiData as the SDK encodes it', () => {
    const pairs = [{ key: 'code', value: Buffer.from('"abc"'), contenttype: '', filename: '' }];
    expect(decodeCommApiData(encodeCommApiData({ apiType: ApiType.OPEN_API, pairs, appid: 'wxother' }))).toEqual({
      apiType: 0,
      pairs,
      appid: 'wxother',
    });
  });

  it('tells multipart cloud calls from JSON actions', () => {
    expect(isOpenApiRequest('multipart/form-data; boundary=--x')).toBe(true);
    expect(isOpenApiRequest('Multipart/Form-Data')).toBe(true);
    expect(isOpenApiRequest('application/json')).toBe(false);
    expect(isOpenApiRequest(undefined)).toBe(false);
  });
});
