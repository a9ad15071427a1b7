/** WeChat's side, as the control API shows it: simulated users, the server API's faults, cloud calls, messages. */

/** The WeChat server APIs devcloud serves (fault target 'wechat'). */
export type WeChatApi = 'jscode2session' | 'checksession' | 'getuserphonenumber' | 'token';

/** The original WeChat fault shape, kept for its users; it becomes a FaultSpec. */
export interface Fault {
  api: WeChatApi;
  /** Answer with this errcode instead of the real reply. */
  errcode?: number;
  /** Delay the answer (ms). A delay longer than the caller's timeout is a timeout. */
  delayMs?: number;
  /** How many calls it applies to; default 1. */
  times?: number;
}

/** When a new wx.login code rotates the user's session_key. */
export type SessionKeyRotation = 'every-code' | 'when-expired';

export interface SimulatedUser {
  name: string;
  openid: string;
  unionid?: string;
  /** What WeChat knows as the user's phone number (default 13800001234). */
  phoneNumber: string;
  /** What riskControl.getUserRiskRank answers for the user: 0 (lowest) to 4 (default 0). */
  riskRank: number;
}

/**
 * Legacy open data as the WeChat client hands it to a page: `encryptedData` + `iv` (AES-128-CBC, PKCS#7, key =
 * the user's current session_key) and a `cloudID` that cloud.getOpenData resolves for five minutes.
 */
export interface LegacyOpenData {
  encryptedData: string;
  iv: string;
  cloudID: string;
}

/** What <button open-type="getPhoneNumber"> hands the page when the user agrees. */
export interface PhoneNumberDetail extends Partial<LegacyOpenData> {
  code: string;
}

/** A developer's canned reply for a cloud call devcloud has no fake of (or one that replaces the fake). */
export type OpenApiFixture = { reply: Record<string, unknown> } | { binary: { contentType: string; base64: string } };

/** One cloud call as devcloud answered it (GET /devcloud/openapi/calls). */
export interface OpenApiCallRecord {
  seq: number;
  at: string;
  api: string;
  functionName: string;
  openid?: string;
  /** The request as WeChat receives it (snake_case keys); media values as `{contentType, fileName, bytes}`. */
  data: Record<string, unknown>;
  /** Who answered: a built-in fake, the developer's fixture, or nobody (refused). */
  answeredBy: 'fake' | 'fixture' | 'none';
  /** WeChat's errcode in the reply (0 for success), or the gateway's errorCode (-604101...). */
  errcode: number;
}

export type OutboxKind =
  | 'subscribeMessage'
  | 'customerServiceMessage'
  /** security.mediaCheckAsync's result: the `wxa_media_check` event WeChat pushes. */
  | 'mediaCheckResult'
  | 'urlScheme'
  | 'urlLink';

/** What devcloud's WeChat would have delivered to someone (GET /devcloud/outbox). */
export interface OutboxEntry {
  id: string;
  kind: OutboxKind;
  /** When devcloud delivered it (ISO 8601). */
  at: string;
  /** The cloud function whose call produced it. */
  functionName: string;
  /** The recipient's openid (messages) or the user the check was about (mediaCheckResult). */
  touser?: string;
  /** What was sent, as WeChat received it (snake_case keys, as on the wire). */
  payload: Record<string, unknown>;
}

/** How a simulated user answers wx.requestSubscribeMessage for a template. */
export type SubscribeDecision = 'accept' | 'reject' | 'ban' | 'filter';
