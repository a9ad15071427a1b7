/**
 * The Java and Go recipes (recipes/java, recipes/go: docs/tokens-java-go.md) against the Node verifier
 * (verifier/verify.ts), the reference. Each recipe is built here (javac against Debian's Jackson, go build with the
 * standard library only) and runs as one long-lived child process that reads one case per line and answers one
 * verdict per line, so thousands of tokens cost one process start. Every case is checked by all three verifiers:
 * - named cases: a login token, each claim violation, the spellings of one token, revocation by equality; the
 *   recipes must give Node's verdict and reason;
 * - generated claim sets, headers, audiences and current sessions (fast-check), signed with the real key, and
 *   generated spellings of a real token: each recipe's verdict (and the claims it returns) must equal Node's.
 * `npm test` runs FUZZ_RUNS (default 60) cases per property. Without go, or javac and Debian's Jackson jars, the
 * file says so and skips; `bash scripts/recipes/install.sh` installs them. RECIPES_REQUIRED=1 (CI) makes a missing
 * tool a failure instead.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'child_process';
import { createHmac, createPrivateKey, sign } from 'crypto';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createInterface } from 'readline';
import fc from 'fast-check';
import type { JSONWebKeySet } from 'jose';
import { DEFAULT_APPID, openidFor } from 'devcloud';
import type { Envelope, LoginResult } from '../../contracts';
import type { CurrentSession } from '../../contracts/token';
import { createTokenVerifier, TokenRejectedError } from '../../verifier/verify';
import { issueLoginToken, tokenSettings } from '../../core/token';
import { generateTokenKeys, type TokenKeyPair } from '../../scripts/keys';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const REQUIRED = process.env.RECIPES_REQUIRED === '1';
const ROOT = join(__dirname, '..', '..');
const JACKSON = ['jackson-databind', 'jackson-core', 'jackson-annotations'].map((jar) => `/usr/share/java/${jar}.jar`);

const APPID = 'wx1234567890abcdef';
const AID = 'Abcdefghijklmnopqrstu_';
const OTHER_AID = 'Zyxwvutsrqponmlkjihgf-';
const AUDIENCE = 'https://api.example.com';
/** Whole seconds: jose floors "now" to the second, and so do the recipes. */
const NOW_S = Math.floor(Date.UTC(2031, 2, 3, 4, 5, 6) / 1000);

/** One verification: the token and everything the verifier is configured with. */
interface Case {
  token: string;
  jwks: JSONWebKeySet;
  issuers: string[];
  audiences: string[];
  now: number;
  /** Present: the verifier has a currentSession hook answering from it (null or missing: no account). */
  sessions?: Record<string, CurrentSession | null>;
}
interface Claims {
  iss: string;
  sub: string;
  unionid: string;
  aid: string;
  sv: number;
  iat: number;
  exp: number;
  aud: string;
}
type Verdict = { verdict: 'accepted'; claims: Claims } | { verdict: 'refused'; reason: string } | { crash: string };

// ---- the recipes: what is installed, how to build and run each ----

function missing(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? undefined : `${command} is not installed`;
}

interface Recipe {
  name: 'Go' | 'Java';
  /** Why it cannot run here, or undefined. */
  unavailable: string | undefined;
  /** Builds into `dir` and returns the command that runs the driver. */
  build(dir: string): { command: string; args: string[] };
  /** The recipe's own tests, where it has some. */
  selfTest?: () => void;
}

/** The standard library only: nothing to download (GOPROXY=off proves it), whatever go.work or GOFLAGS say. */
const GO_ENV = {
  GOPROXY: 'off',
  GOFLAGS: '-mod=mod',
  GOTOOLCHAIN: 'local',
  GOWORK: 'off',
  GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'wxlogin-recipes-gocache'),
};
const GO_MODULE = join(ROOT, 'recipes', 'go');

const RECIPES: Recipe[] = [
  {
    name: 'Go',
    unavailable: missing('go', ['version']),
    build(dir) {
      const binary = join(dir, 'tokencheck');
      run('go', ['build', '-o', binary, './cmd/tokencheck'], GO_MODULE, GO_ENV);
      return { command: binary, args: [] };
    },
    selfTest() {
      // go vet, and the net/http middleware's own test (sessiontoken/middleware_test.go).
      run('go', ['vet', './...'], GO_MODULE, GO_ENV);
      run('go', ['test', './...'], GO_MODULE, GO_ENV);
    },
  },
  {
    name: 'Java',
    unavailable:
      missing('javac', ['-version']) ??
      (JACKSON.every((jar) => existsSync(jar)) ? undefined : `Debian's Jackson is not installed (${JACKSON[0]})`),
    build(dir) {
      const java = join(ROOT, 'recipes', 'java', 'src');
      const sources = ['main/java/wxlogin/SessionTokenVerifier.java', 'test/java/wxlogin/TokenCheck.java'];
      const classpath = JACKSON.join(':');
      run('javac', ['-Xlint:all', '-Werror', '--release', '17', '-cp', classpath, '-d', dir, ...sources], java);
      return { command: 'java', args: ['-cp', `${dir}:${classpath}`, 'wxlogin.TokenCheck'] };
    },
  },
];

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): void {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`);
}

/** A recipe's driver process: one JSON case per line in, one verdict per line out, in order. */
class Driver {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(
    readonly name: string,
    command: string,
    args: string[],
  ) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', (code, signal) => {
      const crash = JSON.stringify({ crash: `${name} exited (${code ?? signal}): ${this.stderr}` });
      for (const resolve of this.waiting.splice(0)) resolve(crash);
    });
  }

  check(c: Case): Promise<Verdict> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as Verdict));
      this.child.stdin.write(`${JSON.stringify(c)}\n`);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else {
        this.child.on('exit', () => resolve());
        this.child.stdin.end();
      }
    });
  }
}

// ---- the reference: verifier/verify.ts ----

async function nodeVerdict(c: Case): Promise<Verdict> {
  const sessions = c.sessions;
  const verify = createTokenVerifier({
    issuer: c.issuers,
    jwks: c.jwks,
    now: () => new Date(c.now * 1000),
    ...(c.audiences.length > 0 ? { audience: c.audiences } : {}),
    ...(sessions ? { currentSession: (sub: string) => sessions[sub] ?? null } : {}),
  });
  try {
    const claims = await verify(c.token);
    return { verdict: 'accepted', claims: { unionid: '', aud: '', ...claims } };
  } catch (error) {
    if (error instanceof TokenRejectedError) return { verdict: 'refused', reason: error.reason };
    throw error;
  }
}

// ---- tokens ----

let keys: TokenKeyPair;
let otherKeys: TokenKeyPair;
/** During a rotation: the old key and the new one. */
let rotatedJwks: JSONWebKeySet;

beforeAll(async () => {
  [keys, otherKeys] = await Promise.all([generateTokenKeys(), generateTokenKeys()]);
  rotatedJwks = { keys: [otherKeys.publicJwk, keys.publicJwk] };
});

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url');

/** Any header and payload text, signed with node:crypto alone: jose would refuse to sign some of these shapes. */
function signRaw(header: string, payload: string, pair = keys): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${b64(sign(null, Buffer.from(input), createPrivateKey(pair.privateKeyPem)))}`;
}

function forged(header: Record<string, unknown>, payload: Record<string, unknown>, pair = keys): string {
  return signRaw(
    JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: pair.publicJwk.kid, ...header }),
    JSON.stringify(payload),
    pair,
  );
}

/** The claims of a login token issued at NOW_S with a 3600 s lifetime, plus `changes` (undefined removes one). */
function claimsOf(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: APPID,
    sub: 'o-alice',
    aid: AID,
    sv: 1,
    iat: NOW_S,
    exp: NOW_S + 3600,
  };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return claims;
}

/** The login function's own signer, exactly as the login calls it. */
async function loginToken(options: { audience?: string; unionid?: string; sv?: number } = {}): Promise<string> {
  const settings = tokenSettings({
    AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem,
    AUTH_TOKEN_TTL_S: '3600',
    ...(options.audience ? { AUTH_TOKEN_AUDIENCE: options.audience } : {}),
  })!;
  const identity = { openid: 'o-alice', appid: APPID, ...(options.unionid ? { unionid: options.unionid } : {}) };
  const user = { openid: 'o-alice', accountId: AID, sessionVersion: options.sv ?? 1 };
  const issued = await issueLoginToken(settings, identity, user, NOW_S * 1000);
  if (!('token' in issued)) throw new Error('tokens are off');
  return issued.token;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Ed25519's group order: S + L verifies the same in a lax implementation, and must be refused (RFC 8032 5.1.7). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** The same signature with S replaced by S + L: a canonical base64url string of other signature bytes. */
function malleable(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${Buffer.from(bytes.subarray(32)).reverse().toString('hex')}`) + L;
  Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse().copy(bytes, 32);
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

/** One way to write (some of) a token's bytes differently (the spellings of test/fuzz/tokens.test.ts, and S + L). */
const spelling = fc.oneof(
  fc.record({ kind: fc.constant('standard-base64' as const), part: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    kind: fc.constant('padding' as const),
    part: fc.integer({ min: 0, max: 2 }),
    count: fc.integer({ min: 1, max: 2 }),
  }),
  fc.record({
    kind: fc.constant('whitespace' as const),
    where: fc.constantFrom('start', 'end', 'dot'),
    char: fc.constantFrom(' ', '\n', '\r\n', '\t', '\u00a0', '\u200b'),
  }),
  fc.record({
    kind: fc.constant('spare-bits' as const),
    part: fc.integer({ min: 0, max: 2 }),
    delta: fc.integer({ min: 1, max: 15 }),
  }),
  fc.record({ kind: fc.constant('case' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('dots' as const), where: fc.constantFrom('lead', 'trail', 'double') }),
  fc.record({ kind: fc.constant('malleable' as const) }),
);
type Spelling = typeof spelling extends fc.Arbitrary<infer S> ? S : never;

function respell(token: string, change: Spelling): string {
  const parts = token.split('.');
  switch (change.kind) {
    case 'standard-base64': {
      const part = parts[change.part] ?? '';
      parts[change.part] = Buffer.from(part, 'base64url').toString('base64').replace(/=+$/, '');
      if (parts[change.part] === part) parts[change.part] = part.replace(/-/g, '+').replace(/_/g, '/') + '+';
      return parts.join('.');
    }
    case 'padding':
      parts[change.part] = `${parts[change.part] ?? ''}${'='.repeat(change.count)}`;
      return parts.join('.');
    case 'whitespace':
      if (change.where === 'start') return change.char + token;
      if (change.where === 'end') return token + change.char;
      return parts.join(`.${change.char}`);
    case 'spare-bits': {
      // The last character of a part whose length is not a multiple of 4 carries unused low bits: change them.
      const part = parts[change.part] ?? '';
      const spare = [0, 0, 4, 2][part.length % 4]!;
      const last = ALPHABET.indexOf(part.at(-1) ?? 'A');
      const changed = spare === 0 ? (last + change.delta) % 64 : last ^ (change.delta % (1 << spare) || 1);
      parts[change.part] = part.slice(0, -1) + ALPHABET[changed]!;
      return parts.join('.');
    }
    case 'case': {
      const index = change.index % token.length;
      const char = token[index]!;
      const swapped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase();
      return token.slice(0, index) + swapped + token.slice(index + 1);
    }
    case 'dots':
      if (change.where === 'lead') return `.${token}`;
      if (change.where === 'trail') return `${token}.`;
      return token.replace('.', '..');
    case 'malleable':
      return parts.length === 3 && /^[A-Za-z0-9_-]{86}$/.test(parts[2]!) ? malleable(token) : token;
  }
}

// ---- the named cases ----

interface Named {
  name: string;
  token: string;
  /** The Node verifier's verdict: 'accepted' or the reason. The recipes must give the same. */
  node: string;
  /** Where a recipe is knowingly stricter than Node (docs/tokens-java-go.md says why): its verdict instead. */
  recipes?: string;
  audiences?: string[];
  issuers?: string[];
  jwks?: JSONWebKeySet;
  sessions?: Record<string, CurrentSession | null>;
  now?: number;
}

async function namedCases(): Promise<Named[]> {
  const login = await loginToken();
  const [header, payload, signature] = login.split('.') as [string, string, string];
  const flipped = Buffer.from(signature, 'base64url');
  flipped[0] = flipped[0]! ^ 1;
  const hs256 = (secret: Buffer) => {
    const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: keys.publicJwk.kid }))}.${payload}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const rawClaims = (svText: string) =>
    `{"iss":"${APPID}","sub":"o-alice","aid":"${AID}","sv":${svText},"iat":${NOW_S},"exp":${NOW_S + 3600}}`;
  const header0 = JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: keys.publicJwk.kid });
  const sv2 = await loginToken({ sv: 2 });
  return [
    // What the login function issues.
    { name: 'a login token', token: login, node: 'accepted' },
    {
      name: 'a login token with unionid and aud (AUTH_TOKEN_AUDIENCE), audience configured',
      token: await loginToken({ audience: AUDIENCE, unionid: 'u-alice' }),
      audiences: [AUDIENCE],
      node: 'accepted',
    },
    { name: 'one of several AppIDs', token: login, issuers: ['wx-other', APPID], node: 'accepted' },
    {
      name: 'a rotation: the new key verifies beside the old one',
      token: login,
      jwks: rotatedJwks,
      node: 'accepted',
    },
    // The header.
    { name: 'typ missing', token: forged({ typ: undefined }, claimsOf()), node: 'algorithm' },
    { name: 'typ JOSE', token: forged({ typ: 'JOSE' }, claimsOf()), node: 'algorithm' },
    { name: 'typ at+jwt', token: forged({ typ: 'at+jwt' }, claimsOf()), node: 'algorithm' },
    { name: 'typ jwt (case-insensitive, RFC 7515)', token: forged({ typ: 'jwt' }, claimsOf()), node: 'accepted' },
    { name: 'typ application/JWT', token: forged({ typ: 'application/JWT' }, claimsOf()), node: 'accepted' },
    {
      name: 'alg none',
      token: `${b64(JSON.stringify({ alg: 'none', typ: 'JWT', kid: keys.publicJwk.kid }))}.${payload}.${b64('x')}`,
      node: 'algorithm',
    },
    { name: 'alg HS256 keyed with the public PEM', token: hs256(Buffer.from(keys.publicKeyPem)), node: 'algorithm' },
    {
      name: 'alg HS256 keyed with the raw public key',
      token: hs256(Buffer.from(String(keys.publicJwk.x), 'base64url')),
      node: 'algorithm',
    },
    { name: 'alg Ed25519 (not the pinned EdDSA)', token: forged({ alg: 'Ed25519' }, claimsOf()), node: 'algorithm' },
    {
      name: 'alg missing',
      token: signRaw(JSON.stringify({ typ: 'JWT', kid: keys.publicJwk.kid }), JSON.stringify(claimsOf())),
      node: 'malformed',
    },
    { name: 'kid missing', token: forged({ kid: undefined }, claimsOf()), node: 'unknown_key' },
    { name: 'kid unknown', token: forged({ kid: 'unknown-kid' }, claimsOf()), node: 'unknown_key' },
    { name: 'kid not a string', token: forged({ kid: 1 }, claimsOf()), node: 'unknown_key' },
    { name: 'signed by a key not in the JWKS', token: forged({}, claimsOf(), otherKeys), node: 'unknown_key' },
    {
      name: "a stranger's signature under our kid",
      token: forged({ kid: keys.publicJwk.kid }, claimsOf(), otherKeys),
      node: 'signature',
    },
    {
      name: 'crit with an unknown extension',
      token: signRaw(
        JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: keys.publicJwk.kid, crit: ['exp'], exp: 1 }),
        JSON.stringify(claimsOf()),
      ),
      node: 'malformed',
    },
    {
      name: 'crit b64 with b64 true (jose knows it; the recipes refuse any crit)',
      token: signRaw(
        JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: keys.publicJwk.kid, crit: ['b64'], b64: true }),
        JSON.stringify(claimsOf()),
      ),
      node: 'accepted',
      recipes: 'malformed',
    },
    {
      name: 'a payload behind a UTF-8 byte order mark (TextDecoder drops it; Go and Jackson read JSON text only)',
      token: signRaw(header0, `\ufeff${JSON.stringify(claimsOf())}`),
      node: 'accepted',
      recipes: 'malformed',
    },
    {
      name: 'a header that is a JSON array',
      token: signRaw('["EdDSA"]', JSON.stringify(claimsOf())),
      node: 'malformed',
    },
    // The signature.
    { name: 'a changed signature', token: `${header}.${payload}.${flipped.toString('base64url')}`, node: 'signature' },
    {
      name: 'a changed claim under the old signature',
      token: `${header}.${b64(JSON.stringify(claimsOf({ sub: 'o-mallory' })))}.${signature}`,
      node: 'signature',
    },
    { name: 'the signature with S + L (malleability)', token: malleable(login), node: 'signature' },
    // The payload.
    { name: 'a payload that is a JSON array', token: signRaw(header0, '[1]'), node: 'malformed' },
    { name: 'a payload that is not JSON', token: signRaw(header0, '{"iss":'), node: 'malformed' },
    { name: 'JSON with trailing data', token: signRaw(header0, `${JSON.stringify(claimsOf())} {}`), node: 'malformed' },
    { name: 'iss another AppID', token: forged({}, claimsOf({ iss: 'wx-other' })), node: 'issuer' },
    { name: 'iss missing', token: forged({}, claimsOf({ iss: undefined })), node: 'issuer' },
    { name: 'iss not a string', token: forged({}, claimsOf({ iss: 1 })), node: 'issuer' },
    { name: 'exp 61 s ago', token: forged({}, claimsOf({ iat: NOW_S - 3661, exp: NOW_S - 61 })), node: 'expired' },
    {
      name: 'exp exactly 60 s ago',
      token: forged({}, claimsOf({ iat: NOW_S - 3660, exp: NOW_S - 60 })),
      node: 'expired',
    },
    {
      name: 'exp 59 s ago (within the skew)',
      token: forged({}, claimsOf({ iat: NOW_S - 3659, exp: NOW_S - 59 })),
      node: 'accepted',
    },
    { name: 'exp missing', token: forged({}, claimsOf({ exp: undefined })), node: 'malformed' },
    { name: 'exp a string', token: forged({}, claimsOf({ exp: String(NOW_S + 60) })), node: 'malformed' },
    { name: 'iat 61 s ahead', token: forged({}, claimsOf({ iat: NOW_S + 61 })), node: 'claims' },
    { name: 'iat 60 s ahead (within the skew)', token: forged({}, claimsOf({ iat: NOW_S + 60 })), node: 'accepted' },
    { name: 'iat missing', token: forged({}, claimsOf({ iat: undefined })), node: 'malformed' },
    { name: 'a lifetime of 86401 s', token: forged({}, claimsOf({ exp: NOW_S + 86_401 })), node: 'claims' },
    { name: 'a lifetime of 86400 s', token: forged({}, claimsOf({ exp: NOW_S + 86_400 })), node: 'accepted' },
    { name: 'nbf in the future', token: forged({}, claimsOf({ nbf: NOW_S + 61 })), node: 'malformed' },
    { name: 'nbf in the past', token: forged({}, claimsOf({ nbf: NOW_S - 10 })), node: 'accepted' },
    { name: 'sv missing', token: forged({}, claimsOf({ sv: undefined })), node: 'malformed' },
    { name: 'sv 0', token: forged({}, claimsOf({ sv: 0 })), node: 'malformed' },
    { name: 'sv -1', token: forged({}, claimsOf({ sv: -1 })), node: 'malformed' },
    { name: 'sv 1.5', token: forged({}, claimsOf({ sv: 1.5 })), node: 'malformed' },
    { name: "sv '1'", token: forged({}, claimsOf({ sv: '1' })), node: 'malformed' },
    { name: 'sv null', token: forged({}, claimsOf({ sv: null })), node: 'malformed' },
    { name: 'sv 2^53', token: forged({}, claimsOf({ sv: 2 ** 53 })), node: 'malformed' },
    { name: 'sv written 1.0 (the number 1)', token: signRaw(header0, rawClaims('1.0')), node: 'accepted' },
    { name: 'sv written 1e0 (the number 1)', token: signRaw(header0, rawClaims('1e0')), node: 'accepted' },
    { name: 'sv 1e400 (Infinity in JavaScript)', token: signRaw(header0, rawClaims('1e400')), node: 'malformed' },
    { name: 'sub empty', token: forged({}, claimsOf({ sub: '' })), node: 'malformed' },
    { name: 'sub missing', token: forged({}, claimsOf({ sub: undefined })), node: 'malformed' },
    { name: 'sub a number', token: forged({}, claimsOf({ sub: 7 })), node: 'malformed' },
    { name: 'aid missing', token: forged({}, claimsOf({ aid: undefined })), node: 'malformed' },
    { name: 'aid of 21 characters', token: forged({}, claimsOf({ aid: AID.slice(1) })), node: 'malformed' },
    { name: 'aid of 23 characters', token: forged({}, claimsOf({ aid: `${AID}A` })), node: 'malformed' },
    {
      name: 'aid with + (standard base64)',
      token: forged({}, claimsOf({ aid: `${AID.slice(1)}+` })),
      node: 'malformed',
    },
    { name: 'aid with a trailing newline', token: forged({}, claimsOf({ aid: `${AID}\n` })), node: 'malformed' },
    { name: 'unionid empty', token: forged({}, claimsOf({ unionid: '' })), node: 'malformed' },
    { name: 'unionid null', token: forged({}, claimsOf({ unionid: null })), node: 'malformed' },
    // The audience.
    { name: 'aud missing, audience configured', token: login, audiences: [AUDIENCE], node: 'audience' },
    {
      name: 'aud another backend, audience configured',
      token: forged({}, claimsOf({ aud: 'https://other.example.com' })),
      audiences: [AUDIENCE],
      node: 'audience',
    },
    {
      name: 'aud present, no audience configured',
      token: await loginToken({ audience: AUDIENCE }),
      node: 'audience',
    },
    { name: 'aud empty, no audience configured', token: forged({}, claimsOf({ aud: '' })), node: 'malformed' },
    {
      name: 'aud an array, audience configured',
      token: forged({}, claimsOf({ aud: [AUDIENCE] })),
      audiences: [AUDIENCE],
      node: 'malformed',
    },
    // Spellings of the login token: only the issued one verifies.
    {
      name: 'standard base64 signature (+/)',
      token: respell(login, { kind: 'standard-base64', part: 2 }),
      node: 'malformed',
    },
    { name: 'padding on the payload', token: `${header}.${payload}=.${signature}`, node: 'malformed' },
    { name: 'a trailing newline', token: `${login}\n`, node: 'malformed' },
    { name: 'a leading space', token: ` ${login}`, node: 'malformed' },
    { name: 'a newline after a dot', token: `${header}.\n${payload}.${signature}`, node: 'malformed' },
    {
      name: 'changed spare bits in the signature’s last character',
      token: respell(login, { kind: 'spare-bits', part: 2, delta: 1 }),
      node: 'malformed',
    },
    { name: 'a fourth part', token: `${login}.${signature}`, node: 'malformed' },
    { name: 'an empty signature part', token: `${header}.${payload}.`, node: 'malformed' },
    { name: 'longer than 4096 characters', token: forged({}, claimsOf({ pad: 'x'.repeat(4000) })), node: 'malformed' },
    // Revocation: the current session compared for equality.
    {
      name: 'revocation: the current account at the same sv',
      token: login,
      sessions: { 'o-alice': { aid: AID, sv: 1 } },
      node: 'accepted',
    },
    {
      name: 'revocation: an old sv (a logout or a ban ago)',
      token: login,
      sessions: { 'o-alice': { aid: AID, sv: 2 } },
      node: 'revoked',
    },
    {
      name: 'revocation: sv 2 before 注销, a new account at sv 1 (never sv >=)',
      token: sv2,
      sessions: { 'o-alice': { aid: OTHER_AID, sv: 1 } },
      node: 'revoked',
    },
    {
      name: 'revocation: another account (aid) at the same sv',
      token: login,
      sessions: { 'o-alice': { aid: OTHER_AID, sv: 1 } },
      node: 'revoked',
    },
    {
      name: 'revocation: banned',
      token: login,
      sessions: { 'o-alice': { aid: AID, sv: 1, banned: true } },
      node: 'revoked',
    },
    { name: 'revocation: no account', token: login, sessions: { 'o-alice': null }, node: 'revoked' },
    { name: 'revocation: no account (unknown openid)', token: login, sessions: {}, node: 'revoked' },
  ];
}

function caseOf(named: Named): Case {
  return {
    token: named.token,
    jwks: named.jwks ?? keys.jwks,
    issuers: named.issuers ?? [APPID],
    audiences: named.audiences ?? [],
    now: named.now ?? NOW_S,
    ...(named.sessions ? { sessions: named.sessions } : {}),
  };
}

const summary = (v: Verdict) => ('crash' in v ? `crash: ${v.crash}` : v.verdict === 'accepted' ? 'accepted' : v.reason);

// ---- generated cases ----

const absent = Symbol('absent');
/** Mostly `usual`, sometimes one of `others`: most generated tokens break one or two rules, some none. */
const mostly = <T>(usual: fc.Arbitrary<T>, ...others: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 30, arbitrary: usual }, ...others.map((arbitrary) => ({ weight: 1, arbitrary })));
const anyJson = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
const generatedClaims = fc
  .record({
    iss: mostly(fc.constant(APPID), fc.constantFrom('', 'wx-other', absent), anyJson),
    sub: mostly(fc.constant('o-alice'), fc.constantFrom('', absent), anyJson),
    aid: mostly(
      fc.constantFrom(AID, OTHER_AID),
      fc.string({ minLength: 21, maxLength: 23 }),
      fc.constant(absent),
      anyJson,
    ),
    sv: mostly(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: -1, max: 0 }),
      fc.double({ noNaN: true }),
      fc.constantFrom(2 ** 53, 2 ** 53 - 1, '1', absent),
      anyJson,
    ),
    /** How long ago the token was issued (negative: in the future), and its lifetime. */
    age: mostly(
      fc.integer({ min: -30, max: 3000 }),
      fc.integer({ min: -200, max: 2 * 86_400 }),
      fc.constantFrom(-60, -61, 3600 + 59, 3600 + 60, 3600 + 61),
      fc.double({ min: -100, max: 4000, noNaN: true }),
    ),
    lifetime: mostly(
      fc.constantFrom(3600, 7200, 86_400),
      fc.integer({ min: 1, max: 86_402 }),
      fc.constantFrom(86_401, 0, -1),
      fc.double({ min: 0, max: 86_401, noNaN: true }),
    ),
    iat: mostly(fc.constant('computed'), fc.constant(absent), anyJson),
    exp: mostly(fc.constant('computed'), fc.constant(absent), anyJson),
    nbf: mostly(fc.constant(absent), fc.integer({ min: NOW_S - 120, max: NOW_S + 120 }), anyJson),
    unionid: mostly(fc.constantFrom(absent, 'u-1'), fc.constant(''), anyJson),
    aud: mostly(fc.constantFrom(absent, AUDIENCE), fc.constantFrom([AUDIENCE], 'https://other', ''), anyJson),
    extra: mostly(fc.constant(absent), anyJson),
  })
  .map(({ age, lifetime, iat, exp, ...claims }) => {
    const issuedAt = NOW_S - (typeof age === 'number' ? age : 0);
    return {
      ...claims,
      iat: iat === 'computed' ? issuedAt : iat,
      exp: exp === 'computed' ? issuedAt + (typeof lifetime === 'number' ? lifetime : 3600) : exp,
    };
  });
const generatedHeader = fc.record({
  alg: mostly(fc.constant('EdDSA'), fc.constantFrom('none', 'HS256', 'ES256', 'Ed25519', '', absent), anyJson),
  typ: mostly(fc.constantFrom('JWT', 'jwt', 'application/jwt'), fc.constantFrom('JOSE', 'at+jwt', '', absent), anyJson),
  kid: mostly(fc.constant('known'), fc.constantFrom('', 'unknown-kid', absent), anyJson),
  crit: mostly(fc.constant(absent), fc.constantFrom(['exp'], [], 'b64')),
});
/**
 * The verifier's configuration, and the user's account as it is now relative to the token's own aid and sv: so that
 * the current session is often exactly the token's, and each way of differing from it is tried too.
 */
const setting = fc.record({
  /** Mostly the audience the token names (or none when it names none), sometimes the other one. */
  audienceMatches: mostly(fc.constant(true), fc.constant(false)),
  issuers: fc.constantFrom([APPID], ['wx-other', APPID]),
  session: fc.constantFrom(
    'no hook',
    'current',
    'current',
    'older sv',
    'newer sv',
    'other aid',
    'banned',
    'no account',
  ),
});
type Setting = typeof setting extends fc.Arbitrary<infer S> ? S : never;

function present(record: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== absent));
}

function generatedCase(claims: Record<string, unknown>, head: Record<string, unknown>, config: Setting): Case {
  const header = present(head);
  if (header.kid === 'known') header.kid = keys.publicJwk.kid;
  const payload = present(claims);
  const named = payload.aud === AUDIENCE;
  const audiences = named === config.audienceMatches ? [AUDIENCE] : [];
  const aid = typeof payload.aid === 'string' ? payload.aid : AID;
  const sv = typeof payload.sv === 'number' && Number.isSafeInteger(payload.sv) ? payload.sv : 1;
  const current: Record<string, CurrentSession | null> = {
    current: { aid, sv },
    'older sv': { aid, sv: sv + 1 }, // the token is from before a logout or a ban
    'newer sv': { aid, sv: sv - 1 },
    'other aid': { aid: aid === AID ? OTHER_AID : AID, sv }, // 注销, then a new account
    banned: { aid, sv, banned: true },
    'no account': null,
  };
  return {
    token: signRaw(JSON.stringify(header), JSON.stringify(payload)),
    jwks: keys.jwks,
    issuers: [...config.issuers],
    audiences,
    now: NOW_S,
    ...(config.session === 'no hook' ? {} : { sessions: { 'o-alice': current[config.session] ?? null } }),
  };
}

const options = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

// ---- tokens from the built login function on devcloud, across logout, ban and 注销 ----

/** `npm run build` (npm test's pretest) writes it; without it the lifecycle test says so and skips. */
const LOGIN_BUILT = existsSync(join(ROOT, 'cloudfunctions', 'login', 'index.js'));
const ADMIN = uniqueUser('recipes-admin');

interface UserDoc {
  _id: string;
  accountId?: string;
  sessionVersion?: number;
  status?: string;
}

/**
 * One user's life on the real functions: login, logout, login, ban, unban and login, 注销, login again (a new
 * account that starts at sv 1 again, like the first one). After each step, every token the user ever got is checked
 * with the users document as it is now (the revocation lookup a backend makes): `check` gets each case and the
 * rules' answer (only the tokens since the last logout, ban or 注销 are current).
 */
async function lifecycle(t: TestCloud, check: (c: Case, current: boolean, step: string) => Promise<void>) {
  const name = uniqueUser('recipes');
  const { openid } = await t.control.user(name);
  const { appid } = await t.control.info();
  const tokens: { token: string; current: boolean }[] = [];
  const invoke = async (fn: string, event: Record<string, unknown>, user = name) => {
    const report = await t.control.invoke(fn, event, user);
    const result = report.result as Envelope<LoginResult>;
    expect({ fn, event, ok: result.ok }).toEqual({ fn, event, ok: true });
    return result;
  };
  const login = async () => {
    const result = await invoke('login', {});
    if (!result.ok || !result.data.token) throw new Error('the login gave no token');
    tokens.push({ token: result.data.token, current: true });
  };
  const revokeAll = () => tokens.forEach((entry) => (entry.current = false));
  const steps: [string, () => Promise<unknown>][] = [
    ['login', login],
    ['logout', async () => (await invoke('account', { action: 'logout' }), revokeAll())],
    ['login', login],
    ['ban', async () => (await invoke('admin', { action: 'ban', openid }, ADMIN), revokeAll())],
    ['unban', () => invoke('admin', { action: 'unban', openid }, ADMIN)],
    ['login', login],
    ['注销', async () => (await invoke('account', { action: 'deleteAccount', confirm: true }), revokeAll())],
    ['login again: a new account', login],
  ];
  for (const [step, act] of steps) {
    await act();
    const user = (await t.control.documents<UserDoc>('users')).find((doc) => doc._id === openid);
    const session = user && {
      aid: user.accountId ?? '',
      sv: user.sessionVersion ?? 1,
      banned: user.status === 'banned',
    };
    for (const { token, current } of tokens) {
      const c: Case = {
        token,
        jwks: keys.jwks,
        issuers: [appid],
        audiences: [AUDIENCE],
        now: Math.floor(Date.now() / 1000),
        sessions: { [openid]: session ?? null },
      };
      await check(c, current, step);
    }
  }
  // The case of issue 15: the first token and the last have the same sv (1), for two accounts.
  const svOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Claims).sv;
  expect([svOf(tokens[0]!.token), svOf(tokens.at(-1)!.token)]).toEqual([1, 1]);
}

// ---- the suites ----

for (const recipe of RECIPES) {
  if (recipe.unavailable && REQUIRED) {
    throw new Error(`RECIPES_REQUIRED=1 but ${recipe.unavailable}: run bash scripts/recipes/install.sh`);
  }
  const suite = recipe.unavailable ? describe.skip : describe;
  const title = recipe.unavailable
    ? `SKIPPED: the ${recipe.name} recipe (${recipe.unavailable}: bash scripts/recipes/install.sh installs it)`
    : `the ${recipe.name} recipe agrees with the Node verifier`;

  suite(title, () => {
    let dir: string;
    let driver: Driver;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `wxlogin-recipe-${recipe.name.toLowerCase()}-`));
      const { command, args } = recipe.build(dir);
      driver = new Driver(recipe.name, command, args);
    }, 180_000);
    afterAll(async () => {
      await driver?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    if (recipe.selfTest) {
      const selfTest = recipe.selfTest;
      test(`the ${recipe.name} recipe's own tests pass`, () => selfTest(), 180_000);
    }

    (LOGIN_BUILT || REQUIRED ? test : test.skip)(
      LOGIN_BUILT
        ? 'tokens from the built login function across logout, ban and 注销: the same verdicts as Node and the rules'
        : 'SKIPPED: tokens from the built login function (cloudfunctions/login/index.js is missing: npm run build)',
      async () => {
        const t = await startTestCloud({
          functionEnv: {
            login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem, AUTH_TOKEN_AUDIENCE: AUDIENCE },
            admin: { ADMIN_OPENIDS: openidFor(DEFAULT_APPID, ADMIN) },
          },
        });
        try {
          await lifecycle(t, async (c, current, step) => {
            const [node, other] = await Promise.all([nodeVerdict(c), driver.check(c)]);
            const expected = current ? 'accepted' : 'revoked';
            expect({ step, token: c.token, node: summary(node), [recipe.name]: other }).toEqual({
              step,
              token: c.token,
              node: expected,
              [recipe.name]: node,
            });
          });
        } finally {
          await t.stop();
        }
      },
      60_000,
    );

    test('named cases: a login token, each claim violation, spellings, revocation by equality', async () => {
      const cases = await namedCases();
      const results = await Promise.all(
        cases.map(async (named) => {
          const c = caseOf(named);
          const [node, other] = await Promise.all([nodeVerdict(c), driver.check(c)]);
          return { name: named.name, node: summary(node), [recipe.name]: summary(other), nodeFull: node, other };
        }),
      );
      // Node's verdicts are the ones this file states (so a change in verify.ts shows up here too)...
      expect(results.map(({ name, node }) => ({ name, node }))).toEqual(
        cases.map(({ name, node }) => ({ name, node })),
      );
      // ...and the recipe gives the same verdict and reason, except where it is knowingly stricter.
      expect(results.map(({ name, [recipe.name]: verdict }) => ({ name, verdict }))).toEqual(
        cases.map(({ name, node, recipes }) => ({ name, verdict: recipes ?? node })),
      );
      // Accepted tokens yield the same claims.
      const agreeing = results.filter(({ nodeFull, other }) => summary(nodeFull) === summary(other));
      for (const { name, nodeFull, other } of agreeing)
        expect({ name, claims: other }).toEqual({ name, claims: nodeFull });
    });

    test('generated claim sets, headers, audiences and current sessions: the same verdict as Node', async () => {
      await fc.assert(
        fc.asyncProperty(generatedClaims, generatedHeader, setting, async (claims, head, config) => {
          const c = generatedCase(claims, head, config);
          const [node, other] = await Promise.all([nodeVerdict(c), driver.check(c)]);
          expect({ case: c, [recipe.name]: other }).toEqual({ case: c, [recipe.name]: node });
        }),
        options,
      );
    });

    test('generated spellings of a login token: only the issued one verifies, in Node and in the recipe', async () => {
      const issued = await loginToken();
      await fc.assert(
        fc.asyncProperty(fc.array(spelling, { minLength: 1, maxLength: 3 }), async (changes) => {
          const token = changes.reduce(respell, issued);
          const c = caseOf({ name: '', token, node: '' });
          const [node, other] = await Promise.all([nodeVerdict(c), driver.check(c)]);
          const expected = token === issued ? 'accepted' : 'refused';
          expect({ token, node, [recipe.name]: other }).toEqual({
            token,
            node: expect.objectContaining({ verdict: expected }) as unknown,
            [recipe.name]: node,
          });
        }),
        options,
      );
    });
  });
}

if (RECIPES.every((recipe) => recipe.unavailable)) {
  test('the Java and Go recipes are skipped here: bash scripts/recipes/install.sh installs what they need', () => {
    expect(RECIPES.map((recipe) => recipe.unavailable)).not.toContain(undefined);
  });
}
