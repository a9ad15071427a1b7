import { createCipheriv, createHash, randomBytes } from 'crypto';
import { AppFailure } from '../../core/errors';
import { decryptOpenData, verifyRawDataSignature, OPEN_DATA_MAX_AGE_SECONDS } from '../../core/opendata';
import { maskPhone } from '../../core/phone';

const APPID = 'wx1234567890abcdef';

function encrypt(sessionKey: string, data: unknown): { encryptedData: string; iv: string } {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv);
  const out = Buffer.concat([cipher.update(JSON.stringify(data)), cipher.final()]);
  return { encryptedData: out.toString('base64'), iv: iv.toString('base64') };
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof AppFailure ? error.code : `unexpected ${String(error)}`;
  }
  return 'no error';
}

const key = randomBytes(16).toString('base64');
const now = Date.now();
const fresh = { appid: APPID, timestamp: Math.floor(now / 1000) - 5 };

test('decrypts AES-128-CBC/PKCS#7 open data with the session_key', () => {
  const { encryptedData, iv } = encrypt(key, { purePhoneNumber: '13800001234', watermark: fresh });
  expect(decryptOpenData(key, encryptedData, iv, APPID, now)).toEqual({
    purePhoneNumber: '13800001234',
    watermark: fresh,
  });
});

test('another session_key gives SESSION_EXPIRED', () => {
  const { encryptedData, iv } = encrypt(key, { watermark: fresh });
  const otherKey = randomBytes(16).toString('base64');
  expect(codeOf(() => decryptOpenData(otherKey, encryptedData, iv, APPID, now))).toBe('SESSION_EXPIRED');
});

test('watermark of another appid, too old, or from the future is OPEN_DATA_INVALID', () => {
  for (const watermark of [
    { appid: 'wxother', timestamp: fresh.timestamp },
    { appid: APPID, timestamp: Math.floor(now / 1000) - OPEN_DATA_MAX_AGE_SECONDS - 1 },
    { appid: APPID, timestamp: Math.floor(now / 1000) + 3600 },
    undefined,
  ]) {
    const { encryptedData, iv } = encrypt(key, { watermark });
    expect(codeOf(() => decryptOpenData(key, encryptedData, iv, APPID, now))).toBe('OPEN_DATA_INVALID');
  }
});

test('a malformed iv or ciphertext length is OPEN_DATA_INVALID', () => {
  const { encryptedData } = encrypt(key, { watermark: fresh });
  expect(codeOf(() => decryptOpenData(key, encryptedData, 'c2hvcnQ=', APPID, now))).toBe('OPEN_DATA_INVALID');
  expect(codeOf(() => decryptOpenData(key, 'YWJj', randomBytes(16).toString('base64'), APPID, now))).toBe(
    'OPEN_DATA_INVALID',
  );
});

test('rawData signature is sha1(rawData + session_key)', () => {
  const rawData = JSON.stringify({ nickName: '微信用户' });
  const signature = createHash('sha1')
    .update(rawData + key)
    .digest('hex');
  expect(verifyRawDataSignature(rawData, signature, key)).toBe(true);
  expect(verifyRawDataSignature(rawData + ' ', signature, key)).toBe(false);
  expect(verifyRawDataSignature(rawData, signature.slice(2), key)).toBe(false);
});

test.each([
  ['13812341234', '138****1234'],
  ['8613812341234', '861****1234'],
  ['12345', '***45'],
  ['1', '*'],
])('maskPhone(%s) = %s', (phone, masked) => {
  expect(maskPhone(phone)).toBe(masked);
});
