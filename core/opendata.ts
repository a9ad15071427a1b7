import { createDecipheriv, createHash, timingSafeEqual } from 'crypto';
import { AppFailure } from './errors';

/**
 * WeChat open data, the legacy way: AES-128-CBC with PKCS#7 padding, key = the user's session_key, all base64.
 * Decrypted data carries a watermark that must name our appid and be recent.
 */

/** How old a watermark may be. Open data is produced by a tap and sent at once; older data is a replay. */
export const OPEN_DATA_MAX_AGE_SECONDS = 10 * 60;
/** Tolerated clock skew between WeChat and the function, for watermarks from the "future". */
const CLOCK_SKEW_SECONDS = 60;

export interface Watermark {
  appid: string;
  timestamp: number;
}

export function decryptOpenData(
  sessionKey: string,
  encryptedData: string,
  iv: string,
  expectedAppid: string,
  nowMs = Date.now(),
): Record<string, unknown> {
  const key = Buffer.from(sessionKey, 'base64');
  const vector = Buffer.from(iv, 'base64');
  const cipherText = Buffer.from(encryptedData, 'base64');
  if (key.length !== 16) throw new AppFailure('SESSION_EXPIRED', '登录状态已失效，请重新登录');
  if (vector.length !== 16 || cipherText.length === 0 || cipherText.length % 16 !== 0) {
    throw new AppFailure('OPEN_DATA_INVALID', '开放数据格式错误', { reason: 'bad iv or length' });
  }
  let data: unknown;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, vector);
    const plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);
    data = JSON.parse(plain.toString('utf8'));
  } catch {
    // A well-formed ciphertext that will not decrypt to JSON was made with another session_key: ours is stale.
    throw new AppFailure('SESSION_EXPIRED', '登录状态已失效，请重新登录', { reason: 'decrypt failed' });
  }
  checkWatermark(data, expectedAppid, nowMs);
  return data as Record<string, unknown>;
}

/** Open data from any source (decrypted, or resolved from a cloudID) must be ours and fresh. */
export function checkWatermark(data: unknown, expectedAppid: string, nowMs = Date.now()): void {
  const watermark = (data as { watermark?: Partial<Watermark> } | null)?.watermark;
  if (!watermark || watermark.appid !== expectedAppid) {
    throw new AppFailure('OPEN_DATA_INVALID', '开放数据不属于本小程序', { reason: 'watermark appid' });
  }
  const ageSeconds = nowMs / 1000 - Number(watermark.timestamp);
  if (!Number.isFinite(ageSeconds) || ageSeconds > OPEN_DATA_MAX_AGE_SECONDS || ageSeconds < -CLOCK_SKEW_SECONDS) {
    throw new AppFailure('OPEN_DATA_INVALID', '开放数据已过期，请重试', { reason: 'watermark timestamp' });
  }
}

/** wx.getUserInfo's rawData signature: sha1(rawData + session_key), hex. Constant-time comparison. */
export function verifyRawDataSignature(rawData: string, signature: string, sessionKey: string): boolean {
  const expected = createHash('sha1')
    .update(rawData + sessionKey)
    .digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
