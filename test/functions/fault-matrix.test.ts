/**
 * The fault matrix, generated rather than picked: each flow runs once cleanly while devcloud records every call
 * it makes (the phone's callFunction, database, storage, WeChat, cloud calls). Then, for every recorded call and
 * every way a call can fail (error reply, connection reset, reply lost after success), the flow runs again on a
 * fresh user with that one call failed, and:
 * - the fault really fired;
 * - the answer is an envelope (or, for the phone's own call, a failed callFunction), never a crash;
 * - the users document is the old one or the new one, every file in the user's folder is tracked by it, and a
 *   failed 注销 leaves the account (the users document goes last);
 * - the user's retry of the same action succeeds and reaches the state a run without the fault reaches.
 */
import { randomBytes } from 'crypto';
import type { Envelope } from '../../contracts';
import { pseudonymOf } from '../../core/pseudonym';
import type { FaultMode, RecordedCall } from 'devcloud';
import { DEFAULT_APPID, openidFor } from 'devcloud';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

/** The administrator the admin flows act as (ADMIN_OPENIDS of the admin function). */
const ADMIN = { name: uniqueUser('matrix-admin'), openid: '' };
ADMIN.openid = openidFor(DEFAULT_APPID, ADMIN.name);

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({ functionEnv: { admin: { ADMIN_OPENIDS: ADMIN.openid } } });
});
afterAll(() => t.stop());
afterEach(() => t.control.clearFaults());

const MODES: FaultMode[] = ['error', 'reset', 'lost'];

interface User {
  name: string;
  openid: string;
}

/** What a flow needs: a user in some starting state, the action, and what "done" means for its result. */
interface Flow {
  name: string;
  setup(user: User): Promise<void>;
  /** One attempt of the action, as the phone makes it; `attempt` 0 is the first, later ones are retries. */
  act(user: User, attempt: number): Promise<Outcome>;
  /** The part of the user's state the action changes: after a fault it must equal the old one or the new one. */
  project(state: UserState, user: User): unknown;
  /**
   * 注销 deletes the files before the documents, so a fault between the two leaves an account whose avatar file is
   * already gone (tracked, and deleted again by the retry). Every other flow keeps the avatar's file.
   */
  avatarMayBeGone?: true;
  /** Who makes the calls, when not the user the action is about (an administrator): faults are matched to them. */
  actor?: User;
  /** An admin action: whenever it took effect, admin_logs holds its entry (written before the action ran). */
  audited?: string;
}

type Outcome = Envelope<unknown> | 'unclear';

interface UserState {
  users: Array<Record<string, unknown>>;
  sessions: Array<Record<string, unknown>>;
  files: string[];
}

async function stateOf(user: User): Promise<UserState> {
  const mine = async (collection: string) =>
    (await t.control.documents(collection)).filter((doc) => doc._id === user.openid);
  return {
    users: await mine('users'),
    sessions: await mine('sessions'),
    files: (await t.cloud!.storage.list()).filter((id) => id.includes(`/avatars/${user.openid}/`)).sort(),
  };
}

/** Invokes as the phone does; a failed callFunction (reset, lost reply) is an unclear outcome. */
async function call(user: User, fn: string, event: Record<string, unknown>): Promise<Outcome> {
  try {
    const report = await t.control.invoke(fn, event, user.name);
    expect(report.error).toBeUndefined();
    return report.result as Envelope<unknown>;
  } catch {
    return 'unclear';
  }
}

/** A wx.login code; undefined when the phone's wx.login itself fails (then the client sends nothing). */
async function codeFor(user: User): Promise<string | undefined> {
  return t.control.loginCode(user.name).catch(() => undefined);
}

/** What the client does when wx.login fails: it reports WX_LOGIN_FAILED and calls nothing. */
async function loginCall(user: User, withCode: boolean): Promise<Outcome> {
  const event: Record<string, unknown> = { loginId: loginId(user) };
  if (withCode) {
    const code = await codeFor(user);
    if (code === undefined)
      return { ok: false, error: { code: 'WX_LOGIN_FAILED' as never, message: 'wx.login failed' } };
    event.code = code;
  }
  return call(user, 'login', event);
}

async function loginWithCode(user: User): Promise<void> {
  const result = await call(user, 'login', { code: await t.control.loginCode(user.name) });
  expect(result).toMatchObject({ ok: true });
}

/** A logged-in user who agreed to 《用户协议》和《隐私政策》: the account actions that collect data need it. */
async function consentedUser(user: User): Promise<void> {
  await loginWithCode(user);
  expect(await call(user, 'account', { action: 'recordConsent', version: 1 })).toMatchObject({ ok: true });
}

/** An avatar as services/account uploads it: the server records the path, then the phone uploads there. */
async function upload(user: User): Promise<string> {
  const reserved = await call(user, 'account', { action: 'prepareAvatarUpload', extension: 'jpg' });
  if (reserved === 'unclear' || !reserved.ok) throw new Error('prepareAvatarUpload failed in setup');
  const { cloudPath } = reserved.data as { cloudPath: string };
  return t.cloud!.storage.putFile(cloudPath, randomBytes(16), user.openid);
}

const avatars = new Map<string, string>();
const loginIds = new Map<string, string>();
const loginId = (user: User) =>
  loginIds.get(user.name) ??
  loginIds.set(user.name, `matrix${Date.now()}${randomBytes(4).toString('hex')}`).get(user.name)!;

const userDoc = (state: UserState) => state.users[0];

/** Which avatar the user has: the one this run saves, an earlier one, or none (fileIDs differ between users). */
function avatarOf(state: UserState, user: User): string {
  const avatar = userDoc(state)?.avatarUrl;
  if (!avatar) return 'none';
  return avatar === avatars.get(user.name) ? 'the new one' : 'an earlier one';
}

const FLOWS: Flow[] = [
  {
    name: 'login of a new user with a code',
    setup: async () => undefined,
    act: (user) => loginCall(user, true),
    project: (state) => userDoc(state)?.loginCount ?? 0,
  },
  {
    name: 'login of a returning user with a code',
    setup: loginWithCode,
    act: (user) => loginCall(user, true),
    project: (state) => userDoc(state)?.loginCount ?? 0,
  },
  {
    name: 'login of a new user without a code',
    setup: async () => undefined,
    act: (user) => loginCall(user, false),
    project: (state) => userDoc(state)?.loginCount ?? 0,
  },
  {
    name: 'login of a returning user without a code',
    setup: loginWithCode,
    act: (user) => loginCall(user, false),
    project: (state) => userDoc(state)?.loginCount ?? 0,
  },
  {
    name: 'recordConsent',
    setup: loginWithCode,
    act: (user) => call(user, 'account', { action: 'recordConsent', version: 1 }),
    project: (state) => (userDoc(state)?.consent as { version?: number } | undefined)?.version ?? 0,
  },
  {
    name: 'updateProfile: nickname',
    setup: consentedUser,
    act: (user) => call(user, 'account', { action: 'updateProfile', nickName: '新名字' }),
    project: (state) => userDoc(state)?.nickName ?? null,
  },
  {
    name: 'updateProfile: avatar, replacing an old one',
    setup: async (user) => {
      await consentedUser(user);
      expect(await call(user, 'account', { action: 'updateProfile', avatarFileID: await upload(user) })).toMatchObject({
        ok: true,
      });
      avatars.set(user.name, await upload(user));
    },
    act: (user) => call(user, 'account', { action: 'updateProfile', avatarFileID: avatars.get(user.name) }),
    project: (state, user) => avatarOf(state, user),
  },
  {
    name: 'updateProfile: nickname and avatar',
    setup: async (user) => {
      await consentedUser(user);
      avatars.set(user.name, await upload(user));
    },
    act: (user) =>
      call(user, 'account', { action: 'updateProfile', nickName: '两样', avatarFileID: avatars.get(user.name) }),
    project: (state, user) => [userDoc(state)?.nickName ?? null, avatarOf(state, user)],
  },
  {
    name: 'prepareAvatarUpload',
    setup: consentedUser,
    act: (user) => call(user, 'account', { action: 'prepareAvatarUpload', extension: 'png' }),
    project: () => 'no visible change', // it only records a path; "tracked" is checked for every flow
  },
  {
    name: 'bindPhone',
    setup: consentedUser,
    // Each tap of the button gives a new code: the retry is a new tap.
    act: async (user) =>
      call(user, 'account', { action: 'bindPhone', code: (await t.control.phoneNumberDetail(user.name)).code }),
    project: (state) => Boolean(userDoc(state)?.phoneNumber ?? userDoc(state)?.phoneMasked),
  },
  {
    name: 'bindPhoneLegacy with a cloudID',
    setup: consentedUser,
    act: async (user) =>
      call(user, 'account', {
        action: 'bindPhoneLegacy',
        cloudID: (await t.control.phoneNumberDetail(user.name)).cloudID,
      }),
    project: (state) => Boolean(userDoc(state)?.phoneNumber ?? userDoc(state)?.phoneMasked),
  },
  {
    name: 'bindPhoneLegacy with encryptedData',
    setup: consentedUser,
    act: async (user) => {
      const { encryptedData, iv } = await t.control.phoneNumberDetail(user.name);
      return call(user, 'account', { action: 'bindPhoneLegacy', encryptedData, iv });
    },
    project: (state) => Boolean(userDoc(state)?.phoneNumber ?? userDoc(state)?.phoneMasked),
  },
  {
    name: 'token refresh (login with refresh: true)',
    setup: loginWithCode,
    act: (user) => call(user, 'login', { refresh: true }),
    // A refresh is not a login: the count stays, and the last login is still the first (at the account's creation).
    project: (state) => [
      userDoc(state)?.loginCount ?? 0,
      JSON.stringify(userDoc(state)?.lastLoginAt) === JSON.stringify(userDoc(state)?.createdAt),
    ],
  },
  {
    name: 'logout',
    setup: consentedUser,
    act: (user) => call(user, 'account', { action: 'logout' }),
    project: (state) => state.sessions.length,
  },
  {
    name: 'deleteAccount',
    setup: async (user) => {
      await consentedUser(user);
      expect(await call(user, 'account', { action: 'updateProfile', avatarFileID: await upload(user) })).toMatchObject({
        ok: true,
      });
      await call(user, 'account', { action: 'prepareAvatarUpload', extension: 'jpg' }); // a reserved path too
    },
    act: (user) => call(user, 'account', { action: 'deleteAccount', confirm: true }),
    project: (state) => state.users.length,
    avatarMayBeGone: true,
  },
  {
    name: 'deleteAccount of a banned user (the ban is kept under the pseudonym)',
    setup: async (user) => {
      await consentedUser(user);
      expect(await call(ADMIN, 'admin', { action: 'ban', openid: user.openid })).toMatchObject({ ok: true });
    },
    act: (user) => call(user, 'account', { action: 'deleteAccount', confirm: true }),
    project: (state) => state.users.length,
  },
  {
    name: 'admin ban',
    setup: consentedUser,
    act: (user) => call(ADMIN, 'admin', { action: 'ban', openid: user.openid, reason: '测试' }),
    // Banned once: a retried ban bumps the session version no further.
    project: (state) => [userDoc(state)?.status ?? null, userDoc(state)?.sessionVersion ?? null],
    actor: ADMIN,
    audited: 'ban',
  },
  {
    name: 'admin unban',
    setup: async (user) => {
      await consentedUser(user);
      expect(await call(ADMIN, 'admin', { action: 'ban', openid: user.openid })).toMatchObject({ ok: true });
    },
    act: (user) => call(ADMIN, 'admin', { action: 'unban', openid: user.openid }),
    project: (state) => [userDoc(state)?.status ?? null, userDoc(state)?.banReason ?? null],
    actor: ADMIN,
    audited: 'unban',
  },
];

/** The admin_logs entries of `action` on `user`, whatever their state. */
async function auditEntries(action: string, user: User): Promise<Array<Record<string, unknown>>> {
  return (await t.control.documents('admin_logs')).filter(
    (entry) => entry.action === action && entry.target === user.openid && entry.admin === ADMIN.openid,
  );
}

async function banKept(user: User): Promise<boolean> {
  return (await t.control.documents('bans')).some((doc) => doc._id === pseudonymOf(user.openid));
}

async function freshUser(flow: Flow): Promise<User> {
  const name = uniqueUser('matrix');
  const { openid } = await t.control.user(name);
  await flow.setup({ name, openid });
  return { name, openid };
}

/** The calls one clean run of the flow makes, each named by what a fault can match, with its occurrence. */
async function recordCalls(flow: Flow): Promise<Array<{ call: RecordedCall; skip: number }>> {
  const user = await freshUser(flow);
  await t.control.clearRecordedCalls();
  expect(await flow.act(user, 0)).toMatchObject({ ok: true });
  const caller = (flow.actor ?? user).openid;
  const calls = (await t.control.recordedCalls()).filter((recorded) => recorded.openid === caller);
  const seen = new Map<string, number>();
  return calls.map((recorded) => {
    const key = `${recorded.target}|${recorded.action}|${recorded.collection ?? ''}`;
    const skip = seen.get(key) ?? 0;
    seen.set(key, skip + 1);
    return { call: recorded, skip };
  });
}

/** Every file in the user's folder is tracked by the users document; without one, there is no file. */
function expectTracked(label: string, state: UserState, flow: Flow): void {
  const doc = userDoc(state) as { avatarUrl?: string; files?: Record<string, { path: string }> } | undefined;
  const tracked = new Set(Object.values(doc?.files ?? {}).map((file) => file.path));
  const untracked = state.files.filter((id) => id !== doc?.avatarUrl && !tracked.has(id.slice(id.indexOf('avatars/'))));
  expect({ label, untracked }).toEqual({ label, untracked: [] });
  if (doc?.avatarUrl && !flow.avatarMayBeGone) {
    expect({ label, avatarExists: state.files.includes(doc.avatarUrl) }).toEqual({ label, avatarExists: true });
  }
}

describe.each(FLOWS)('$name', (flow) => {
  test('every recorded call, failed in each way: typed answer, invariants, and a retry that completes', async () => {
    const calls = await recordCalls(flow);
    expect(calls.length).toBeGreaterThan(0);
    // What a clean run reaches, for comparison.
    const clean = await freshUser(flow);
    const cleanBefore = flow.project(await stateOf(clean), clean);
    expect(await flow.act(clean, 0)).toMatchObject({ ok: true });
    const cleanDone = flow.project(await stateOf(clean), clean);

    for (const { call: recorded, skip } of calls) {
      for (const mode of MODES) {
        const user = await freshUser(flow);
        const before = await stateOf(user);
        const label = `${recorded.target} ${recorded.action} ${recorded.collection ?? ''} #${skip} ${mode}`;
        await t.control.injectFault({
          target: recorded.target,
          mode,
          skip,
          match: {
            action: recorded.action,
            openid: (flow.actor ?? user).openid,
            ...(recorded.collection === undefined ? {} : { collection: recorded.collection }),
          },
        });
        const outcome = await flow.act(user, 0);
        expect({ label, fired: (await t.control.pendingFaults()).length === 0 }).toEqual({ label, fired: true });
        await t.control.clearFaults();
        if (outcome !== 'unclear' && !outcome.ok) {
          expect({ label, code: typeof outcome.error.code }).toEqual({ label, code: 'string' });
        }
        const after = await stateOf(user);
        // The state is the old one or the new one, never something in between.
        const oldOrNew = [flow.project(before, user), cleanDone].map((state) => JSON.stringify(state));
        expect({ label, state: JSON.stringify(flow.project(after, user)) }).toEqual({
          label,
          state: oldOrNew.includes(JSON.stringify(flow.project(after, user)))
            ? JSON.stringify(flow.project(after, user))
            : oldOrNew.join(' or '),
        });
        expect(flow.project(before, user)).toEqual(cleanBefore);
        expectTracked(label, after, flow);
        if (flow.audited && JSON.stringify(flow.project(after, user)) !== JSON.stringify(flow.project(before, user))) {
          // It took effect: its record exists (as 'attempted' when the completing write was the call that failed).
          const recorded = (await auditEntries(flow.audited, user)).length;
          expect({ label, effectiveWithRecord: recorded > 0 }).toEqual({ label, effectiveWithRecord: true });
        }
        if (flow.name.startsWith('deleteAccount of a banned user') && userDoc(after) === undefined) {
          expect({ label, banKept: await banKept(user) }).toEqual({ label, banKept: true });
        }

        // The user retries the same action (a fresh code or phone code where one is used once).
        const retry = await flow.act(user, 1);
        expect({ label, retry }).toMatchObject({ label, retry: { ok: true } });
        const done = await stateOf(user);
        expect({ label, done: flow.project(done, user) }).toEqual({ label, done: cleanDone });
        expectTracked(`${label}, retried`, done, flow);
        if (flow.audited) {
          const states = (await auditEntries(flow.audited, user)).map((entry) => entry.state);
          expect({ label, completed: states.includes('completed') }).toEqual({ label, completed: true });
        }
      }
    }
  }, 180_000);
});
