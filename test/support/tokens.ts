/**
 * Independent checks of a session token, written without jose or the project's verifier: Node's crypto.verify on
 * the raw JWS bytes, and the RFC 7638 thumbprint computed here from the key's x.
 */
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'crypto';

export interface DecodedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** crypto.verify(null, "<header>.<payload>", publicKey, signature) for Ed25519. */
  signatureValid: boolean;
}

export function checkIndependently(token: string, publicKeyPem: string): DecodedToken {
  const parts = token.split('.');
  expect(parts).toHaveLength(3);
  const [header, payload, signature] = parts as [string, string, string];
  for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  const signatureValid = verify(
    null,
    Buffer.from(`${header}.${payload}`, 'ascii'),
    createPublicKey(publicKeyPem),
    Buffer.from(signature, 'base64url'),
  );
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
    signatureValid,
  };
}

/** RFC 7638 for an Ed25519 key, by hand: SHA-256 over {"crv":"Ed25519","kty":"OKP","x":"..."}, base64url. */
export function thumbprintByHand(publicKeyPem: string): string {
  const spki = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  // An Ed25519 SPKI is a fixed 12-byte prefix followed by the 32-byte public key (RFC 8410).
  expect(spki.subarray(0, 12).toString('hex')).toBe('302a300506032b6570032100');
  const x = spki.subarray(12).toString('base64url');
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

/** A token with its signature part replaced by `signature` (or with one payload claim changed, keeping the old signature). */
export function tamper(token: string, change: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as object), ...change };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** An Ed25519 key pair and its JWKS made with node:crypto alone (for jsdom test files, where jose cannot run). */
export function nodeTokenKeys(): { privateKeyPem: string; publicKeyPem: string; jwks: { keys: object[] } } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem,
    jwks: { keys: [{ ...jwk, kid: thumbprintByHand(publicKeyPem), alg: 'EdDSA', use: 'sig' }] },
  };
}
