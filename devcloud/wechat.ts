import { createHmac, randomBytes } from 'crypto';

/**
 * The WeChat server API fake: the endpoints our functions call (jscode2session, checksession, getuserphonenumber,
 * the access token) with WeChat's reply shapes and errcodes, plus the device side of the same state (codes that
 * wx.login hands out, wx.checkSession). Faults can be queued per API to see what the product does with them.
 */

export type WeChatApi = 'jscode2session' | 'checksession' | 'getuserphonenumber' | 'token';

export interface Fault {
  api: WeChatApi;
  /** Answer with this errcode instead of the real reply. */
  errcode?: number;
  /** Delay the answer (ms). A delay longer than the caller's timeout is a timeout. */
  delayMs?: number;
  /** How many calls it applies to; default 1. */
  times?: number;
}

export type SessionKeyRotation = 'every-code' | 'when-expired';

export interface WeChatReply {
  status: number;
  body: Record<string, unknown>;
}

interface PendingCode {
  openid: string;
  expiresAt: number;
  used: boolean;
}

interface Session {
  sessionKey: string;
  expiresAt: number;
}

export interface WeChatUser {
  openid: string;
  unionid?: string;
  phoneNumber?: string;
}

const CODE_TTL_MS = 5 * 60 * 1000;
const SESSION_TTL_MS = 3 * 24 * 3600 * 1000;
const RATE_LIMIT_PER_MINUTE = 100;

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40029: 'invalid code',
  40163: 'code been used',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  40226: 'high risk user',
  40125: 'invalid appsecret',
  40013: 'invalid appid',
  40001: 'invalid credential, access_token is invalid or not latest',
  87009: 'invalid signature',
  1400001: 'feature quota exhausted',
};

export class WeChatFake {
  private readonly codes = new Map<string, PendingCode>();
  private readonly phoneCodes = new Map<string, PendingCode>();
  private readonly sessions = new Map<string, Session>();
  private readonly users = new Map<string, WeChatUser>();
  private readonly accessTokens = new Set<string>();
  private readonly recentCalls = new Map<string, number[]>();
  private faults: Fault[] = [];
  /** Calls per API, for tests and the benchmark's round-trip counts. */
  readonly calls: Record<WeChatApi, number> = { jscode2session: 0, checksession: 0, getuserphonenumber: 0, token: 0 };
  /** Added to every answer (ms), to model the network distance to WeChat. */
  latencyMs = 0;
  now: () => number = Date.now;

  constructor(
    readonly appid: string,
    private readonly appSecret: string,
    /**
     * 'every-code' (default): each wx.login code rotates the session_key, the strictest reading of WeChat's "may
     * rotate". 'when-expired': a live session keeps its key across logins, as WeChat usually does in practice.
     */
    private readonly rotation: SessionKeyRotation = 'every-code',
  ) {}

  // ---- device side ------------------------------------------------------------------------------------------

  registerUser(user: WeChatUser): void {
    this.users.set(user.openid, { ...this.users.get(user.openid), ...user });
  }

  /** wx.login: a single-use code valid for 5 minutes. A new code rotates the user's session_key. */
  issueLoginCode(openid: string): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { openid, expiresAt: this.now() + CODE_TTL_MS, used: false });
    const live = this.sessionAlive(openid) ? this.sessions.get(openid) : undefined;
    const sessionKey = live && this.rotation === 'when-expired' ? live.sessionKey : randomBytes(16).toString('base64');
    this.sessions.set(openid, { sessionKey, expiresAt: this.now() + SESSION_TTL_MS });
    return code;
  }

  /** wx.checkSession: is the user's latest session alive? */
  sessionAlive(openid: string): boolean {
    const session = this.sessions.get(openid);
    return !!session && session.expiresAt > this.now();
  }

  /** Tests: end a user's session as WeChat would after long inactivity. */
  expireSession(openid: string): void {
    const session = this.sessions.get(openid);
    if (session) session.expiresAt = 0;
  }

  /** The session_key WeChat currently holds for the user (for tests that check what the server stored). */
  currentSessionKey(openid: string): string | undefined {
    return this.sessions.get(openid)?.sessionKey;
  }

  /** <button open-type="getPhoneNumber">: a single-use code for the phone number flow. */
  issuePhoneCode(openid: string): string {
    const code = randomBytes(16).toString('hex');
    this.phoneCodes.set(code, { openid, expiresAt: this.now() + CODE_TTL_MS, used: false });
    return code;
  }

  /** Queue a fault for one API; faults for the same API apply in the order injected. `times: 0` injects nothing. */
  injectFault(fault: Fault): void {
    const times = fault.times ?? 1;
    if (times <= 0) return;
    this.faults.push({ ...fault, times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  // ---- server API ------------------------------------------------------------------------------------------

  /** Serve one HTTP request (path relative to the fake's base URL). */
  async serve(method: string, path: string, query: URLSearchParams, body: unknown): Promise<WeChatReply> {
    const api = this.apiFor(method, path);
    if (!api) return { status: 404, body: { errcode: 404, errmsg: `devcloud: no WeChat API at ${method} ${path}` } };
    this.calls[api] += 1;
    const fault = this.takeFault(api);
    const delay = this.latencyMs + (fault?.delayMs ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (fault?.errcode !== undefined) return this.error(fault.errcode);
    switch (api) {
      case 'jscode2session':
        return this.jscode2session(query);
      case 'checksession':
        return this.checksession(query);
      case 'getuserphonenumber':
        return this.getuserphonenumber(query, body);
      case 'token':
        return this.token(query);
    }
  }

  /** Shared with the cloud call phonenumber.getPhoneNumber, which needs no access token. */
  phoneNumberFor(code: unknown): WeChatReply {
    const pending = typeof code === 'string' ? this.phoneCodes.get(code) : undefined;
    if (!pending || pending.used || pending.expiresAt <= this.now()) return this.error(40029);
    pending.used = true;
    const phone = this.users.get(pending.openid)?.phoneNumber ?? '13800001234';
    const pure = phone.replace(/^\+?86/, '');
    return {
      status: 200,
      body: {
        errcode: 0,
        errmsg: 'ok',
        phone_info: {
          phoneNumber: pure,
          purePhoneNumber: pure,
          countryCode: '86',
          watermark: { timestamp: Math.floor(this.now() / 1000), appid: this.appid },
        },
      },
    };
  }

  private apiFor(method: string, path: string): WeChatApi | undefined {
    if (method === 'GET' && path === '/sns/jscode2session') return 'jscode2session';
    if (method === 'GET' && path === '/wxa/checksession') return 'checksession';
    if (method === 'POST' && path === '/wxa/business/getuserphonenumber') return 'getuserphonenumber';
    if (method === 'GET' && path === '/cgi-bin/token') return 'token';
    return undefined;
  }

  private takeFault(api: WeChatApi): Fault | undefined {
    const index = this.faults.findIndex((fault) => fault.api === api);
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private jscode2session(query: URLSearchParams): WeChatReply {
    if (query.get('appid') !== this.appid) return this.error(40013);
    if (query.get('secret') !== this.appSecret) return this.error(40125);
    const code = query.get('js_code') ?? '';
    const pending = this.codes.get(code);
    if (!pending || pending.expiresAt <= this.now()) return this.error(40029);
    if (pending.used) return this.error(40163);
    if (!this.withinRateLimit(pending.openid)) return this.error(45011);
    pending.used = true;
    const session = this.sessions.get(pending.openid);
    if (!session) return this.error(40029);
    const user = this.users.get(pending.openid);
    const body: Record<string, unknown> = { openid: pending.openid, session_key: session.sessionKey };
    if (user?.unionid) body.unionid = user.unionid;
    return { status: 200, body };
  }

  private checksession(query: URLSearchParams): WeChatReply {
    if (!this.accessTokens.has(query.get('access_token') ?? '')) return this.error(40001);
    const openid = query.get('openid') ?? '';
    const session = this.sessions.get(openid);
    if (query.get('sig_method') !== 'hmac_sha256' || !session || session.expiresAt <= this.now())
      return this.error(87009);
    const expected = createHmac('sha256', session.sessionKey).update('').digest('hex');
    if (query.get('signature') !== expected) return this.error(87009);
    return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
  }

  private getuserphonenumber(query: URLSearchParams, body: unknown): WeChatReply {
    if (!this.accessTokens.has(query.get('access_token') ?? '')) return this.error(40001);
    const code = body && typeof body === 'object' ? (body as Record<string, unknown>).code : undefined;
    return this.phoneNumberFor(code);
  }

  private token(query: URLSearchParams): WeChatReply {
    if (query.get('appid') !== this.appid) return this.error(40013);
    if (query.get('secret') !== this.appSecret) return this.error(40125);
    const token = randomBytes(24).toString('hex');
    this.accessTokens.add(token);
    return { status: 200, body: { access_token: token, expires_in: 7200 } };
  }

  /** 100 code2Session calls per user per minute, as WeChat documents. */
  private withinRateLimit(openid: string): boolean {
    const since = this.now() - 60_000;
    const recent = (this.recentCalls.get(openid) ?? []).filter((t) => t > since);
    recent.push(this.now());
    this.recentCalls.set(openid, recent);
    return recent.length <= RATE_LIMIT_PER_MINUTE;
  }

  private error(errcode: number): WeChatReply {
    return { status: 200, body: { errcode, errmsg: ERRMSG[errcode] ?? 'error' } };
  }
}
