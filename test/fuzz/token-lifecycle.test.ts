/**
 * Generated account lifecycles and the tokens they leave behind. A random sequence of one user's logins, token
 * refreshes, logouts, bans, unbans and 注销 (re-registering after it) runs against the built functions on
 * devcloud; after every step, every token the user ever received is checked by every verifier that can run here:
 * verifier/verify.ts with the users document as its revocation lookup, and the example backend over HTTP with its
 * real one (verifier/cloudbase-sessions.ts: @cloudbase/node-sdk reading the users document from devcloud's /admin).
 *
 * The oracle is a model of the rules, not of the implementation: a token is current from its issue until the next
 * logout, ban or 注销 of the user, and never again after one. Each step's answer is checked against the model too.
 * `npm test` runs a few lifecycles; `npm run fuzz` runs many more (FUZZ_RUNS / 40).
 */
import fc from 'fast-check';
import type { Envelope, LoginResult } from '../../contracts';
import type { CurrentSession } from '../../contracts/token';
import { createTokenVerifier, TokenRejectedError, type TokenVerifier } from '../../verifier/verify';
import { cloudBaseSessions } from '../../verifier/cloudbase-sessions';
import { startBackend, type RunningBackend } from '../../verifier/example-backend';
import { generateTokenKeys, type TokenKeyPair } from '../../scripts/keys';
import { DEFAULT_APPID, openidFor } from 'devcloud';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const RUNS = Math.max(6, Math.round(Number(process.env.FUZZ_RUNS ?? 60) / 40));
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const ADMIN = uniqueUser('lifecycle-admin');

let keys: TokenKeyPair;
let t: TestCloud;
let verify: TokenVerifier;
let backend: RunningBackend;

interface UserDoc {
  _id: string;
  accountId?: string;
  sessionVersion?: number;
  status?: string;
}

/** The revocation lookup a backend makes (docs/tokens.md): the users document as it is now. */
async function currentSession(sub: string): Promise<CurrentSession | null> {
  const user = (await t.control.documents<UserDoc>('users')).find((doc) => doc._id === sub);
  if (!user) return null;
  return { aid: user.accountId ?? '', sv: user.sessionVersion ?? 1, banned: user.status === 'banned' };
}

beforeAll(async () => {
  keys = await generateTokenKeys();
  t = await startTestCloud({
    functionEnv: {
      login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem },
      admin: { ADMIN_OPENIDS: openidFor(DEFAULT_APPID, ADMIN) },
    },
  });
  const { appid, envId, url } = await t.control.info();
  verify = createTokenVerifier({ issuer: appid, jwks: keys.jwks, currentSession });
  const cloudBase = { env: envId, secretId: 'devcloud', secretKey: 'devcloud', serviceUrl: `${url}/admin` };
  backend = await startBackend({ issuer: appid, jwks: keys.jwks, currentSession: cloudBaseSessions(cloudBase) });
});
afterAll(async () => {
  await backend.close();
  await t.stop();
});

type Step = 'loginWithCode' | 'loginWithoutCode' | 'refresh' | 'logout' | 'ban' | 'unban' | 'deleteAccount';
const step = fc.constantFrom<Step>(
  'loginWithCode',
  'loginWithoutCode',
  'refresh',
  'logout',
  'ban',
  'unban',
  'deleteAccount',
);

/** What the rules say about the user: does an account exist, is the OPENID banned, which tokens are current. */
interface Model {
  account: boolean;
  banned: boolean;
  current: Set<string>;
}

async function invoke(fn: string, event: Record<string, unknown>, user: string): Promise<Envelope<unknown>> {
  const report = await t.control.invoke(fn, event, user);
  expect(report.error).toBeUndefined();
  return report.result as Envelope<unknown>;
}

/** Runs one step, checks its answer against the model, and moves the model on. Returns a new token, if any. */
async function run(name: string, openid: string, action: Step, model: Model): Promise<string | undefined> {
  const loginAllowed = !model.banned;
  switch (action) {
    case 'loginWithCode':
    case 'loginWithoutCode': {
      const event = action === 'loginWithCode' ? { code: await t.control.loginCode(name) } : {};
      const reply = (await invoke('login', event, name)) as Envelope<LoginResult>;
      expect({ action, ok: reply.ok }).toEqual({ action, ok: loginAllowed });
      if (!reply.ok) return undefined;
      model.account = true;
      model.current.add(reply.data.token!);
      return reply.data.token;
    }
    case 'refresh': {
      const reply = (await invoke('login', { refresh: true }, name)) as Envelope<LoginResult>;
      expect({ action, ok: reply.ok }).toEqual({ action, ok: model.account && !model.banned });
      if (!reply.ok) return undefined;
      model.current.add(reply.data.token!);
      return reply.data.token;
    }
    case 'logout': {
      const reply = await invoke('account', { action: 'logout' }, name);
      // Idempotent without an account; refused for a banned one.
      expect({ action, ok: reply.ok }).toEqual({ action, ok: !(model.account && model.banned) });
      if (reply.ok) model.current.clear();
      return undefined;
    }
    case 'ban': {
      const reply = await invoke('admin', { action: 'ban', openid }, ADMIN);
      expect({ action, ok: reply.ok }).toEqual({ action, ok: model.account });
      if (reply.ok) {
        model.banned = true;
        model.current.clear();
      }
      return undefined;
    }
    case 'unban': {
      const reply = await invoke('admin', { action: 'unban', openid }, ADMIN);
      expect({ action, ok: reply.ok }).toEqual({ action, ok: model.account });
      model.banned = false; // without an account too: the ban kept after 注销 is lifted
      return undefined; // an unban makes no token current again
    }
    case 'deleteAccount': {
      expect(await invoke('account', { action: 'deleteAccount', confirm: true }, name)).toMatchObject({ ok: true });
      model.account = false;
      model.current.clear();
      return undefined;
    }
  }
}

async function verdicts(token: string): Promise<{ node: boolean; backend: boolean }> {
  const node = await verify(token).then(
    () => true,
    (error: unknown) => {
      if (error instanceof TokenRejectedError) return false;
      throw error;
    },
  );
  const reply = await fetch(`${backend.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  expect([200, 401]).toContain(reply.status);
  return { node, backend: reply.status === 200 };
}

test(`${RUNS} generated lifecycles: a token is current until the next logout, ban or 注销, and never after`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 9 }), async (steps) => {
      const name = uniqueUser('lifecycle');
      const { openid } = await t.control.user(name);
      const model: Model = { account: false, banned: false, current: new Set() };
      const seen: string[] = [];
      for (const [index, action] of ['loginWithCode' as const, ...steps].entries()) {
        const token = await run(name, openid, action, model);
        if (token) seen.push(token);
        for (const [issuedAt, old] of seen.entries()) {
          const expected = model.current.has(old);
          expect({ after: `${index}:${action}`, token: issuedAt, verdicts: await verdicts(old) }).toEqual({
            after: `${index}:${action}`,
            token: issuedAt,
            verdicts: { node: expected, backend: expected },
          });
        }
      }
      if (model.banned) await invoke('admin', { action: 'unban', openid }, ADMIN); // leave nothing behind
    }),
    { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
}, 600_000);
