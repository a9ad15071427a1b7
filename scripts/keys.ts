/**
 * `npm run keys`: a new Ed25519 key pair for the session tokens.
 *  - prints the private key (PKCS#8 PEM) to set as AUTH_TOKEN_PRIVATE_KEY on the login function; it is written
 *    nowhere, so it cannot end up in git;
 *  - writes the public key as PEM and as a JWKS (what your backend verifies with) to --out DIR (default .keys/,
 *    git-ignored), and prints both paths.
 * Flags: --out DIR; --rotate (add the new public key to DIR's existing JWKS, keeping the old ones: see docs/tokens.md,
 * "Rotating the signing key"); --force (replace an existing JWKS).
 */
import { generateKeyPairSync } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, relative, resolve } from 'path';
import { calculateJwkThumbprint, exportJWK, type JSONWebKeySet, type JWK } from 'jose';
import { parseFlags, UsageError } from './args';

export interface TokenKeyPair {
  /** PKCS#8 PEM: the login function's AUTH_TOKEN_PRIVATE_KEY. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  /** The public key as a JWK with kid (RFC 7638 thumbprint), alg EdDSA, use sig. */
  publicJwk: JWK & { kid: string };
  /** A JWKS holding publicJwk alone. */
  jwks: JSONWebKeySet;
}

export async function generateTokenKeys(): Promise<TokenKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const publicJwk = { ...jwk, kid, alg: 'EdDSA', use: 'sig' };
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicJwk,
    jwks: { keys: [publicJwk] },
  };
}

/** The same PEM on one line with literal \n, for consoles whose fields take one line (the function accepts both). */
export function oneLinePem(pem: string): string {
  return pem.trim().replace(/\n/g, '\\n');
}

async function main(): Promise<void> {
  const flags = parseFlags(
    'npm run keys',
    process.argv.slice(2),
    { out: { type: 'string' }, rotate: { type: 'boolean' }, force: { type: 'boolean' } },
    '[--out DIR] [--rotate | --force]',
  );
  if (flags.rotate && flags.force)
    throw new UsageError('npm run keys: --rotate keeps the old keys, --force replaces them: choose one');
  const outDir = resolve(flags.out ?? join(__dirname, '..', '.keys'));
  const rotate = flags.rotate === true;
  const force = flags.force === true;
  const jwksPath = join(outDir, 'jwks.json');
  let previous: JWK[] = [];
  if (existsSync(jwksPath)) {
    if (rotate) previous = (JSON.parse(readFileSync(jwksPath, 'utf8')) as JSONWebKeySet).keys;
    else if (!force) {
      throw new Error(
        `${jwksPath} exists. --rotate adds a new key beside the old one(s); --force replaces it (tokens signed with the old key then fail).`,
      );
    }
  }
  const keys = await generateTokenKeys();
  mkdirSync(outDir, { recursive: true });
  const publicPemPath = join(outDir, `auth-token-${keys.publicJwk.kid}.pub.pem`);
  writeFileSync(publicPemPath, keys.publicKeyPem);
  const jwks: JSONWebKeySet = { keys: [keys.publicJwk, ...previous.filter((key) => key.kid !== keys.publicJwk.kid)] };
  writeFileSync(jwksPath, `${JSON.stringify(jwks, null, 2)}\n`);

  const shown = (path: string) =>
    relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);
  console.log(`New session-token key, kid ${keys.publicJwk.kid}\n`);
  console.log('AUTH_TOKEN_PRIVATE_KEY (set it on the login function: CloudBase console > 云函数 > login > 环境变量;');
  console.log('keep it secret, it is not saved anywhere):\n');
  console.log(keys.privateKeyPem);
  console.log(`The same on one line, for a single-line field:\n${oneLinePem(keys.privateKeyPem)}\n`);
  console.log(`public key (PEM):  ${shown(publicPemPath)}`);
  console.log(`JWKS for your backend: ${shown(jwksPath)} (${jwks.keys.length} key${jwks.keys.length > 1 ? 's' : ''})`);
  if (previous.length > 0) {
    console.log(
      '\nRotation: publish this JWKS to your backend first, then set the new private key on the function; remove the old key from the JWKS once the longest AUTH_TOKEN_TTL_S has passed.',
    );
  }
}

// (miniprogram-api-typings, loaded for the tests, redeclares `require`; Node's own has `main`.)
if ((require as unknown as NodeJS.Require).main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof UsageError ? error.exitCode : 1);
  });
}
