/**
 * Fakes of the cloud calls mini-programs commonly make (`cloud.openapi.<ns>.<api>(data)`), each answering as the
 * WeChat server API of the same name documents (request fields arrive snake_cased, as on the wire; replies are
 * WeChat's JSON, which the SDK camelCases, or raw bytes for images). Registered on a DevOpenApi, so they run behind
 * the config.json permission check and the fault model like every cloud call.
 *
 * What devcloud does differently is said per API below and in devcloud/README.md ("Cloud calls").
 */
import { randomBytes, randomInt, randomUUID } from 'crypto';
import QRCode from 'qrcode';
import type { Outbox } from '../outbox';
import type { SubscriptionStore } from '../subscriptions';
import { OpenApiBinary, type DevOpenApi, type OpenApiCallContext } from './index';

export interface CloudCallFakeDeps {
  outbox: Outbox;
  subscriptions: SubscriptionStore;
  /** Whether an openid is a user of this mini-program (a simulated user devcloud has seen). */
  knowsOpenid(openid: string): boolean;
  /** phonenumber.getPhoneNumber's reply for a code, bound to `openid` when given (the WeChat fake's). */
  phoneNumberFor(code: unknown, openid: unknown): Reply;
  /** What riskControl.getUserRiskRank answers for a user (0 lowest .. 4). */
  riskRankOf(openid: string): number;
}

type Reply = Record<string, unknown>;

const ok = (fields: Reply = {}): Reply => ({ errcode: 0, errmsg: 'ok', ...fields });
const fail = (errcode: number, errmsg: string): Reply => ({ errcode, errmsg });

/** The bytes a test puts in an image (or a media URL) to have devcloud's content checks call it risky. */
export const RISKY_MARKER = 'devcloud-risky';

export function registerCloudCallFakes(openapi: DevOpenApi, deps: CloudCallFakeDeps): void {
  // `openid` (optional) binds the code to its user; the SDK sends data keys snake_cased, and openid stays openid.
  openapi.register('phonenumber.getPhoneNumber', async (data) => deps.phoneNumberFor(data.code, data.openid));
  openapi.register('security.msgSecCheck', async (data) => msgSecCheck(data));
  openapi.register('riskControl.getUserRiskRank', async (data) => userRiskRank(data, deps));
  openapi.register('wxacode.get', async (data) => wxacodeGet(data));
  openapi.register('wxacode.getUnlimited', async (data) => wxacodeGetUnlimited(data));
  openapi.register('wxacode.createQRCode', async (data) => wxacodeCreateQRCode(data));
  openapi.register('subscribeMessage.send', async (data, ctx) => subscribeMessageSend(data, ctx, deps));
  openapi.register('customerServiceMessage.send', async (data, ctx) => customerServiceMessageSend(data, ctx, deps));
  // Every templateMessage.* API was retired on 2020-01-10 in favour of subscription messages; WeChat answers
  // 45103 "This API has been unsupported" (as reported in binarywang/weixin-java-miniapp-demo#54).
  openapi.register('templateMessage.*', async () => fail(45103, 'This API has been unsupported'));
  openapi.register('urlscheme.generate', async (data, ctx) => urlschemeGenerate(data, ctx, deps));
  openapi.register('urllink.generate', async (data, ctx) => urllinkGenerate(data, ctx, deps));
  openapi.register('security.imgSecCheck', async (data) => imgSecCheck(data));
  openapi.register('security.mediaCheckAsync', async (data, ctx) => mediaCheckAsync(data, ctx, deps));
}

// ---- Content and risk -------------------------------------------------------------------------------------------

/** A small stand-in for WeChat's content check: rejects text containing the words tests use as "risky". */
function msgSecCheck(data: Reply): Reply {
  const content = typeof data.content === 'string' ? data.content : '';
  const risky = /违规|赌博|色情/.test(content);
  const verdict = { suggest: risky ? 'risky' : 'pass', label: risky ? 20001 : 100 };
  return {
    errcode: 0,
    errmsg: 'ok',
    result: verdict,
    detail: [{ strategy: 'content_model', errcode: 0, ...verdict, prob: risky ? 90 : 0 }],
    trace_id: randomUUID(),
  };
}

/**
 * riskControl.getUserRiskRank: {appid, openid, scene, client_ip (required), ...} -> {errcode, errmsg, risk_rank,
 * unoin_id} (sic, WeChat's spelling). The rank is the simulated user's (POST /devcloud/users {riskRank}).
 */
function userRiskRank(data: Reply, deps: CloudCallFakeDeps): Reply {
  if (typeof data.client_ip !== 'string' || data.client_ip === '' || typeof data.openid !== 'string')
    return fail(47001, 'data format error: openid and client_ip are required');
  if (data.scene !== 0 && data.scene !== 1 && data.scene !== 2) return fail(47001, 'invalid scene');
  return { errcode: 0, errmsg: 'getUserRiskRank succ', risk_rank: deps.riskRankOf(data.openid), unoin_id: 0 };
}

// ---- Mini-program codes -------------------------------------------------------------------------------------
// WeChat draws its round 小程序码 (or, for createQRCode, a square QR code) and answers the image bytes (JPEG, or
// PNG when is_hyaline). devcloud answers a standard QR code as PNG (contentType image/png) that any QR reader
// decodes to the path (get, createQRCode) or the scene (getUnlimited), so tests can read back what was encoded.

/** width: "二维码的宽度，单位 px，最小 280px，最大 1280px", default 430 (wxacode.get / getUnlimited docs). */
function codeWidth(data: Reply): number {
  const width = typeof data.width === 'number' && Number.isFinite(data.width) ? Math.round(data.width) : 430;
  return Math.min(1280, Math.max(280, width));
}

/** line_color {r,g,b} (decimal, numbers or strings) applies when auto_color is false; is_hyaline: transparent. */
function codeColors(data: Reply): { dark: string; light: string } {
  const line = data.line_color as Record<string, unknown> | undefined;
  const channel = (value: unknown) => {
    const n = Number(value);
    return Number.isInteger(n) && n >= 0 && n <= 255 ? n.toString(16).padStart(2, '0') : '00';
  };
  const dark =
    line && data.auto_color !== true ? `#${channel(line.r)}${channel(line.g)}${channel(line.b)}ff` : '#000000ff';
  return { dark, light: data.is_hyaline === true ? '#ffffff00' : '#ffffffff' };
}

async function qrPng(text: string, data: Reply): Promise<OpenApiBinary> {
  const body = await QRCode.toBuffer(text, {
    type: 'png',
    width: codeWidth(data),
    margin: 4,
    errorCorrectionLevel: 'M',
    color: codeColors(data),
  });
  return new OpenApiBinary('image/png', body);
}

/**
 * wxacode.get (POST /wxa/getwxacode): `path` required, "最大长度 1024 个字符", may carry a query.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getQRCode.html
 */
async function wxacodeGet(data: Reply): Promise<Reply | OpenApiBinary> {
  const path = data.path;
  if (typeof path !== 'string' || path.length === 0 || path.length > 1024)
    return fail(40159, 'invalid length for path, or the data is not json string');
  return qrPng(path, data);
}

/**
 * wxacode.getUnlimited (POST /wxa/getwxacodeunlimit): `scene` required, at most 32 visible characters of
 * [0-9A-Za-z] and !#$&'()*+,/:;=?@-._~ (else 40169 "invalid length for scene", as WeChat answers it); `page`
 * without a leading '/' and without a query (else 41030, "所传page页面不存在，或者小程序没有发布").
 * devcloud cannot know which pages are published, so check_path only checks the page's form.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getUnlimitedQRCode.html
 */
async function wxacodeGetUnlimited(data: Reply): Promise<Reply | OpenApiBinary> {
  const scene = data.scene;
  if (typeof scene !== 'string' || !/^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/.test(scene))
    return fail(40169, 'invalid length for scene, or the data is not json string');
  const page = data.page;
  if (page !== undefined && (typeof page !== 'string' || !/^[^/?][^?]*$/.test(page) || page.length > 1024))
    return fail(41030, 'invalid page rid: page must be a page path with no leading / and no query');
  if (data.env_version !== undefined && !['release', 'trial', 'develop'].includes(data.env_version as string))
    return fail(40097, 'invalid args: env_version must be release, trial or develop');
  return qrPng(scene, data);
}

/**
 * wxacode.createQRCode (POST /cgi-bin/wxaapp/createwxaqrcode): `path` required, "最大长度 128 字节".
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/createQRCode.html
 */
async function wxacodeCreateQRCode(data: Reply): Promise<Reply | OpenApiBinary> {
  const path = data.path;
  if (typeof path !== 'string' || path.length === 0 || Buffer.byteLength(path) > 128)
    return fail(40159, 'invalid length for path, or the data is not json string');
  return qrPng(path, data);
}

// ---- Messages ------------------------------------------------------------------------------------------------

/**
 * subscribeMessage.send (POST /cgi-bin/message/subscribe/send): {touser, template_id, page?, data,
 * miniprogram_state?, lang?} -> {errcode: 0, errmsg: 'ok', msgid}. Errcodes from the official table: 40003 touser
 * is not a user's openid, 40037 template_id empty, 47003 data not `{key: {value}}`, 43101 the user has no
 * subscription left for the template ("user refuse to accept the msg"). devcloud accepts any template id (it has
 * no template library) and checks data's form, not its keys against the template.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
 */
function subscribeMessageSend(data: Reply, ctx: OpenApiCallContext, deps: CloudCallFakeDeps): Reply {
  const { touser, template_id: templateId, page } = data;
  if (typeof touser !== 'string' || !deps.knowsOpenid(touser)) return fail(40003, 'invalid openid');
  if (typeof templateId !== 'string' || templateId === '') return fail(40037, 'invalid template_id');
  const fields = data.data;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    return fail(47003, 'argument invalid! data is empty');
  for (const [key, field] of Object.entries(fields as Reply)) {
    const value = (field as { value?: unknown } | null)?.value;
    if (typeof value !== 'string' && typeof value !== 'number')
      return fail(47003, `argument invalid! data.${key}.value is empty`);
  }
  if (page !== undefined && typeof page !== 'string') return fail(41030, 'invalid page');
  const state = data.miniprogram_state;
  if (state !== undefined && !['developer', 'trial', 'formal'].includes(state as string))
    return fail(47003, 'argument invalid! miniprogram_state must be developer, trial or formal');
  if (!deps.subscriptions.consume(touser, templateId)) return fail(43101, 'user refuse to accept the msg');
  const msgid = randomInt(1_000_000_000, 2_000_000_000);
  deps.outbox.add({ kind: 'subscribeMessage', functionName: ctx.functionName, touser, payload: { ...data, msgid } });
  return ok({ msgid });
}

const CUSTOMER_SERVICE_TYPES = ['text', 'image', 'link', 'miniprogrampage'] as const;

/**
 * customerServiceMessage.send (POST /cgi-bin/message/custom/send): {touser, msgtype, text|image|link|
 * miniprogrampage} -> {errcode: 0, errmsg: 'ok'}. 40003 unknown touser, 40008 invalid msgtype, 47001 the msgtype's
 * body missing. WeChat also refuses (45015) when the user has not written to customer service in the last 48 hours;
 * devcloud does not model user messages, so it does not refuse for that.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/kf-mgnt/kf-message/sendCustomMessage.html
 */
function customerServiceMessageSend(data: Reply, ctx: OpenApiCallContext, deps: CloudCallFakeDeps): Reply {
  const { touser, msgtype } = data;
  if (typeof touser !== 'string' || !deps.knowsOpenid(touser)) return fail(40003, 'invalid openid');
  if (typeof msgtype !== 'string' || !(CUSTOMER_SERVICE_TYPES as readonly string[]).includes(msgtype))
    return fail(40008, 'invalid message type');
  const body = data[msgtype];
  if (typeof body !== 'object' || body === null) return fail(47001, `data format error: ${msgtype} is missing`);
  if (msgtype === 'text' && typeof (body as Reply).content !== 'string')
    return fail(47001, 'data format error: text.content is missing');
  deps.outbox.add({ kind: 'customerServiceMessage', functionName: ctx.functionName, touser, payload: { ...data } });
  return ok();
}

// ---- Links ---------------------------------------------------------------------------------------------------

/** A random token of URL-safe letters, as WeChat's links carry. */
function linkToken(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** A page path as links take it: no leading '/', no query (the query is its own field). Empty: the home page. */
function invalidPath(path: unknown): boolean {
  return path !== undefined && (typeof path !== 'string' || path.startsWith('/') || path.includes('?'));
}

/** query: "最大1024个字符，只支持数字，大小写英文以及部分特殊字符". */
function invalidQuery(query: unknown): boolean {
  return (
    query !== undefined && (typeof query !== 'string' || !/^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]{0,1024}$/.test(query))
  );
}

/** expire_type 0 needs expire_time in the next 30 days; 1 needs expire_interval 1..30 (days). */
function invalidExpiry(data: Reply): Reply | undefined {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const type = data.expire_type ?? 0;
  if (type === 1) {
    const interval = data.expire_interval;
    if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1 || interval > 30)
      return fail(85402, 'invalid expire_interval: 1 to 30 days');
  } else if (data.expire_time !== undefined) {
    const time = data.expire_time;
    if (typeof time !== 'number' || time <= nowSeconds || time > nowSeconds + 30 * 86400)
      return fail(85401, 'invalid expire_time: within 30 days from now');
  }
  return undefined;
}

/**
 * urlscheme.generate (POST /wxa/generatescheme): {jump_wxa: {path, query, env_version}, is_expire, expire_type,
 * expire_time, expire_interval} -> {errcode: 0, errmsg: 'ok', openlink: 'weixin://dl/business/?t=...'}.
 * 40165 invalid path, 40212 invalid query, 85401/85402 invalid expiry. Since 2023 every scheme expires (30 days at
 * most); devcloud records the link in the outbox (kind urlScheme) with where it leads.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/url-scheme/generateScheme.html
 */
function urlschemeGenerate(data: Reply, ctx: OpenApiCallContext, deps: CloudCallFakeDeps): Reply {
  const jump = (data.jump_wxa ?? {}) as Reply;
  if (typeof jump !== 'object' || jump === null) return fail(40165, 'invalid weapp pagepath');
  if (invalidPath(jump.path)) return fail(40165, 'invalid weapp pagepath');
  if (invalidQuery(jump.query)) return fail(40212, 'invalid query');
  const expiry = invalidExpiry(data);
  if (expiry) return expiry;
  const openlink = `weixin://dl/business/?t=${linkToken(12)}`;
  deps.outbox.add({ kind: 'urlScheme', functionName: ctx.functionName, payload: { ...data, openlink } });
  return ok({ openlink });
}

/**
 * urllink.generate (POST /wxa/generate_urllink): {path, query, env_version, is_expire, expire_type, expire_time,
 * expire_interval, cloud_base?} -> {errcode: 0, errmsg: 'ok', url_link: 'https://wxaurl.cn/...'}. Same checks as
 * the scheme; recorded in the outbox (kind urlLink).
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/url-link/generateUrlLink.html
 */
function urllinkGenerate(data: Reply, ctx: OpenApiCallContext, deps: CloudCallFakeDeps): Reply {
  if (invalidPath(data.path)) return fail(40165, 'invalid weapp pagepath');
  if (invalidQuery(data.query)) return fail(40212, 'invalid query');
  const expiry = invalidExpiry(data);
  if (expiry) return expiry;
  const urlLink = `https://wxaurl.cn/${linkToken(12)}`;
  deps.outbox.add({ kind: 'urlLink', functionName: ctx.functionName, payload: { ...data, url_link: urlLink } });
  return ok({ url_link: urlLink });
}

// ---- Content security ----------------------------------------------------------------------------------------

/**
 * security.imgSecCheck (POST /wxa/img_sec_check, the image as multipart `media`; in a cloud call
 * `media: {contentType, value: Buffer}`) -> {errcode: 0, errmsg: 'ok'}, or 87014 "risky content". 41005 when no
 * media is sent. devcloud calls an image risky when its bytes contain the text 'devcloud-risky' (RISKY_MARKER).
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/imgSecCheck.html
 */
function imgSecCheck(data: Reply): Reply {
  const media = data.media as { value?: unknown } | undefined;
  if (!media || !Buffer.isBuffer(media.value) || media.value.length === 0) return fail(41005, 'media data missing');
  return media.value.includes(RISKY_MARKER) ? fail(87014, 'risky content') : ok();
}

/**
 * security.mediaCheckAsync (POST /wxa/media_check_async): {media_url, media_type (1 audio, 2 image), version 2,
 * openid, scene 1..4} -> {errcode: 0, errmsg: 'ok', trace_id}. The verdict comes later, pushed to the
 * mini-program's message-push URL as the event `wxa_media_check` {ToUserName, FromUserName, CreateTime, MsgType:
 * 'event', Event: 'wxa_media_check', appid, trace_id, version, detail, errcode, errmsg, result {suggest, label}}.
 * devcloud delivers it to the outbox (kind mediaCheckResult) right after answering; the media is risky when its
 * URL contains 'devcloud-risky'. 47001 for a request missing a field.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/mediaCheckAsync.html
 */
function mediaCheckAsync(data: Reply, ctx: OpenApiCallContext, deps: CloudCallFakeDeps): Reply {
  const { media_url: mediaUrl, media_type: mediaType, openid, scene } = data;
  const version = data.version ?? 1;
  if (typeof mediaUrl !== 'string' || !/^https?:\/\//.test(mediaUrl))
    return fail(47001, 'data format error: media_url');
  if (mediaType !== 1 && mediaType !== 2) return fail(47001, 'data format error: media_type must be 1 or 2');
  if (version === 2) {
    if (typeof openid !== 'string' || !deps.knowsOpenid(openid)) return fail(40003, 'invalid openid');
    if (scene !== 1 && scene !== 2 && scene !== 3 && scene !== 4)
      return fail(47001, 'data format error: scene must be 1 to 4');
  }
  const traceId = randomUUID().replace(/-/g, '');
  const risky = mediaUrl.includes(RISKY_MARKER);
  const suggest = risky ? 'risky' : 'pass';
  const label = risky ? 20002 : 100;
  const event = {
    ToUserName: ctx.appid,
    FromUserName: typeof openid === 'string' ? openid : '',
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid: ctx.appid,
    trace_id: traceId,
    version,
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label, prob: risky ? 90 : 0 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label },
  };
  // Delivered after the reply, as WeChat pushes it later: the trace_id is the caller's before the verdict exists.
  setImmediate(() =>
    deps.outbox.add({
      kind: 'mediaCheckResult',
      functionName: ctx.functionName,
      ...(typeof openid === 'string' ? { touser: openid } : {}),
      payload: event,
    }),
  );
  return ok({ trace_id: traceId });
}
