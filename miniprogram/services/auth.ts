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
  const loginId = newLoginId();
  const { user } = await retryUnclear(() => callCloud('login', { loginId }));
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
  try {
    wx.removeStorageSync(STORAGE_KEY);
  } catch {
    // The state could not be removed; the generation bump still stops in-flight logins from writing it back.
  }
}

async function resolveLogin(): Promise<LoginState> {
  const cached = readState();
  if (cached && (await sessionAlive())) return cached;
  return loginWithFreshCode();
}

async function loginWithFreshCode(): Promise<LoginState> {
  const startedIn = generation;
  // One id for this login and its retries: the server counts it once even if a retried call had reached it.
  const loginId = newLoginId();
  let codeRetried = false;
  const { user } = await retryUnclear(async () => {
    for (;;) {
      // A fresh code each time: a code works once, and a failed call may have used it.
      const code = await freshCode();
      try {
        return await callCloud('login', { code, loginId });
      } catch (error) {
        // A code can be stale or already used (e.g. a retry of a request that reached the server): one fresh try.
        if (!codeRetried && error instanceof ClientError && error.code === 'WX_CODE_INVALID') {
          codeRetried = true;
          continue;
        }
        throw error;
      }
    }
  });
  return startedIn === generation ? saveState(user) : { user, savedAt: Date.now() };
}

/**
 * One more try after an unclear failure: the call may not have arrived (NETWORK) or the server failed midway
 * (INTERNAL). Safe for logins because the retry carries the same loginId.
 */
async function retryUnclear<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ClientError && (error.code === 'NETWORK' || error.code === 'INTERNAL')) return call();
    throw error;
  }
}

/** Unique enough per device and attempt; not a secret (the server only compares it with the last one). */
function newLoginId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`.replace(/[^A-Za-z0-9]/g, '');
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

/** The cached state, or undefined when there is none or it cannot be read: storage failing is "not logged in". */
function readState(): LoginState | undefined {
  let raw: unknown;
  try {
    raw = wx.getStorageSync(STORAGE_KEY);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const state = raw as Partial<LoginState>;
  if (!state.user || typeof state.user.openid !== 'string' || typeof state.savedAt !== 'number') return undefined;
  return state as LoginState;
}

/** Caches the state; a device whose storage refuses the write still has the login for this launch. */
function saveState(user: UserProfile): LoginState {
  const state: LoginState = { user, savedAt: Date.now() };
  try {
    wx.setStorageSync(STORAGE_KEY, state);
  } catch {
    // Storage full or unavailable: the next launch logs in again, which is correct, only slower.
  }
  return state;
}
