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
 * Resolves to a logged-in state, logging in only when needed. Single-flight: concurrent callers share one login.
 * - cached state and a live WeChat session (wx.checkSession): no cloud call at all;
 * - otherwise: a fresh wx.login code, sent to the login function, which stores the new session_key;
 *   when the function says the code is invalid, one more try with another fresh code.
 */
export function ensureLogin(): Promise<LoginState> {
  if (!inflight) {
    inflight = resolveLogin().then(
      (state) => {
        inflight = undefined;
        return state;
      },
      (error: unknown) => {
        inflight = undefined;
        throw error;
      },
    );
  }
  return inflight;
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
  return ensureLogin();
}

/** Forgets the login on this device. */
export function clearLogin(): void {
  wx.removeStorageSync(STORAGE_KEY);
}

async function resolveLogin(): Promise<LoginState> {
  const cached = readState();
  if (cached && (await sessionAlive())) return cached;
  return loginWithFreshCode();
}

async function loginWithFreshCode(): Promise<LoginState> {
  for (let attempt = 1; ; attempt += 1) {
    const code = await freshCode();
    try {
      const { user } = await callCloud('login', { code });
      return saveState(user);
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
