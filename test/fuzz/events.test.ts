/**
 * Property-based fuzzing of every cloud function's event, with fast-check, against the built functions on devcloud
 * with the real wx-server-sdk. For any event a client could send:
 * - the function answers the envelope (never throws), with a contract error code and a message;
 * - a refused event changes nothing: every document of every user-owned collection and every stored file is as
 *   before;
 * - another user's data never changes, whatever the event.
 * `npm test` runs FUZZ_RUNS (default 60) events per function; `npm run fuzz` (and CI) runs 10,000.
 */
import fc from 'fast-check';
import { SERVER_ERROR_CODES, type Envelope } from '../../contracts';
import { USER_OWNED_COLLECTIONS } from '../../cloudbase/user-data';
import { DEFAULT_APPID, openidFor } from 'devcloud';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
/** Reproduce a failure with FUZZ_SEED=<seed printed by fast-check>. */
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

let t: TestCloud;
let fuzzer: string;
let victim: string;
beforeAll(async () => {
  fuzzer = uniqueUser('fuzzer');
  victim = uniqueUser('victim');
  // The fuzzing user is also an administrator, so admin events reach past FORBIDDEN into the actions.
  t = await startTestCloud({ functionEnv: { admin: { ADMIN_OPENIDS: openidFor(DEFAULT_APPID, fuzzer) } } });
  await t.control.invoke('login', { code: await t.control.loginCode(victim) }, victim);
  await t.control.invoke('account', { action: 'recordConsent', version: 1 }, victim);
  const victimOpenid = (await t.control.user(victim)).openid;
  const avatar = await t.cloud!.storage.putFile(`avatars/${victimOpenid}/${Date.now()}-victim.jpg`, Buffer.from('v'));
  await t.control.invoke('account', { action: 'updateProfile', nickName: '受害者', avatarFileID: avatar }, victim);
  const { code } = await t.control.phoneNumberDetail(victim);
  await t.control.invoke('account', { action: 'bindPhone', code }, victim);
}, 60_000);
afterAll(() => t.stop());

/** Strings that have broken parsers and validators before. */
const hostileString = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, // lone surrogates included
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '__proto__',
      'constructor',
      'prototype',
      '$where',
      '{"$gt":""}',
      '\u0000',
      '\u202Eevil',
      '\u200B',
      '../../etc/passwd',
      'cloud://x.y/avatars/../../a.jpg',
      'updateProfile',
      'deleteAccount',
      'true',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(1024, 65_536, 1_100_000).map((size) => 'x'.repeat(size)) },
);

const hostileKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '$set',
    '$where',
    'action',
    'code',
    'loginId',
    'nickName',
    'avatarFileID',
    'extension',
    'confirm',
    'cloudID',
    'encryptedData',
    'iv',
    'userInfo',
    '_id',
    '_openid',
    'openid',
  ),
);

const operatorValue = fc.constantFrom<unknown>(
  { $ne: null },
  { $gt: '' },
  { $regex: '.*' },
  { $where: 'sleep(1000)' },
  { $exists: true },
  { $in: [] },
  { $inc: { loginCount: 1000 } },
);

/** Nested `depth` levels deep: arrays or objects. */
function nested(depth: number, useArray: boolean): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level += 1) value = useArray ? [value] : { a: value };
  return value;
}

const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.integer(),
    fc.double(), // NaN and ±Infinity: JSON turns them into null on the way, as callFunction does
    fc.boolean(),
    fc.constant(null),
    operatorValue,
    fc.tuple(fc.nat({ max: 3000 }), fc.boolean()).map(([depth, useArray]) => nested(depth, useArray)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
}));

const ACCOUNT_ACTIONS = [
  'getConsent',
  'recordConsent',
  'prepareAvatarUpload',
  'updateProfile',
  'bindPhone',
  'bindPhoneLegacy',
  'logout',
  'deleteAccount',
] as const;

/** Events shaped like the function's own, with hostile values in every field, plus anything at all. */
const eventsOf: Record<string, fc.Arbitrary<unknown>> = {
  login: fc.oneof(
    fc.record({ code: hostileValue, loginId: hostileValue }, { requiredKeys: [] }),
    fc.dictionary(hostileKey, hostileValue, { maxKeys: 5 }),
    hostileValue,
  ),
  account: fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...wellShapedAccountEvents()) },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          action: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ACCOUNT_ACTIONS) }, hostileValue),
          nickName: hostileValue,
          avatarFileID: hostileValue,
          extension: hostileValue,
          code: hostileValue,
          cloudID: hostileValue,
          encryptedData: hostileValue,
          iv: hostileValue,
          confirm: hostileValue,
          version: hostileValue,
        },
        { requiredKeys: ['action'] },
      ),
    },
    { weight: 1, arbitrary: fc.dictionary(hostileKey, hostileValue, { maxKeys: 5 }) },
    { weight: 1, arbitrary: hostileValue },
  ),
  // Last: an administrator's events may ban the fuzzing user itself, which the other functions' runs must not see.
  admin: fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...wellShapedAdminEvents()) },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          action: fc.oneof(fc.constantFrom('getUser', 'ban', 'unban', 'listLogins', 'pruneLogs'), hostileValue),
          openid: hostileValue,
          reason: hostileValue,
          limit: hostileValue,
          olderThanDays: hostileValue,
          Type: fc.oneof(fc.constant('Timer'), hostileValue),
        },
        { requiredKeys: ['action'] },
      ),
    },
    { weight: 1, arbitrary: fc.dictionary(hostileKey, hostileValue, { maxKeys: 5 }) },
    { weight: 1, arbitrary: hostileValue },
  ),
};

/**
 * Events of the right action and types, with edge-case values: these get past validation and exercise the
 * handlers' own checks (nickname rules, avatar ownership and bucket, phone codes, open data).
 */
function wellShapedAccountEvents(): Array<fc.Arbitrary<unknown>> {
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }));
  const fileName = fc.oneof(
    fc
      .tuple(fc.integer({ min: 1e12, max: 9e12 }), fc.stringMatching(/^[a-z0-9]{1,8}$/))
      .map(([ms, r]) => `${ms}-${r}.jpg`),
    text,
  );
  const openidOf = (name: string) => t.cloud!.user(name).openid;
  const fileID = fc.tuple(fc.constantFrom('own', 'victim', 'bucket', 'env'), fileName).map(([whose, name]) => {
    const env = t.cloud!.envId;
    const bucket = `${Buffer.from(env.slice(0, 2)).toString('hex')}-${env}-${t.cloud!.appid}`;
    if (whose === 'env') return `cloud://other-env.6f74-other-env-1/avatars/${openidOf(fuzzer)}/${name}`;
    if (whose === 'bucket') return `cloud://${env}.7465-${env}-1999/avatars/${openidOf(fuzzer)}/${name}`;
    return `cloud://${env}.${bucket}/avatars/${openidOf(whose === 'own' ? fuzzer : victim)}/${name}`;
  });
  const base64 = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64'));
  return [
    fc.constant({ action: 'getConsent' }),
    fc.record({
      action: fc.constant('recordConsent'),
      version: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom<unknown>('1', '2', '01', 1.5, '')),
    }),
    fc.record({ action: fc.constant('prepareAvatarUpload'), extension: fc.constantFrom('jpg', 'png', 'gif', 'bmp') }),
    fc.record(
      { action: fc.constant('updateProfile'), nickName: text, avatarFileID: fileID },
      { requiredKeys: ['action'] },
    ),
    fc.record({ action: fc.constant('bindPhone'), code: text }),
    fc.oneof(
      fc.record({ action: fc.constant('bindPhoneLegacy'), cloudID: text }),
      fc.record({ action: fc.constant('bindPhoneLegacy'), encryptedData: base64, iv: base64 }),
    ),
    fc.constant({ action: 'logout' }),
    fc.record({ action: fc.constant('deleteAccount'), confirm: fc.constantFrom<unknown>(true, false, 'true', 1) }),
  ];
}

/**
 * Admin events with the right types and edge values. Their targets are the fuzzing user, a stranger or made-up
 * OPENIDs, never the victim: an administrator's valid ban of a user is meant to change that user.
 */
function wellShapedAdminEvents(): Array<fc.Arbitrary<unknown>> {
  const target = fc.oneof(
    fc.constant(null).map(() => t.cloud!.user(fuzzer).openid),
    fc.constant('oStrangerWhoNeverLoggedIn0'),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    fc.string({ maxLength: 70 }),
  );
  const number = fc.oneof(fc.integer({ min: -5, max: 4000 }), fc.double());
  return [
    fc.record({ action: fc.constantFrom('getUser', 'unban'), openid: target }),
    fc.record(
      { action: fc.constant('ban'), openid: target, reason: fc.string({ maxLength: 220 }) },
      { requiredKeys: ['action', 'openid'] },
    ),
    fc.record(
      { action: fc.constant('listLogins'), openid: target, limit: number },
      { requiredKeys: ['action', 'openid'] },
    ),
    fc.record({ action: fc.constant('pruneLogs'), olderThanDays: number }),
  ];
}

/**
 * Every document of every user-owned collection and every stored file: what "changes nothing" compares. Audit
 * trails are left out: they record refused calls too (checked separately).
 */
async function snapshot(): Promise<string> {
  const collections: Record<string, unknown> = {};
  for (const { name } of USER_OWNED_COLLECTIONS.filter((collection) => !collection.audit)) {
    collections[name] = await t.control.documents(name);
  }
  return JSON.stringify({ collections, files: await t.cloud!.storage.list() });
}

async function loginLogsOf(name: string): Promise<Array<Record<string, unknown>>> {
  const { openid } = t.cloud!.user(name);
  return (await t.control.documents('login_logs')).filter((entry) => entry.openid === openid);
}

/** Removes the user's audit entries through the database API the SDK uses. */
async function forgetLoginLogs(name: string): Promise<void> {
  await t.cloud!.database.handle('database.removeDocument', {
    envName: t.cloud!.envId,
    collectionName: 'login_logs',
    query: JSON.stringify({ openid: t.cloud!.user(name).openid }),
    multi: true,
  });
}

async function userState(name: string): Promise<string> {
  const { openid } = await t.control.user(name);
  const docs: Record<string, unknown> = {};
  for (const { name: collection, key } of USER_OWNED_COLLECTIONS) {
    docs[collection] = (await t.control.documents(collection)).filter((doc) => doc[key] === openid);
  }
  const files = (await t.cloud!.storage.list()).filter((id) => id.includes(`/avatars/${openid}/`));
  return JSON.stringify({ docs, files });
}

function expectEnvelope(result: unknown): asserts result is Envelope<unknown> {
  const envelope = result as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (envelope.ok === true) return;
  expect(envelope.ok).toBe(false);
  expect(SERVER_ERROR_CODES).toContain(envelope.error?.code);
  expect(typeof envelope.error?.message).toBe('string');
  expect(String(envelope.error?.message).length).toBeGreaterThan(0);
}

describe.each(Object.keys(eventsOf))('%s', (functionName) => {
  test(
    `${RUNS} generated events: an envelope every time; refused events change nothing; another user is untouched`,
    async () => {
      const victimBefore = await userState(victim);
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(eventsOf[functionName]!, async (event) => {
          // The fuzzing user has an account (a generated deleteAccount may have removed it): log in again, and
          // agree to 《用户协议》和《隐私政策》 so that events reach the handlers' own checks.
          if (!(await t.control.documents('users')).some((doc) => doc._id === t.cloud!.user(fuzzer).openid)) {
            await t.control.invoke('login', {}, fuzzer);
            await t.control.invoke('account', { action: 'recordConsent', version: 1 }, fuzzer);
          }
          const before = await snapshot();
          const logsBefore = await loginLogsOf(fuzzer);
          const report = await t.cloud!.invoke(functionName, event, fuzzer);
          expect(report.error).toBeUndefined();
          expectEnvelope(report.result);
          const outcome = report.result.ok ? 'ok' : report.result.error.code;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (!report.result.ok) expect(await snapshot()).toBe(before);
          // Every login call with an identity, refused or not, leaves exactly one audit entry with its outcome.
          if (functionName === 'login') {
            const seen = new Set(logsBefore.map((entry) => entry._id));
            const added = (await loginLogsOf(fuzzer)).filter((entry) => !seen.has(entry._id));
            expect(added).toMatchObject([report.result.ok ? { ok: true } : { ok: false, errorCode: outcome }]);
          }
          await forgetLoginLogs(fuzzer); // keeps each check small over 10,000 events
          expect(await userState(victim)).toBe(victimBefore);
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      if (RUNS >= 1000) console.log(`${functionName}: ${JSON.stringify(Object.fromEntries(outcomes))}`);
      // The generators reach past validation into the handler as well as being refused by it.
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect(outcomes.get('INVALID_ARGUMENT') ?? 0).toBeGreaterThan(0);
    },
    Math.max(60_000, RUNS * 200),
  );
});
