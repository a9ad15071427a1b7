/**
 * The cloud calls mini-programs commonly make, through the REAL wx-server-sdk inside a function (multipart +
 * protobuf, config.json permissions), as a user sees them: the images, the messages in the outbox, the errcodes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { createDevice } from '../phone/device';
import { RISKY_MARKER } from '../wechat/cloud-calls/fakes';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

const SDK = join(__dirname, '..', '..', 'node_modules', 'wx-server-sdk');

/** Calls `cloud.openapi[ns][name](data)` and reports what the function got: the value, the image, or the error. */
const CALLER = `
const cloud = require(${JSON.stringify(SDK)});
cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
exports.main = async (event) => {
  const [ns, name] = event.api.split('.');
  const data = Object.assign({}, event.data);
  if (event.mediaBase64 !== undefined)
    data.media = { contentType: 'image/png', value: Buffer.from(event.mediaBase64, 'base64') };
  try {
    const reply = await cloud.openapi[ns][name](data);
    if (Buffer.isBuffer(reply.buffer))
      return { ok: true, contentType: reply.contentType, base64: reply.buffer.toString('base64'), errCode: reply.errCode };
    return { ok: true, value: reply };
  } catch (e) {
    return { ok: false, errCode: e.errCode, errMsg: e.errMsg };
  }
};`;

const DECLARED = [
  'wxacode.get',
  'wxacode.getUnlimited',
  'wxacode.createQRCode',
  'subscribeMessage.send',
  'customerServiceMessage.send',
  'templateMessage.send',
  'templateMessage.getTemplateList',
  'urlscheme.generate',
  'urllink.generate',
  'security.imgSecCheck',
  'security.mediaCheckAsync',
  'wxa.customThing',
];

type CallResult =
  | { ok: true; value?: Record<string, unknown>; contentType?: string; base64?: string; errCode?: number }
  | { ok: false; errCode: number; errMsg: string };

let functionsDir: string;
let cloud: TestCloud;

beforeAll(async () => {
  functionsDir = await mkdtemp(join(tmpdir(), 'devcloud-calls-'));
  for (const [name, config] of [
    ['caller', { permissions: { openapi: DECLARED } }],
    ['bare', { permissions: { openapi: [] } }],
  ] as const) {
    await mkdir(join(functionsDir, name));
    await writeFile(join(functionsDir, name, 'index.js'), CALLER);
    await writeFile(join(functionsDir, name, 'config.json'), JSON.stringify(config));
  }
  cloud = await startTestCloud({ functionsDir });
});

afterAll(async () => {
  await cloud.stop();
  await rm(functionsDir, { recursive: true, force: true });
});

async function call(api: string, data: Record<string, unknown>, user?: string, fn = 'caller'): Promise<CallResult> {
  const report = await cloud.control.invoke(fn, { api, data }, user);
  if (report.error) throw new Error(`invocation failed: ${report.error.errMsg}`);
  return report.result as CallResult;
}

async function callWithMedia(api: string, media: Buffer): Promise<CallResult> {
  const report = await cloud.control.invoke('caller', { api, data: {}, mediaBase64: media.toString('base64') });
  return report.result as CallResult;
}

function errCodeOf(result: CallResult): number | undefined {
  return result.ok ? undefined : result.errCode;
}

/** The PNG's size and the text of the QR code it shows. */
function readQr(result: CallResult): { width: number; height: number; text: string | undefined } {
  if (!result.ok || !result.base64) throw new Error(`no image: ${JSON.stringify(result)}`);
  const png = PNG.sync.read(Buffer.from(result.base64, 'base64'));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  return { width: png.width, height: png.height, text: code?.data };
}

describe('mini-program codes: a real PNG of a QR code', () => {
  test('wxacode.getUnlimited: image/png, 430 px by default, decoding to the scene', async () => {
    const scene = 'id=42&from=share';
    const result = await call('wxacode.getUnlimited', { scene, page: 'pages/index/index' });
    expect(result).toMatchObject({ ok: true, contentType: 'image/png', errCode: 0 });
    expect(readQr(result)).toEqual({ width: 430, height: 430, text: scene });
  });

  test('wxacode.get and createQRCode decode to the path; width is kept within 280-1280', async () => {
    const path = 'pages/profile/profile?from=qr';
    expect(readQr(await call('wxacode.get', { path, width: 600 }))).toEqual({ width: 600, height: 600, text: path });
    expect(readQr(await call('wxacode.createQRCode', { path, width: 100 }))).toMatchObject({ width: 280, text: path });
  });

  test('line colour and a transparent background, as is_hyaline asks', async () => {
    const result = await call('wxacode.getUnlimited', {
      scene: 'a',
      lineColor: { r: 200, g: 0, b: 0 },
      isHyaline: true,
    });
    if (!result.ok || !result.base64) throw new Error('no image');
    const png = PNG.sync.read(Buffer.from(result.base64, 'base64'));
    const pixels = [...Array(png.width * png.height).keys()].map((i) => [...png.data.subarray(i * 4, i * 4 + 4)]);
    expect(pixels.some(([r, g, b, a]) => r === 200 && g === 0 && b === 0 && a === 255)).toBe(true);
    expect(pixels.some(([, , , a]) => a === 0)).toBe(true);
  });

  test("WeChat's errors: a scene too long or not allowed (40169), a page with / (41030), no path (40159)", async () => {
    expect(errCodeOf(await call('wxacode.getUnlimited', { scene: 'x'.repeat(33) }))).toBe(40169);
    expect(errCodeOf(await call('wxacode.getUnlimited', { scene: '中文' }))).toBe(40169);
    expect(errCodeOf(await call('wxacode.getUnlimited', { scene: 'a', page: '/pages/index/index' }))).toBe(41030);
    expect(errCodeOf(await call('wxacode.get', {}))).toBe(40159);
    expect(errCodeOf(await call('wxacode.createQRCode', { path: 'p'.repeat(129) }))).toBe(40159);
  });

  test('a function whose config.json does not declare the API gets -604101', async () => {
    expect(errCodeOf(await call('wxacode.get', { path: 'pages/index/index' }, undefined, 'bare'))).toBe(-604101);
  });
});

describe('subscription messages', () => {
  test('each accepted template allows ONE message; refused, used-up and never-asked templates answer 43101', async () => {
    const user = uniqueUser('sub');
    const { openid } = await cloud.control.user(user);
    await cloud.control.subscribeDecisions(user, { 'tmpl-no': 'reject' });
    const device = createDevice({ devcloudUrl: cloud.control.url, user });
    const answer = await device.wx.requestSubscribeMessage({ tmplIds: ['tmpl-yes', 'tmpl-no'] });
    expect(answer).toEqual({ errMsg: 'requestSubscribeMessage:ok', 'tmpl-yes': 'accept', 'tmpl-no': 'reject' });

    const message = {
      touser: openid,
      templateId: 'tmpl-yes',
      page: 'pages/order/order?id=7',
      data: { thing1: { value: '订单已发货' }, number2: { value: 7 } },
      miniprogramState: 'developer',
    };
    const sent = await call('subscribeMessage.send', message);
    expect(sent).toMatchObject({ ok: true, value: { errCode: 0, msgid: expect.any(Number) as number } });
    const [entry, ...others] = await cloud.control.outbox({ kind: 'subscribeMessage', touser: openid });
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      functionName: 'caller',
      touser: openid,
      payload: {
        template_id: 'tmpl-yes',
        page: 'pages/order/order?id=7',
        data: { thing1: { value: '订单已发货' }, number2: { value: 7 } },
        miniprogram_state: 'developer',
      },
    });

    expect(errCodeOf(await call('subscribeMessage.send', message))).toBe(43101); // used up
    expect(errCodeOf(await call('subscribeMessage.send', { ...message, templateId: 'tmpl-no' }))).toBe(43101);
    expect(errCodeOf(await call('subscribeMessage.send', { ...message, templateId: 'never-asked' }))).toBe(43101);
    expect(await cloud.control.outbox({ kind: 'subscribeMessage', touser: openid })).toHaveLength(1);

    // Two acceptances: two messages.
    await device.wx.requestSubscribeMessage({ tmplIds: ['tmpl-yes'] });
    await device.wx.requestSubscribeMessage({ tmplIds: ['tmpl-yes'] });
    expect((await call('subscribeMessage.send', message)).ok).toBe(true);
    expect((await call('subscribeMessage.send', message)).ok).toBe(true);
    expect(errCodeOf(await call('subscribeMessage.send', message))).toBe(43101);
  });

  test('a bad send changes nothing: unknown touser 40003, no template 40037, bad data 47003', async () => {
    const user = uniqueUser('sub-bad');
    const { openid } = await cloud.control.user(user);
    const device = createDevice({ devcloudUrl: cloud.control.url, user });
    await device.wx.requestSubscribeMessage({ tmplIds: ['t1'] });
    const good = { touser: openid, templateId: 't1', data: { thing1: { value: 'x' } } };
    expect(errCodeOf(await call('subscribeMessage.send', { ...good, touser: 'o-nobody' }))).toBe(40003);
    expect(errCodeOf(await call('subscribeMessage.send', { ...good, templateId: '' }))).toBe(40037);
    expect(errCodeOf(await call('subscribeMessage.send', { ...good, data: { thing1: 'x' } }))).toBe(47003);
    expect(await cloud.control.outbox({ touser: openid })).toEqual([]);
    expect((await call('subscribeMessage.send', good)).ok).toBe(true); // the subscription was not used up
  });

  test('wx.requestSubscribeMessage refuses an empty list (10001) and more than 5 templates (20003)', async () => {
    const device = createDevice({ devcloudUrl: cloud.control.url, user: uniqueUser('sub-req') });
    await expect(device.wx.requestSubscribeMessage({ tmplIds: [] })).rejects.toMatchObject({
      errCode: 10001,
      errMsg: "requestSubscribeMessage:fail TmplIds can't be empty",
    });
    await expect(device.wx.requestSubscribeMessage({ tmplIds: ['a', 'b', 'c', 'd', 'e', 'f'] })).rejects.toMatchObject({
      errCode: 20003,
    });
  });

  test('the retired template-message APIs answer 45103, whatever the method', async () => {
    expect(errCodeOf(await call('templateMessage.send', { touser: 'x', templateId: 't', formId: 'f' }))).toBe(45103);
    expect(errCodeOf(await call('templateMessage.getTemplateList', { offset: 0, count: 1 }))).toBe(45103);
  });
});

describe('customer-service messages, links and content checks', () => {
  test('customerServiceMessage.send goes to the outbox; a bad msgtype is 40008', async () => {
    const user = uniqueUser('kf');
    const { openid } = await cloud.control.user(user);
    const text = { touser: openid, msgtype: 'text', text: { content: '您好' } };
    expect(await call('customerServiceMessage.send', text)).toMatchObject({ ok: true, value: { errCode: 0 } });
    expect(await cloud.control.outbox({ kind: 'customerServiceMessage', touser: openid })).toMatchObject([
      { payload: { msgtype: 'text', text: { content: '您好' } } },
    ]);
    expect(errCodeOf(await call('customerServiceMessage.send', { ...text, msgtype: 'video' }))).toBe(40008);
  });

  test('urlscheme.generate and urllink.generate answer plausible links, recorded with where they lead', async () => {
    const scheme = await call('urlscheme.generate', {
      jumpWxa: { path: 'pages/index/index', query: 'a=1', envVersion: 'release' },
      isExpire: true,
      expireType: 1,
      expireInterval: 7,
    });
    if (!scheme.ok) throw new Error(scheme.errMsg);
    expect(scheme.value?.openlink).toMatch(/^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]{12}$/);
    const link = await call('urllink.generate', { path: 'pages/index/index', query: 'b=2' });
    if (!link.ok) throw new Error(link.errMsg);
    expect(link.value?.urlLink).toMatch(/^https:\/\/wxaurl\.cn\/[A-Za-z0-9]{12}$/);
    const entries = await cloud.control.outbox();
    expect(entries.find((entry) => entry.payload.openlink === scheme.value?.openlink)?.payload).toMatchObject({
      jump_wxa: { path: 'pages/index/index', query: 'a=1' },
    });
    expect(entries.find((entry) => entry.payload.url_link === link.value?.urlLink)?.kind).toBe('urlLink');
    expect(errCodeOf(await call('urllink.generate', { path: '/pages/index/index' }))).toBe(40165);
    expect(errCodeOf(await call('urlscheme.generate', { jumpWxa: { path: 'p?x=1' } }))).toBe(40165);
    expect(errCodeOf(await call('urlscheme.generate', { expireType: 1, expireInterval: 31 }))).toBe(85402);
  });

  test('security.imgSecCheck: a clean image passes, one carrying the risky marker is 87014, none is 41005', async () => {
    const clean = PNG.sync.write(new PNG({ width: 2, height: 2 }));
    expect(await callWithMedia('security.imgSecCheck', clean)).toMatchObject({ ok: true, value: { errCode: 0 } });
    const risky = Buffer.concat([clean, Buffer.from(RISKY_MARKER)]);
    expect(errCodeOf(await callWithMedia('security.imgSecCheck', risky))).toBe(87014);
    expect(errCodeOf(await call('security.imgSecCheck', {}))).toBe(41005);
  });

  test('security.mediaCheckAsync answers a trace_id, then delivers the wxa_media_check result to the outbox', async () => {
    const user = uniqueUser('media');
    const { openid } = await cloud.control.user(user);
    const ask = (url: string) =>
      call('security.mediaCheckAsync', { mediaUrl: url, mediaType: 2, version: 2, openid, scene: 2 }, user);
    const pass = await ask('https://example.com/cat.png');
    const risky = await ask(`https://example.com/${RISKY_MARKER}.png`);
    if (!pass.ok || !risky.ok) throw new Error('mediaCheckAsync failed');
    const deadline = Date.now() + 30_000; // waits for the deliveries; the bound only ends a broken run
    let results = await cloud.control.outbox({ kind: 'mediaCheckResult', touser: openid });
    while (results.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      results = await cloud.control.outbox({ kind: 'mediaCheckResult', touser: openid });
    }
    const verdict = (traceId: unknown) => results.find((entry) => entry.payload.trace_id === traceId)?.payload;
    expect(verdict(pass.value?.traceId)).toMatchObject({
      Event: 'wxa_media_check',
      MsgType: 'event',
      FromUserName: openid,
      result: { suggest: 'pass', label: 100 },
    });
    expect(verdict(risky.value?.traceId)).toMatchObject({ result: { suggest: 'risky' } });
    expect(errCodeOf(await call('security.mediaCheckAsync', { mediaUrl: 'x', mediaType: 2 }))).toBe(47001);
  });
});

describe('any other declared cloud call: a fixture, or a clear error', () => {
  test('without a fixture 48001 says how to set one; with one, its reply; undeclared stays -604101', async () => {
    const before = await call('wxa.customThing', { itemId: 1 });
    expect(before).toMatchObject({ ok: false, errCode: 48001 });
    expect(before.ok ? '' : before.errMsg).toContain('/devcloud/openapi/fixtures');

    await cloud.control.setOpenApiFixture('wxa.customThing', { reply: { errcode: 0, errmsg: 'ok', item_name: '书' } });
    expect(await call('wxa.customThing', { itemId: 1 })).toMatchObject({ ok: true, value: { itemName: '书' } });
    expect(errCodeOf(await call('wxa.customThing', {}, undefined, 'bare'))).toBe(-604101);
    const calls = await cloud.control.openApiCalls();
    expect(calls.filter((record) => record.api === 'wxa.customThing').map((record) => record.answeredBy)).toEqual([
      'none',
      'fixture',
      'none',
    ]);
    expect(calls.find((record) => record.answeredBy === 'fixture')?.data).toEqual({ item_id: 1 });

    await expect(cloud.control.setOpenApiFixture('not-an-api', { reply: {} })).rejects.toThrow(/400/);
    await cloud.control.clearOpenApiFixtures('wxa.customThing');
    expect(errCodeOf(await call('wxa.customThing', {}))).toBe(48001);
  });

  test('faults hit the new calls like any cloud call', async () => {
    await cloud.control.injectFault({
      target: 'cloudCall',
      mode: 'error',
      match: { action: 'wxacode.get' },
      code: 45009,
    });
    expect(errCodeOf(await call('wxacode.get', { path: 'pages/index/index' }))).toBe(45009);
    expect((await call('wxacode.get', { path: 'pages/index/index' })).ok).toBe(true);
  });
});
