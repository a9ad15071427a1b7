import type { LoginResult, UserProfile } from '../../contracts';
import { issuedAtOf } from '../utils/token';
import { callCloud, ClientError } from './cloud';

/**
 * What the device keeps between launches. Holds no WeChat secret: the session_key never leaves the server. The
 * session token is the user's credential for the developer's own backend (services/request), like a cookie.
 */
export interface LoginState {
  user: UserProfile;
  savedAt: number;
  /** The login function's signed session token, when it issues one (AUTH_TOKEN_PRIVATE_KEY set). */
  token?: string;
  /** The token's expiry by the server's clock (ISO 8601). */
  tokenExpiresAt?: string;
  /** This device's clock minus the server's, measured at the token's receipt (ms): a wrong phone clock. */
  clockSkewMs?: number;
}

/**
 * getToken hands out a token only when it stays valid at least this long, so a request in flight never carries an
 * expiring token. Keep AUTH_TOKEN_TTL_S well above it (the default is an hour): a lifetime under 5 minutes makes
 * every getToken a login.
 */
export const TOKEN_MIN_REMAINING_MS = 5 * 60 * 1000;

const STORAGE_KEY = 'loginkit.auth.v1';

let inflight: Promise<LoginState> | undefined;
/** The token refresh in flight (getToken / renewToken), shared by concurrent callers. */
let tokenInflight: Promise<string> | undefined;
/** A token the backend refused (401): never handed out again, even if its expiry says it is fine. */
let rejectedToken: string | undefined;
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
  return saveState(await retryUnclear(() => callCloud('login', { loginId })));
}

/**
 * A session token for the developer's backend, valid for at least 5 more minutes. From the cached login state when
 * it has one; otherwise a refresh (login with `refresh: true`: one cloud call, one database read, no wx.login, not
 * counted as a login), or a login when this device is not logged in. Concurrent callers share one refresh. Fails
 * with TOKEN_UNAVAILABLE when the login function issues no tokens.
 */
export function getToken(): Promise<string> {
  const state = readState();
  if (state && tokenUsable(state)) return Promise.resolve(state.token);
  tokenInflight ??= trackToken(fetchToken());
  return tokenInflight;
}

/**
 * After the backend refused `token` (HTTP 401): a different, fresh token. A refresh already made by a concurrent
 * caller is reused, so many requests failing at once cause one refresh.
 */
export function renewToken(token: string): Promise<string> {
  rejectedToken = token;
  return getToken();
}

function trackToken(refresh: Promise<string>): Promise<string> {
  const tracked = refresh.finally(() => {
    if (tokenInflight === tracked) tokenInflight = undefined;
  });
  return tracked;
}

async function fetchToken(): Promise<string> {
  // A login already in flight (e.g. at launch) brings a token with it: wait for it rather than log in twice.
  const pending = await inflight?.catch(() => undefined);
  if (pending && tokenUsable(pending)) return pending.token;
  // Not logged in on this device: getting a token is a login (without a code: no wx.login). Logged in: it is a
  // refresh, which the server does not count as a login (a backend stuck answering 401 must not inflate loginCount).
  const refresh = readState() !== undefined;
  const startedIn = generation;
  const loginId = newLoginId();
  let result: LoginResult;
  try {
    result = await retryUnclear(() => callCloud('login', refresh ? { refresh: true } : { loginId }));
  } catch (error) {
    // The account is gone (注销 on another phone): forget it here too, so that the next ensureLogin() logs in.
    if (error instanceof ClientError && error.code === 'USER_NOT_FOUND') clearLogin();
    throw error;
  }
  return tokenOf(startedIn === generation ? saveState(result) : toState(result));
}

/** Just minted: as fresh as a token gets, whatever its lifetime (and if the backend refuses it too, it says so). */
function tokenOf(state: LoginState): string {
  if (!state.token) throw new ClientError('TOKEN_UNAVAILABLE');
  return state.token;
}

/** Has a token that was not refused and that stays valid long enough, by the server's clock as seen from here. */
function tokenUsable(state: LoginState): state is LoginState & { token: string } {
  if (!state.token || !state.tokenExpiresAt || state.token === rejectedToken) return false;
  const expiresHere = Date.parse(state.tokenExpiresAt) + (state.clockSkewMs ?? 0);
  return expiresHere - Date.now() >= TOKEN_MIN_REMAINING_MS;
}

export function currentUser(): UserProfile | undefined {
  return readState()?.user;
}

/** After an account call changed the profile: keep the cached login state in step with the server. */
export function rememberUser(user: UserProfile): void {
  const { token, tokenExpiresAt, clockSkewMs } = readState() ?? {};
  writeState({ user, savedAt: Date.now(), ...(token && tokenExpiresAt ? { token, tokenExpiresAt, clockSkewMs } : {}) });
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
  const result = await retryUnclear(async () => {
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
  return startedIn === generation ? saveState(result) : toState(result);
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

function saveState(result: Pick<LoginResult, 'user' | 'token' | 'tokenExpiresAt'>): LoginState {
  return writeState(toState(result));
}

function toState({ user, token, tokenExpiresAt }: Pick<LoginResult, 'user' | 'token' | 'tokenExpiresAt'>): LoginState {
  const savedAt = Date.now();
  if (!token || !tokenExpiresAt) return { user, savedAt };
  const issuedAt = issuedAtOf(token);
  // Only a clear difference counts: the call's own latency and iat's whole seconds are noise.
  const skew = issuedAt === undefined ? 0 : savedAt - issuedAt * 1000;
  return { user, savedAt, token, tokenExpiresAt, clockSkewMs: Math.abs(skew) > 30_000 ? skew : 0 };
}

/** Caches the state; a device whose storage refuses the write still has the login for this launch. */
function writeState(state: LoginState): LoginState {
  try {
    wx.setStorageSync(STORAGE_KEY, state);
  } catch {
    // Storage full or unavailable: the next launch logs in again, which is correct, only slower.
  }
  return state;
}
