/**
 * The shapes of the control routes devcloud's console reads (hub/routes/console.ts and documents.ts serve them).
 * Types only: the hub and the page (bundled for the browser) share them.
 */

export interface InvocationCaller {
  openid?: string;
  unionid?: string;
  /** The simulated user's name, when devcloud knows the OPENID. */
  user?: string;
  /** TCB_SOURCE: wx_client for a phone's call. */
  source?: string;
  clientIp?: string;
}

/** One function invocation, as GET /devcloud/invocations and the event stream give it. */
export interface InvocationRecord {
  /** Order of start, from 1. */
  seq: number;
  requestId: string;
  functionName: string;
  caller: InvocationCaller;
  /** ISO 8601. */
  startedAt: string;
  status: 'running' | 'done';
  /** As the function received it (with the userInfo WeChat injects), secrets redacted. */
  event: unknown;
  /** What the function returned, secrets redacted (absent while running or when the invocation failed). */
  result?: unknown;
  /** The invocation failed (the function threw, timed out, was not found): callFunction's error. */
  error?: { errCode: number; errMsg: string };
  cold?: boolean;
  initMs?: number;
  durationMs?: number;
  /** What the function wrote to stdout and stderr during the invocation, line by line. */
  logs: string[];
  /** Lines left out beyond the per-invocation limit. */
  logsDropped?: number;
}

export interface InvocationPage {
  invocations: InvocationRecord[];
  /** The newest seq handed out: ask for `?after=<it>` next. */
  latestSeq: number;
  /** How many records devcloud keeps (the newest). */
  capacity: number;
}

/** What a phone's wx.cloud.callFunction got (POST /devcloud/functions/invoke's answer). */
export interface InvocationReportView {
  requestId: string;
  functionName: string;
  result?: unknown;
  error?: { errCode: number; errMsg: string };
  cold: boolean;
  initMs?: number;
  durationMs: number;
}

/** POST /devcloud/users/login: the function's report, or the phone's wx.login failure. */
export interface LoginAsAnswer {
  report?: InvocationReportView;
  error?: { errCode: number; errMsg: string };
}

/** A decoded session token: header and claims as the token carries them, not verified. */
export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** When the function returned it (ISO 8601). */
  issuedAt: string;
  functionName: string;
  /** `exp` is in the past. */
  expired: boolean;
}

export interface SessionView {
  alive: boolean;
  /** ISO 8601. */
  expiresAt: string;
  /** 1 for the user's first session_key, + 1 per rotation (the key itself is never shown). */
  keyVersion: number;
  /** When the current key was issued (ISO 8601). */
  rotatedAt: string;
}

/** A simulated WeChat user, as GET /devcloud/users gives it. */
export interface UserView {
  name: string;
  openid: string;
  unionid?: string;
  /** 138****1234: the full number WeChat would give is never shown. */
  phoneMasked: string;
  riskRank: number;
  /** Absent until the user's first wx.login. */
  session?: SessionView;
  /** The last session token a function returned to the user, decoded; absent if none. */
  token?: DecodedToken;
  /** Set instead of `token` when the last token could not be decoded. */
  tokenError?: string;
}

export interface CodeView {
  /** The code's first characters. */
  codePrefix: string;
  openid: string;
  user?: string;
  issuedAt: string;
  expiresAt: string;
  usedAt?: string;
  status: 'unused' | 'used' | 'expired';
}

export interface RotationView {
  openid: string;
  user?: string;
  at: string;
  keyVersion: number;
  /** false: the live session kept its key (sessionKeyRotation 'when-expired'). */
  rotated: boolean;
}

/** One call to the WeChat server API or a cloud call, from devcloud's call record. */
export interface WeChatCallView {
  seq: number;
  target: 'wechat' | 'cloudCall';
  action: string;
  functionName?: string;
  openid?: string;
  user?: string;
  outcome: 'ok' | 'error' | 'faulted';
  fault?: string;
}

/** One cloud call (`cloud.openapi.*`) as devcloud answered it, without its data. */
export interface CloudCallView {
  seq: number;
  at: string;
  api: string;
  functionName: string;
  openid?: string;
  user?: string;
  /** A built-in fake, the developer's fixture, or nobody (refused, e.g. -604101 without permission). */
  answeredBy: 'fake' | 'fixture' | 'none';
  /** WeChat's errcode (0: success) or the gateway's errorCode. */
  errcode: number;
}

/** GET /devcloud/wechat: the WeChat fake's state, session keys never included. Newest first. */
export interface WeChatStateView {
  sessionKeyRotation: 'every-code' | 'when-expired';
  loginCodes: CodeView[];
  phoneCodes: CodeView[];
  sessions: Array<SessionView & { openid: string; user?: string }>;
  rotations: RotationView[];
  /** Calls per WeChat server API. */
  apiCalls: Record<string, number>;
  /** The newest calls to the WeChat server API and cloud calls, from the call record (faulted ones included). */
  recentCalls: WeChatCallView[];
  /** The newest cloud calls devcloud answered or refused, with their errcode (GET /devcloud/openapi/calls). */
  cloudCalls: CloudCallView[];
}

/** GET /devcloud/faults/options: what a FaultSpec may name. */
export interface FaultOptions {
  targets: string[];
  modes: string[];
  /** Known actions per target (what `match.action` may be). */
  actions: Record<string, string[]>;
}

/** A stored file, as GET /devcloud/storage/files gives it. */
export interface FileView {
  fileID: string;
  cloudPath: string;
  size: number;
  /** The uploader's OPENID (absent for files a function wrote). */
  ownerOpenid?: string;
  ownerUser?: string;
  uploadedAt: string;
  /** image/png, image/jpeg, image/gif or image/webp when the bytes are one: GET /devcloud/storage/preview shows it. */
  imageType?: string;
}

export interface CollectionView {
  name: string;
  count: number;
}

/** GET /devcloud/collections/<name>/documents. Documents are relaxed Extended JSON, secrets as {"$redacted"}. */
export interface DocumentPage {
  collection: string;
  /** Documents matching the search. */
  total: number;
  offset: number;
  limit: number;
  documents: Array<Record<string, unknown>>;
}

/** GET /devcloud/export: the files `--export-on-exit` would write, one per collection. */
export interface ExportEntry {
  collection: string;
  file: string;
  count: number;
}

/** The error body of a console route that fails. */
export interface ControlError {
  code: string;
  message: string;
}
