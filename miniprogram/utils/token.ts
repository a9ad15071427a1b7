/**
 * Reads the `iat` claim of a session token WITHOUT verifying it: the client only uses it to learn how far the
 * phone's clock is from the server's, never to decide who the user is (the backend verifies). WeChat's JS engine
 * has no atob, hence the small base64url decoder; the payload is ASCII JSON.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function issuedAtOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(decodeBase64Url(payload)) as { iat?: unknown };
    return typeof claims.iat === 'number' ? claims.iat : undefined;
  } catch {
    return undefined;
  }
}

function decodeBase64Url(text: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) throw new Error('not base64url');
    value = ((value << 6) | index) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  return out;
}
