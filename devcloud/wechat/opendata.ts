import { createCipheriv, randomBytes } from 'crypto';
import { OPENAPI_ERROR, OpenDataRefusal } from './cloud-calls';
import type { WeChatFake } from './server-api';
import type { LegacyOpenData } from '../protocol';

/** How long a cloudID resolves (legacy open data, protocol/wechat.ts). */
const CLOUD_ID_TTL_MS = 5 * 60 * 1000;

export class OpenDataIssuer {
  private readonly cloudIds = new Map<string, { json: string; openid: string; expiresAt: number }>();

  constructor(
    private readonly wechat: WeChatFake,
    private readonly appid: string,
  ) {}

  /** The phone-number payload for `openid`, encrypted with their session_key now, and its cloudID. */
  phoneNumber(openid: string, phone: string): LegacyOpenData | undefined {
    const sessionKey = this.wechat.currentSessionKey(openid);
    if (!sessionKey) return undefined; // never logged in on this device: WeChat has no session to encrypt with
    const pure = phone.replace(/^\+?86/, '');
    const data = {
      phoneNumber: pure,
      purePhoneNumber: pure,
      countryCode: '86',
      watermark: { appid: this.appid, timestamp: Math.floor(this.wechat.now() / 1000) },
    };
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv);
    const encryptedData = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]).toString(
      'base64',
    );
    const cloudID = `${(randomBytes(2).readUInt16BE() % 90) + 10}_${randomBytes(24).toString('base64url')}`;
    this.cloudIds.set(cloudID, {
      json: JSON.stringify({ cloudID, data }),
      openid,
      expiresAt: this.wechat.now() + CLOUD_ID_TTL_MS,
    });
    return { encryptedData, iv: iv.toString('base64'), cloudID };
  }

  /**
   * cloud.getOpenData: the JSON WeChat gives per cloudID, undefined when unknown or expired. A cloudID is the
   * data of the user it was issued to: asked for by anyone else (or by an invocation with no user), WeChat
   * refuses the whole call (-601007).
   */
  resolve(cloudIds: string[], callerOpenid: string | undefined): Array<string | undefined> {
    return cloudIds.map((id) => {
      const entry = this.cloudIds.get(id);
      if (!entry || entry.expiresAt <= this.wechat.now()) return undefined;
      if (entry.openid !== callerOpenid) throw new OpenDataRefusal(OPENAPI_ERROR.CLOUDID_USER_MISMATCH);
      return entry.json;
    });
  }
}
