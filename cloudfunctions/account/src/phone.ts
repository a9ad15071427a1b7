import type { AccountActions } from '../../../contracts';
import { cloud, db } from '../../../cloudbase/cloud';
import { AppFailure } from '../../../cloudbase/errors';
import type { Identity } from '../../../cloudbase/identity';
import { callOpenApi, openapi } from '../../../cloudbase/openapi';
import { checkWatermark, decryptOpenData } from '../../../cloudbase/opendata';
import { maskPhone } from '../../../cloudbase/phone';
import { PHONES, type PhoneDocument } from '../../../cloudbase/user-data';
import { getSessionKey, toProfile, updateUser } from '../../../cloudbase/users';
import { requireConsentedAccount } from './account-user';

interface PhoneInfo {
  phoneNumber?: string;
  purePhoneNumber?: string;
  countryCode?: string | number;
  watermark?: { appid?: string; timestamp?: number };
}

type Result = AccountActions['bindPhone']['result'];

/**
 * The current flow: <button open-type="getPhoneNumber"> (or "getRealtimePhoneNumber": same code, same cloud call)
 * gives a code, the cloud call turns it into the number. The account and its consent are checked first, and the
 * caller's openid goes with the code so that WeChat refuses a code obtained by another user
 * ("填入后会校验openid和code的绑定关系", phonenumber.getPhoneNumber). WeChat bills the component when it hands the
 * code to the page (扣费节点, getPhoneNumber.html), so the client's one-tap guard is what saves money; the checks here
 * keep a refused caller from costing a cloud call and from storing anything.
 */
export async function bindPhone(identity: Identity, code: string): Promise<Result> {
  await requireConsentedAccount(identity);
  const { openid } = identity;
  const reply = await callOpenApi(
    'phonenumber.getPhoneNumber',
    () => openapi().phonenumber.getPhoneNumber({ code, openid }),
    {
      40029: { code: 'PHONE_CODE_INVALID', message: '手机号授权已过期，请重新获取' },
      1400001: { code: 'PHONE_QUOTA_EXHAUSTED', message: '手机号验证次数已用完' },
    },
  );
  const info = (reply as { phoneInfo?: PhoneInfo }).phoneInfo;
  return savePhone(identity, info);
}

type LegacyInput = { cloudID?: string; encryptedData?: string; iv?: string };

/**
 * The legacy flow. A cloudID is resolved by WeChat for this function (cloud.getOpenData): no session_key needed,
 * and unlike a CloudID substituted into the event it cannot be forged by the client. Otherwise the data is
 * decrypted with the stored session_key; a stale key gives SESSION_EXPIRED so the client logs in again.
 */
export async function bindPhoneLegacy(identity: Identity, input: LegacyInput): Promise<Result> {
  if (input.cloudID !== undefined) {
    await requireConsentedAccount(identity);
    const cloudID = input.cloudID;
    const reply = await callOpenApi('getOpenData', async () => cloud.getOpenData({ list: [cloudID] }), {
      [-601005]: { code: 'OPEN_DATA_INVALID', message: '开放数据无效或已过期，请重试' }, // invalid cloudID
      [-601006]: { code: 'OPEN_DATA_INVALID', message: '开放数据无效或已过期，请重试' }, // cloudID expired
      [-601007]: { code: 'OPEN_DATA_INVALID', message: '开放数据与当前用户不符' }, // cloudID of another user
    });
    const entry = (reply as { list?: Array<{ data?: PhoneInfo }> }).list?.[0];
    if (!entry?.data) throw new AppFailure('OPEN_DATA_INVALID', '开放数据无效或已过期', { reason: 'cloudID' });
    checkWatermark(entry.data, identity.appid);
    return savePhone(identity, entry.data);
  }
  const [, sessionKey] = await Promise.all([requireConsentedAccount(identity), getSessionKey(identity.openid)]);
  if (!sessionKey) throw new AppFailure('SESSION_EXPIRED', '登录状态已失效，请重新登录', { reason: 'no session' });
  const data = decryptOpenData(sessionKey, input.encryptedData ?? '', input.iv ?? '', identity.appid) as PhoneInfo;
  return savePhone(identity, data);
}

/**
 * Minimisation: the full number goes to the server-only PHONES collection; the owner-readable users document keeps
 * the masked number and the country code (and loses the full number older versions kept there).
 *
 * Racing 注销: the phone document is written first, then the users document is updated only if it still exists;
 * when it is gone, the phone document is removed again. 注销 removes the users document before its last sweep of
 * PHONES, so either the users update came first (the sweep after it removes the phone document) or it finds no
 * account (and the removal here does). No phone document outlives its account.
 */
async function savePhone(identity: Identity, info: PhoneInfo | undefined): Promise<Result> {
  const phoneNumber = info?.purePhoneNumber || info?.phoneNumber;
  if (!phoneNumber) throw new AppFailure('OPEN_DATA_INVALID', '未获取到手机号', { reason: 'no number' });
  if (info?.watermark?.appid && info.watermark.appid !== identity.appid) {
    throw new AppFailure('OPEN_DATA_INVALID', '开放数据不属于本小程序', { reason: 'watermark appid' });
  }
  const countryCode = String(info?.countryCode ?? '86');
  const now = new Date();
  const phone: Omit<PhoneDocument, '_id'> = { phoneNumber, countryCode, updatedAt: now };
  const phones = db().collection(PHONES);
  await phones.doc(identity.openid).set({ data: phone });
  const user = await updateUser(identity.openid, {
    phoneMasked: maskPhone(phoneNumber),
    countryCode,
    phoneNumber: db().command.remove(),
    updatedAt: now,
  });
  if (!user) {
    // One retry: a phone document left here would outlive the account it belonged to.
    const removePhone = async (): Promise<void> => {
      await phones.doc(identity.openid).remove();
    };
    await removePhone().catch(removePhone);
    throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录');
  }
  return { user: toProfile(user) };
}
