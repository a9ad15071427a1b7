import type { AccountActions } from '../../contracts';
import { AppFailure } from '../errors';
import { checkWatermark, decryptOpenData } from '../opendata';
import type { Identity, KitContext, PhoneInfo } from '../ports';
import { toProfile, userNotFound } from '../profile';
import { callWeChat } from '../wechat-calls';
import { accountOf } from './access';

type Result = AccountActions['bindPhone']['result'];

/**
 * The current flow: <button open-type="getPhoneNumber"> (or "getRealtimePhoneNumber": same code, same call) gives a
 * code, WeChat turns it into the number. The account and its consent are checked first, and the caller's openid
 * goes with the code so that WeChat refuses a code obtained by another user ("填入后会校验openid和code的绑定关系").
 * WeChat bills the component when it hands the code to the page, so the client's one-tap guard is what saves money;
 * the checks here keep a refused caller from costing a call and from storing anything.
 */
export async function bindPhone(ctx: KitContext, identity: Identity, code: string): Promise<Result> {
  (await accountOf(ctx, identity)).requireConsent();
  const { openid } = identity;
  const reply = await callWeChat('phonenumber.getPhoneNumber', () => ctx.wechat.getPhoneNumber({ code, openid }), {
    40029: { code: 'PHONE_CODE_INVALID', message: '手机号授权已过期，请重新获取' },
    1400001: { code: 'PHONE_QUOTA_EXHAUSTED', message: '手机号验证次数已用完' },
  });
  return savePhone(ctx, identity, reply.phoneInfo);
}

type LegacyInput = { cloudID?: string; encryptedData?: string; iv?: string };

/**
 * The legacy flow. A cloudID is resolved by WeChat for this caller (CloudBase's cloud.getOpenData): no session_key
 * needed, and unlike a CloudID substituted into the event it cannot be forged by the client. Otherwise the data is
 * decrypted with the stored session_key; a stale key gives SESSION_EXPIRED so the client logs in again.
 */
export async function bindPhoneLegacy(ctx: KitContext, identity: Identity, input: LegacyInput): Promise<Result> {
  if (input.cloudID !== undefined) {
    const resolve = ctx.wechat.resolveCloudID?.bind(ctx.wechat);
    if (!resolve) throw new AppFailure('INVALID_ARGUMENT', '参数错误：不支持 cloudID');
    (await accountOf(ctx, identity)).requireConsent();
    const cloudID = input.cloudID;
    const entry = await callWeChat('getOpenData', () => resolve(cloudID), {
      [-601005]: { code: 'OPEN_DATA_INVALID', message: '开放数据无效或已过期，请重试' }, // invalid cloudID
      [-601006]: { code: 'OPEN_DATA_INVALID', message: '开放数据无效或已过期，请重试' }, // cloudID expired
      [-601007]: { code: 'OPEN_DATA_INVALID', message: '开放数据与当前用户不符' }, // cloudID of another user
    });
    if (!entry?.data) throw new AppFailure('OPEN_DATA_INVALID', '开放数据无效或已过期', { reason: 'cloudID' });
    checkWatermark(entry.data, identity.appid);
    return savePhone(ctx, identity, entry.data);
  }
  const [account, sessionKey] = await Promise.all([accountOf(ctx, identity), ctx.store.getSessionKey(identity.openid)]);
  account.requireConsent();
  if (!sessionKey) throw new AppFailure('SESSION_EXPIRED', '登录状态已失效，请重新登录', { reason: 'no session' });
  const data = decryptOpenData(sessionKey, input.encryptedData ?? '', input.iv ?? '', identity.appid) as PhoneInfo;
  return savePhone(ctx, identity, data);
}

/** Minimisation: the full number is server-only, the account shows the masked one (AccountStore.savePhone). */
async function savePhone(ctx: KitContext, identity: Identity, info: PhoneInfo | undefined): Promise<Result> {
  const phoneNumber = info?.purePhoneNumber || info?.phoneNumber;
  if (!phoneNumber) throw new AppFailure('OPEN_DATA_INVALID', '未获取到手机号', { reason: 'no number' });
  if (info?.watermark?.appid && info.watermark.appid !== identity.appid) {
    throw new AppFailure('OPEN_DATA_INVALID', '开放数据不属于本小程序', { reason: 'watermark appid' });
  }
  const countryCode = String(info?.countryCode ?? '86');
  const user = await ctx.store.savePhone(identity.openid, { phoneNumber, countryCode }, new Date());
  if (!user) throw userNotFound();
  return { user: toProfile(user) };
}
