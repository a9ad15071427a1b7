import type { UserProfile } from '../../contracts';
import { callCloud, ClientError } from './cloud';

/** What the device keeps between launches. Holds no secret: the session_key never leaves the server. */
export interface LoginState {
  user: UserProfile;
  savedAt: number;
}

const STORAGE_KEY = 'loginkit.auth.v1';

let inflight: Promise<LoginState> | undefined;
/**
 * Bumped by clearLogin(). A login that started before a clear finishes without writing its state back, so a
 * logout (or loginAgain) in the middle of a login is not undone by it.
 */
let generation = 0;

/**
 * Resolves to a logged-in state, logging in only when needed. Single-flight: concurrent callers share one login.
 * - cached state and a live WeChat session (wx.checkSession): no cloud call at all;
 * - otherwise: a fresh wx.login code, sent to the login function, which stores the new session_key;
 *   when the function says the code is invalid, one more try with another fresh code.
 */
export function ensureLogin(): Promise<LoginState> {
  inflight ??= track(resolveLogin());
  return inflight;
}

/** Makes `login` the single flight until it settles. */
function track(login: Promise<LoginState>): Promise<LoginState> {
  const tracked = login.then(
    (state) => {
      if (inflight === tracked) inflight = undefined;
      return state;
    },
    (error: unknown) => {
      if (inflight === tracked) inflight = undefined;
      throw error;
    },
  );
  return tracked;
}

/**
 * Logs in again without a new code: the function counts the login and returns the fresh profile using the
 * identity WeChat vouches for, with no code2Session round trip. For refreshing what the page shows.
 */
export async function refreshLogin(): Promise<LoginState> {
  const { user } = await callCloud('login', {});
  return saveState(user);
}

export function currentUser(): UserProfile | undefined {
  return readState()?.user;
}

/** After an account call changed the profile: keep the cached login state in step with the server. */
export function rememberUser(user: UserProfile): void {
  saveState(user);
}

/**
 * A login with a fresh code even though the cached state looks fine: the server's session_key turned out to be
 * stale (SESSION_EXPIRED). Shares ensureLogin's single flight so concurrent callers still make one login.
 */
export function loginAgain(): Promise<LoginState> {
  clearLogin();
  // A login already in flight may be answering from the state just cleared: let it settle, then send a fresh code.
  const previous = inflight?.catch(() => undefined) ?? Promise.resolve(undefined);
  inflight = track(previous.then(() => loginWithFreshCode()));
  return inflight;
}

/** Forgets the login on this device. */
export function clearLogin(): void {
  generation += 1;
  wx.removeStorageSync(STORAGE_KEY);
}

async function resolveLogin(): Promise<LoginState> {
  const cached = readState();
  if (cached && (await sessionAlive())) return cached;
  return loginWithFreshCode();
}

async function loginWithFreshCode(): Promise<LoginState> {
  const startedIn = generation;
  for (let attempt = 1; ; attempt += 1) {
    const code = await freshCode();
    try {
      const { user } = await callCloud('login', { code });
      return startedIn === generation ? saveState(user) : { user, savedAt: Date.now() };
    } catch (error) {
      // A code can be stale or already used (e.g. a retry of a request that reached the server): one fresh try.
      if (attempt === 1 && error instanceof ClientError && error.code === 'WX_CODE_INVALID') continue;
      throw error;
    }
  }
}

async function sessionAlive(): Promise<boolean> {
  try {
    await wx.checkSession();
    return true;
  } catch {
    return false;
  }
}

async function freshCode(): Promise<string> {
  try {
    const { code } = await wx.login();
    if (code) return code;
  } catch {
    // fall through: reported below with the contract's code
  }
  throw new ClientError('WX_LOGIN_FAILED');
}

function readState(): LoginState | undefined {
  const raw: unknown = wx.getStorageSync(STORAGE_KEY);
  if (!raw || typeof raw !== 'object') return undefined;
  const state = raw as Partial<LoginState>;
  if (!state.user || typeof state.user.openid !== 'string' || typeof state.savedAt !== 'number') return undefined;
  return state as LoginState;
}

function saveState(user: UserProfile): LoginState {
  const state: LoginState = { user, savedAt: Date.now() };
  wx.setStorageSync(STORAGE_KEY, state);
  return state;
}
