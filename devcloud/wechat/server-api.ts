import { createHmac, randomBytes } from 'crypto';
import { FaultInjector } from '../faults';
import type { Fault, FaultSpec, SessionKeyRotation, WeChatApi } from '../protocol';

/**
 * The WeChat server API fake (api.weixin.qq.com): the endpoints our functions call with WeChat's reply shapes and
 * errcodes, plus the device side of the same state (codes that wx.login hands out, wx.checkSession). Every request
 * runs through devcloud's fault model (faults/), target 'wechat', action = the API name.
 *
 * To add an API: name it in protocol/wechat.ts (WeChatApi), give its method and path in ENDPOINTS below, and its
 * answer (and, when it concerns a user, whose call it is) in WeChatFake.handlers, which the compiler makes complete.
 */

/** Where each API answers (path relative to the fake's base URL, WECHAT_API_BASE in a function). */
const ENDPOINTS: Record<WeChatApi, { method: 'GET' | 'POST'; path: string }> = {
  jscode2session: { method: 'GET', path: '/sns/jscode2session' },
  checksession: { method: 'GET', path: '/wxa/checksession' },
  getuserphonenumber: { method: 'POST', path: '/wxa/business/getuserphonenumber' },
  token: { method: 'GET', path: '/cgi-bin/token' },
};
export const WECHAT_APIS = Object.keys(ENDPOINTS) as WeChatApi[];

/** One request to the fake, as its handler sees it. */
export interface WeChatRequest {
  query: URLSearchParams;
  /** The JSON body (POST), undefined when there is none. */
  body: unknown;
}

interface Handler {
  answer(request: WeChatRequest): WeChatReply;
  /** The user a request is about, for fault matching and the call record (the code's user, the named openid). */
  userOf?(request: WeChatRequest): string | undefined;
}

export interface WeChatReply {
  status: number;
  body: Record<string, unknown>;
}

interface PendingCode {
  openid: string;
  issuedAt: number;
  expiresAt: number;
  used: boolean;
  usedAt?: number;
}

interface Session {
  sessionKey: string;
  expiresAt: number;
  /** 1 for the user's first key, + 1 on each rotation: tells rotations apart without showing a key. */
  keyVersion: number;
  /** When the current key was issued. */
  rotatedAt: number;
}

/** A code as the console sees it: its first characters only (a wx.login code is a credential until used). */
export interface IssuedCodeView {
  codePrefix: string;
  openid: string;
  issuedAt: number;
  expiresAt: number;
  usedAt?: number;
  status: 'unused' | 'used' | 'expired';
}

/** One wx.login and what it did to the user's session_key (never the key itself). */
export interface SessionRotation {
  openid: string;
  at: number;
  /** The key version after this login. */
  keyVersion: number;
  /** false: the live session kept its key ('when-expired' rotation). */
  rotated: boolean;
}

/** The fake's state for inspection (devcloud's console): session keys and codes redacted. */
export interface WeChatState {
  sessionKeyRotation: SessionKeyRotation;
  loginCodes: IssuedCodeView[];
  phoneCodes: IssuedCodeView[];
  sessions: Array<{ openid: string; alive: boolean; expiresAt: number; keyVersion: number; rotatedAt: number }>;
  rotations: SessionRotation[];
  calls: Record<WeChatApi, number>;
  accessTokensIssued: number;
}

/** Codes and rotations kept for inspection (the newest); older codes stay valid to WeChat's rules regardless. */
const INSPECTED_ENTRIES = 200;
/** Characters of a code shown by inspect(). */
const CODE_PREFIX_LENGTH = 6;

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
  /** The newest wx.login key events, for inspect(). */
  private readonly rotations: SessionRotation[] = [];
  /** Calls per API, for tests and the benchmark's round-trip counts. */
  readonly calls = Object.fromEntries(WECHAT_APIS.map((api) => [api, 0])) as Record<WeChatApi, number>;
  /** Added to every answer (ms), to model the network distance to WeChat. */
  latencyMs = 0;
  now: () => number = Date.now;

  private readonly handlers: Record<WeChatApi, Handler> = {
    jscode2session: {
      answer: ({ query }) => this.jscode2session(query),
      userOf: ({ query }) => this.codes.get(query.get('js_code') ?? '')?.openid,
    },
    checksession: {
      answer: ({ query }) => this.checksession(query),
      userOf: ({ query }) => query.get('openid') ?? undefined,
    },
    getuserphonenumber: {
      answer: ({ query, body }) => this.getuserphonenumber(query, body),
      userOf: ({ body }) => {
        const code = fieldOf(body, 'code');
        return typeof code === 'string' ? this.phoneCodes.get(code)?.openid : undefined;
      },
    },
    token: { answer: ({ query }) => this.token(query) },
  };

  constructor(
    readonly appid: string,
    private readonly appSecret: string,
    /**
     * 'every-code' (default): each wx.login code rotates the session_key, the strictest reading of WeChat's "may
     * rotate". 'when-expired': a live session keeps its key across logins, as WeChat usually does in practice.
     */
    private readonly rotation: SessionKeyRotation = 'every-code',
    /** Where faults are queued and calls recorded: devcloud shares one injector across all its services. */
    private readonly faults: FaultInjector = new FaultInjector(),
  ) {}

  // ---- device side ------------------------------------------------------------------------------------------

  registerUser(user: WeChatUser): void {
    this.users.set(user.openid, { ...this.users.get(user.openid), ...user });
  }

  /** wx.login: a single-use code valid for 5 minutes. A new code rotates the user's session_key. */
  issueLoginCode(openid: string): string {
    const code = randomBytes(16).toString('hex');
    const now = this.now();
    this.codes.set(code, { openid, issuedAt: now, expiresAt: now + CODE_TTL_MS, used: false });
    const previous = this.sessions.get(openid);
    const keep = previous && this.sessionAlive(openid) && this.rotation === 'when-expired';
    const session: Session =
      previous && keep
        ? { ...previous, expiresAt: now + SESSION_TTL_MS }
        : {
            sessionKey: randomBytes(16).toString('base64'),
            expiresAt: now + SESSION_TTL_MS,
            keyVersion: (previous?.keyVersion ?? 0) + 1,
            rotatedAt: now,
          };
    this.sessions.set(openid, session);
    this.rotations.push({ openid, at: now, keyVersion: session.keyVersion, rotated: !keep });
    if (this.rotations.length > INSPECTED_ENTRIES) this.rotations.splice(0, this.rotations.length - INSPECTED_ENTRIES);
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

  /** Every user's current session_key: what inspection output must never show (see ../redact.ts). */
  sessionKeys(): string[] {
    return [...this.sessions.values()].map((session) => session.sessionKey);
  }

  /** The session_key WeChat currently holds for the user (for tests that check what the server stored). */
  currentSessionKey(openid: string): string | undefined {
    return this.sessions.get(openid)?.sessionKey;
  }

  /** <button open-type="getPhoneNumber">: a single-use code for the phone number flow. */
  issuePhoneCode(openid: string): string {
    const code = randomBytes(16).toString('hex');
    this.phoneCodes.set(code, { openid, issuedAt: this.now(), expiresAt: this.now() + CODE_TTL_MS, used: false });
    return code;
  }

  /**
   * What the fake holds, for inspection: the newest codes (first characters only), each user's session (its key's
   * version, never the key), the newest rotations, call counts. Newest first.
   */
  inspect(): WeChatState {
    const now = this.now();
    const codes = (map: Map<string, PendingCode>): IssuedCodeView[] =>
      [...map.entries()]
        .slice(-INSPECTED_ENTRIES)
        .reverse()
        .map(([code, pending]) => ({
          codePrefix: `${code.slice(0, CODE_PREFIX_LENGTH)}…`,
          openid: pending.openid,
          issuedAt: pending.issuedAt,
          expiresAt: pending.expiresAt,
          ...(pending.usedAt === undefined ? {} : { usedAt: pending.usedAt }),
          status: pending.used ? 'used' : pending.expiresAt <= now ? 'expired' : 'unused',
        }));
    return {
      sessionKeyRotation: this.rotation,
      loginCodes: codes(this.codes),
      phoneCodes: codes(this.phoneCodes),
      sessions: [...this.sessions.entries()].map(([openid, session]) => ({
        openid,
        alive: session.expiresAt > now,
        expiresAt: session.expiresAt,
        keyVersion: session.keyVersion,
        rotatedAt: session.rotatedAt,
      })),
      rotations: [...this.rotations].reverse(),
      calls: { ...this.calls },
      accessTokensIssued: this.accessTokens.size,
    };
  }

  /** Queue a fault for one API; faults for the same API apply in the order injected. `times: 0` injects nothing. */
  injectFault(fault: Fault): void {
    this.faults.inject(weChatFaultSpec(fault));
  }

  /** Drops pending WeChat faults (only those: other services' faults stay). */
  clearFaults(): void {
    this.faults.clear({ target: 'wechat' });
  }

  // ---- server API ------------------------------------------------------------------------------------------

  /**
   * Serve one HTTP request (path relative to the fake's base URL). Throws DroppedConnection when a fault says the
   * connection is to be destroyed without a reply.
   */
  async serve(method: string, path: string, query: URLSearchParams, body: unknown): Promise<WeChatReply> {
    const api = WECHAT_APIS.find((name) => ENDPOINTS[name].method === method && ENDPOINTS[name].path === path);
    if (!api) return { status: 404, body: { errcode: 404, errmsg: `devcloud: no WeChat API at ${method} ${path}` } };
    this.calls[api] += 1;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const handler = this.handlers[api];
    const request: WeChatRequest = { query, body };
    const openid = handler.userOf?.(request);
    return this.faults.run(
      { target: 'wechat', action: api, ...(openid ? { openid } : {}) },
      {
        apply: async () => handler.answer(request),
        refuse: (code) => this.error(typeof code === 'number' ? code : -1),
        outcomeOf: (reply) => (reply.status === 200 && !reply.body.errcode ? 'ok' : 'error'),
      },
    );
  }

  /**
   * Shared with the cloud call phonenumber.getPhoneNumber, which needs no access token. `openid`, when given, must
   * be the user the code was issued to: the API page says "用户openid， 填入后会校验openid和code的绑定关系" but
   * names no errcode. 40029 (invalid code) is our guess; a refused code stays usable by its own user.
   */
  phoneNumberFor(code: unknown, openid?: unknown): WeChatReply {
    const pending = typeof code === 'string' ? this.phoneCodes.get(code) : undefined;
    if (!pending || pending.used || pending.expiresAt <= this.now()) return this.error(40029);
    if (openid !== undefined && openid !== pending.openid)
      return { status: 200, body: { errcode: 40029, errmsg: 'invalid code, the openid does not match the code' } };
    pending.used = true;
    pending.usedAt = this.now();
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

  private jscode2session(query: URLSearchParams): WeChatReply {
    if (query.get('appid') !== this.appid) return this.error(40013);
    if (query.get('secret') !== this.appSecret) return this.error(40125);
    const code = query.get('js_code') ?? '';
    const pending = this.codes.get(code);
    if (!pending || pending.expiresAt <= this.now()) return this.error(40029);
    if (pending.used) return this.error(40163);
    if (!this.withinRateLimit(pending.openid)) return this.error(45011);
    pending.used = true;
    pending.usedAt = this.now();
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
    return this.phoneNumberFor(fieldOf(body, 'code'), fieldOf(body, 'openid'));
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

function fieldOf(body: unknown, key: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
}

/** The original Fault as a FaultSpec: an errcode answer, or only a delay before the real answer. */
export function weChatFaultSpec(fault: Fault): FaultSpec {
  return {
    target: 'wechat',
    mode: fault.errcode === undefined ? 'delay' : 'error',
    match: { action: fault.api },
    times: fault.times ?? 1,
    delayMs: fault.delayMs ?? 0,
    ...(fault.errcode === undefined ? {} : { code: fault.errcode }),
  };
}
