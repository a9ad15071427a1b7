/**
 * Generated session tokens against every verifier that can run here: verifier/verify.ts in this process and the
 * example backend (its Express middleware) over HTTP. Two generators:
 * - spellings: a real token re-encoded in the ways a string can carry the same bytes (standard base64, padding,
 *   whitespace, changed spare bits in a part's last character, letter case...). Exactly one spelling verifies: the
 *   one the login function issued. Everything else is refused with a 401;
 * - claim sets and headers, signed with the real key: the verifier accepts exactly those an independent model of the
 *   token contract (contracts/token.ts, docs/tokens.md) accepts.
 * `npm test` runs FUZZ_RUNS (default 60) cases per property; `npm run fuzz` runs 10,000.
 */
import fc from 'fast-check';
import { importPKCS8, SignJWT, type KeyLike } from 'jose';
import { createTokenVerifier, TokenRejectedError } from '../../verifier/verify';
import { startBackend, type RunningBackend } from '../../verifier/example-backend';
import { signSessionToken, tokenSettings } from '../../core/token';
import { generateTokenKeys, type TokenKeyPair } from '../../scripts/keys';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const APPID = 'wx1234567890abcdef';
const AID = 'Abcdefghijklmnopqrstu_';
/** Whole seconds: the model and jose agree on "now" to the second. */
const NOW_S = Math.floor(Date.UTC(2031, 2, 3, 4, 5, 6) / 1000);
const TOLERANCE_S = 60;

let keys: TokenKeyPair;
let signingKey: KeyLike;
let issued: string;
let backend: RunningBackend;
const verify = () => createTokenVerifier({ issuer: APPID, jwks: keys.jwks, now: () => new Date(NOW_S * 1000) });

beforeAll(async () => {
  keys = await generateTokenKeys();
  signingKey = await importPKCS8(keys.privateKeyPem, 'EdDSA');
  const settings = tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem })!;
  issued = (await signSessionToken(settings, { iss: APPID, sub: 'o-alice', aid: AID, sv: 1 }, NOW_S * 1000)).token;
  backend = await startBackend({ issuer: APPID, jwks: keys.jwks, now: () => new Date(NOW_S * 1000) });
});
afterAll(() => backend.close());

const options = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

/** 'accepted', or the verifier's rejection reason. */
async function outcome(token: string, verifier = verify()): Promise<string> {
  try {
    await verifier(token);
    return 'accepted';
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason;
    throw error;
  }
}

describe('spellings of one token', () => {
  const STANDARD: Record<string, string> = { '-': '+', _: '/' };
  /** One way to write (some of) the token's bytes differently. */
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
    fc.record({ kind: fc.constant('percent' as const), index: fc.nat() }),
  );
  type Spelling = typeof spelling extends fc.Arbitrary<infer S> ? S : never;

  function respell(token: string, change: Spelling): string {
    const parts = token.split('.') as [string, string, string];
    // An earlier change may have removed or doubled a dot: the part-wise changes then have nothing to act on.
    if ('part' in change && parts[change.part] === undefined) return token;
    switch (change.kind) {
      case 'standard-base64': {
        const part = parts[change.part]!;
        // Standard base64 of the same bytes: what the signature looks like when a library or a copy-paste converts it.
        parts[change.part] = Buffer.from(part, 'base64url').toString('base64').replace(/=+$/, '');
        if (parts[change.part] === part) parts[change.part] = part.replace(/[-_]/g, (c) => STANDARD[c]!) + '+';
        return parts.join('.');
      }
      case 'padding':
        parts[change.part] = `${parts[change.part]!}${'='.repeat(change.count)}`;
        return parts.join('.');
      case 'whitespace':
        if (change.where === 'start') return change.char + token;
        if (change.where === 'end') return token + change.char;
        return parts.join(`.${change.char}`);
      case 'spare-bits': {
        // The last character of a part whose length is not a multiple of 4 carries unused low bits: flip some.
        const part = parts[change.part]!;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const spare = [0, 0, 4, 2][part.length % 4]!;
        const last = alphabet.indexOf(part.at(-1)!);
        const flipped = spare === 0 ? (last + change.delta) % 64 : last ^ (change.delta % (1 << spare) || 1);
        parts[change.part] = part.slice(0, -1) + alphabet[flipped]!;
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
      case 'percent': {
        const index = change.index % token.length;
        return (
          token.slice(0, index) +
          encodeURIComponent(token[index]!).replace(/^([^%])$/, (c) => `%${c.charCodeAt(0).toString(16)}`) +
          token.slice(index + 1)
        );
      }
    }
  }

  test('only the issued spelling verifies; any other is refused, by the verifier and by the backend (401)', async () => {
    expect(await outcome(issued)).toBe('accepted');
    await fc.assert(
      fc.asyncProperty(fc.array(spelling, { minLength: 1, maxLength: 3 }), async (changes) => {
        const token = changes.reduce(respell, issued);
        if (token === issued) return;
        const verdict = await outcome(token);
        expect({ token, verdict }).toEqual({ token, verdict: expect.not.stringMatching(/^accepted$/) as string });
        // HTTP carries printable headers only (and trims surrounding white space, so those reach us as the token).
        if (/^[\x21-\x7e]+$/.test(token)) {
          const reply = await fetch(`${backend.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
          expect({ token, status: reply.status }).toEqual({ token, status: 401 });
        }
      }),
      options,
    );
  });
});

describe('claim sets and headers', () => {
  const absent = Symbol('absent');
  type Maybe<T> = T | typeof absent;
  const maybe = <T>(arbitrary: fc.Arbitrary<T>, weight = 5): fc.Arbitrary<Maybe<T>> =>
    fc.oneof({ weight, arbitrary }, { weight: 1, arbitrary: fc.constant(absent) });
  const anyJson = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
  const time = (base: number) =>
    fc.oneof(
      fc.integer({ min: -2 * 86_400, max: 2 * 86_400 }).map((offset) => base + offset),
      fc.constantFrom(base, base - TOLERANCE_S, base + TOLERANCE_S, base - TOLERANCE_S - 1, base + TOLERANCE_S + 1),
      fc.double({ min: base - 100, max: base + 100, noNaN: true }),
      anyJson,
    );
  const claims = fc.record({
    iss: maybe(
      fc.oneof(
        { weight: 5, arbitrary: fc.constant(APPID) },
        fc.constantFrom('', 'wx-other', APPID.toUpperCase()),
        anyJson,
      ),
    ),
    sub: maybe(fc.oneof({ weight: 5, arbitrary: fc.constant('o-alice') }, fc.constant(''), anyJson)),
    aid: maybe(
      fc.oneof({ weight: 5, arbitrary: fc.constant(AID) }, fc.string({ minLength: 21, maxLength: 23 }), anyJson),
    ),
    sv: maybe(
      fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: -1, max: 5 }) },
        fc.double({ noNaN: true }),
        fc.constant(2 ** 53),
        anyJson,
      ),
    ),
    iat: maybe(time(NOW_S - 600)),
    exp: maybe(time(NOW_S + 600)),
    nbf: maybe(time(NOW_S), 1),
    unionid: maybe(fc.oneof(fc.constant('u-1'), fc.constant(''), anyJson), 1),
    aud: maybe(fc.oneof(fc.constant('https://api.example.com'), fc.constant(['https://api.example.com']), anyJson), 1),
    extra: maybe(anyJson, 1),
  });
  const header = fc.record({
    alg: fc.constant('EdDSA'),
    typ: maybe(
      fc.oneof(
        { weight: 6, arbitrary: fc.constant('JWT') },
        fc.constantFrom('jwt', 'application/jwt', 'at+jwt', 'JOSE', ''),
      ),
      8,
    ),
    kid: maybe(fc.oneof({ weight: 6, arbitrary: fc.constant('known') }, fc.constantFrom('', 'unknown-kid')), 8),
  });

  /** The token contract, written out independently of verifier/verify.ts and jose. */
  function contractAccepts(
    payload: Record<string, unknown>,
    head: Record<string, unknown>,
    audience?: string,
  ): boolean {
    const num = (value: unknown): value is number => typeof value === 'number';
    const { iss, sub, aid, sv, iat, exp, nbf, unionid, aud } = payload;
    if (typeof head.typ !== 'string' || head.typ.toLowerCase().replace(/^application\//, '') !== 'jwt') return false;
    if (head.kid !== keys.publicJwk.kid) return false;
    if (iss !== APPID) return false;
    if (typeof sub !== 'string' || sub === '') return false;
    if (typeof aid !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(aid)) return false;
    if (!num(sv) || !Number.isSafeInteger(sv) || sv < 1) return false;
    if (!num(iat) || !num(exp)) return false;
    if (exp <= NOW_S - TOLERANCE_S) return false; // expired
    if (iat > NOW_S + TOLERANCE_S) return false; // issued in the future
    if (exp - iat > 86_400) return false; // longer than any lifetime the login function issues
    if (nbf !== undefined && (!num(nbf) || nbf > NOW_S + TOLERANCE_S)) return false;
    if (unionid !== undefined && (typeof unionid !== 'string' || unionid === '')) return false;
    if (audience === undefined) return aud === undefined;
    return aud === audience;
  }

  test('the verifier accepts exactly the tokens the contract accepts', async () => {
    const audiences = [undefined, 'https://api.example.com'] as const;
    const verifiers = audiences.map((audience) =>
      createTokenVerifier({
        issuer: APPID,
        jwks: keys.jwks,
        now: () => new Date(NOW_S * 1000),
        ...(audience ? { audience } : {}),
      }),
    );
    await fc.assert(
      fc.asyncProperty(claims, header, async (generated, head) => {
        const payload = Object.fromEntries(Object.entries(generated).filter(([, value]) => value !== absent));
        const protectedHeader = Object.fromEntries(
          Object.entries(head)
            .filter(([, value]) => value !== absent)
            .map(([key, value]) => [key, key === 'kid' && value === 'known' ? keys.publicJwk.kid : value]),
        ) as { alg: string };
        const token = await new SignJWT(payload).setProtectedHeader(protectedHeader).sign(signingKey);
        for (const [index, audience] of audiences.entries()) {
          const expected = contractAccepts(payload, protectedHeader, audience) ? 'accepted' : 'refused';
          const verdict = (await outcome(token, verifiers[index])) === 'accepted' ? 'accepted' : 'refused';
          expect({ payload, protectedHeader, audience, verdict }).toEqual({
            payload,
            protectedHeader,
            audience,
            verdict: expected,
          });
        }
      }),
      options,
    );
  });
});
