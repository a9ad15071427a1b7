/**
 * What the console shows (the page at /console reads these; tests and scripts may as well): the invocation history
 * and its live stream, the simulated users with the claims of their last token, the WeChat fake's state, the fault
 * form's options and the stored files. Session keys, secrets, session tokens and full phone numbers never leave:
 * they are redacted (../redact.ts). "Log in as" is a phone's wx.login and wx.cloud.callFunction (target 'device').
 */
import type * as http from 'http';
import { FAULT_MODES, FAULT_TARGETS } from '../../faults';
import type {
  CloudCallView,
  FaultOptions,
  FileView,
  InvocationPage,
  InvocationReport,
  LoginAsAnswer,
  UserView,
  WeChatCallView,
  WeChatStateView,
} from '../../protocol';
import type { DevCloud } from '../cloud';
import { redact } from '../redact';
import { badRequest, type RouteGroup, type RouteInput } from '../router';
import { phoneInvoke, phoneLogin } from './phone';

/** WeChat API and cloud calls GET /devcloud/wechat lists (the newest). */
const RECENT_CALLS = 100;
/** A comment line on open event streams this often, so a console that went away is noticed. */
const HEARTBEAT_MS = 15_000;

export const CONSOLE_ROUTES: RouteGroup = {
  title: 'What the console shows',
  intro:
    "The console's routes (shapes in `protocol/console.ts`, typed methods on `DevCloudControl`). Errors are " +
    '`{code, message}` with an HTTP status: 400 `INVALID_ARGUMENT`, 404 `NOT_FOUND`. Session keys, secrets, ' +
    'session tokens (`token`, `refreshToken` and any compact JWS) and full phone numbers are shown as ' +
    '`{"$redacted": "<hint>"}` markers, in what devcloud keeps as in what it shows.',
  onDropped: 'answer',
  routes: [
    {
      method: 'GET',
      path: '/invocations',
      query: '?after=<seq>',
      answers:
        '`{invocations, latestSeq, capacity}`: the invocations started after `seq` (default 0), ' +
        'oldest first, each `{seq, requestId, functionName, caller: {openid?, unionid?, user?, source?, clientIp?}, ' +
        'startedAt, status: running | done, event, result? | error?: {errCode, errMsg}, cold?, initMs?, ' +
        'durationMs?, logs: [line], logsDropped?}`. A bounded buffer: the newest 500 invocations, 200 log lines ' +
        'each (4,000 characters a line); an event or result over 64 KB is kept as `{$truncated, preview}`. ' +
        "Every invocation is there (a phone's, a test's, one through `runtime.invoke`), and each gets its own log " +
        'lines even when invocations run in parallel',
      run: listInvocations,
    },
    {
      method: 'GET',
      path: '/events',
      answers:
        'server-sent events: `invocation` (data: an invocation as above) when one starts, ends, or logs after its ' +
        'end; `change` (data: `{route}`) after a control request that changed something (`POST /faults`, ' +
        '`POST /users`, ...). A comment line every 15 s',
      stream: async (cloud, _input, request, response) => openEventStream(cloud, request, response),
    },
    {
      method: 'GET',
      path: '/users',
      answers:
        '`[{name, openid, unionid?, phoneMasked, riskRank, session?: {alive, expiresAt, keyVersion, rotatedAt}, ' +
        'token?: {header, claims, issuedAt, functionName, expired}, tokenError?}]`: `token` decodes (does not ' +
        'verify) the last compact JWS a function returned to the user as `result.data.token` or `result.token`',
      run: listUsers,
    },
    {
      method: 'POST',
      path: '/users/login',
      takes: '`{user, withCode?: true, functionName?: "login"}`',
      answers:
        '`{report}` (as `POST /devcloud/functions/invoke`, redacted) or `{error: {errCode, errMsg}}` when ' +
        '`wx.login` failed: "log in as", the phone\'s `wx.login` (unless `withCode` is false) then its ' +
        '`wx.cloud.callFunction`, both as target `device`',
      run: logInAs,
    },
    {
      method: 'GET',
      path: '/wechat',
      answers:
        '`{sessionKeyRotation, loginCodes, phoneCodes, sessions, rotations, apiCalls, recentCalls, cloudCalls}`, ' +
        'newest first: codes as `{codePrefix (6 characters), openid, user?, issuedAt, expiresAt, usedAt?, status: ' +
        'unused | used | expired}` (the newest 200), sessions `{openid, user?, alive, expiresAt, keyVersion, ' +
        'rotatedAt}`, rotations `{openid, user?, at, keyVersion, rotated}` (one per wx.login, the newest 200), ' +
        '`apiCalls` per WeChat server API, `recentCalls` the newest 100 WeChat API and cloud calls from the call ' +
        'record, `cloudCalls` the newest 100 cloud calls as answered (`{seq, at, api, functionName, openid?, user?, ' +
        'answeredBy, errcode}`, without their data). No session key, no full code',
      run: weChatState,
    },
    {
      method: 'GET',
      path: '/faults/options',
      answers: '`{targets, modes, actions: {<target>: [action]}}`: what a `FaultSpec` may name',
      run: async (cloud) => faultOptions(cloud),
    },
    {
      method: 'GET',
      path: '/storage/files',
      answers: '`[{fileID, cloudPath, size, ownerOpenid?, ownerUser?, uploadedAt, imageType?}]`, sorted by fileID',
      run: async (cloud) => listFiles(cloud),
    },
    {
      method: 'GET',
      path: '/storage/preview',
      query: '?fileID=',
      answers:
        "the file's bytes, only when they are a PNG, JPEG, GIF or WebP image (recognised by their " +
        'bytes), with `nosniff` and a sandboxing CSP; 404 otherwise (an SVG or HTML file is never served as a ' +
        "page of devcloud's origin)",
      stream: async (cloud, { query }, _request, response) => servePreview(cloud, query.get('fileID') ?? '', response),
    },
  ],
};

async function listInvocations(cloud: DevCloud, { query }: RouteInput): Promise<InvocationPage> {
  const after = Number(query.get('after') ?? '0');
  if (!Number.isInteger(after) || after < 0) throw badRequest('after must be a whole number (a seq)');
  return {
    invocations: cloud.invocations.list(after),
    latestSeq: cloud.invocations.latestSeq,
    capacity: cloud.invocations.capacity,
  };
}

async function listUsers(cloud: DevCloud): Promise<UserView[]> {
  const sessions = new Map(cloud.wechat.inspect().sessions.map((session) => [session.openid, session]));
  return cloud.simulatedUsers().map((user) => {
    const view: UserView = {
      name: user.name,
      openid: user.openid,
      phoneMasked: maskPhone(user.phoneNumber),
      riskRank: user.riskRank,
    };
    if (user.unionid) view.unionid = user.unionid;
    const session = sessions.get(user.openid);
    if (session)
      view.session = {
        alive: session.alive,
        expiresAt: iso(session.expiresAt),
        keyVersion: session.keyVersion,
        rotatedAt: iso(session.rotatedAt),
      };
    const issued = cloud.invocations.latestToken(user.openid);
    if (issued?.error !== undefined) view.tokenError = issued.error;
    else if (issued?.header && issued.claims) {
      const exp = typeof issued.claims.exp === 'number' ? issued.claims.exp : undefined;
      view.token = {
        header: issued.header,
        claims: issued.claims,
        issuedAt: iso(issued.at),
        functionName: issued.functionName,
        expired: exp !== undefined && exp * 1000 <= Date.now(),
      };
    }
    return view;
  });
}

/**
 * "Log in as": what the user's phone does at a first launch. wx.login for a code (unless `withCode` is false),
 * then wx.cloud.callFunction of the login function (`functionName`, default "login") with it: both as the
 * phone's calls (fault target 'device'), the function's own calls as any invocation's.
 */
async function logInAs(cloud: DevCloud, { body }: RouteInput): Promise<LoginAsAnswer> {
  const user = body.user;
  if (typeof user !== 'string' || user === '' || user.length > 64)
    throw badRequest('user: a name of 1 to 64 characters');
  const functionName = body.functionName ?? 'login';
  if (typeof functionName !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(functionName))
    throw badRequest('functionName: a cloud function name');
  if (body.withCode !== undefined && typeof body.withCode !== 'boolean') throw badRequest('withCode: true or false');
  let event: Record<string, unknown> = {};
  if (body.withCode !== false) {
    const login = await phoneLogin(cloud, user);
    if (login.error || login.code === undefined)
      return { error: login.error ?? { errCode: -1, errMsg: 'login:fail no code' } };
    event = { code: login.code };
  }
  const report = await phoneInvoke(cloud, { name: functionName, event, user });
  return { report: redact(report, cloud.wechat.sessionKeys()) as InvocationReport };
}

async function weChatState(cloud: DevCloud): Promise<WeChatStateView> {
  const state = cloud.wechat.inspect();
  const userOf = (openid: string | undefined) => (openid ? cloud.userWithOpenid(openid)?.name : undefined);
  const named = <T extends { openid: string }>(item: T): T & { user?: string } => {
    const user = userOf(item.openid);
    return user === undefined ? item : { ...item, user };
  };
  const recentCalls: WeChatCallView[] = cloud
    .recordedCalls()
    .filter((call) => call.target === 'wechat' || call.target === 'cloudCall')
    .slice(-RECENT_CALLS)
    .reverse()
    .map((call) => {
      const view: WeChatCallView = {
        seq: call.seq,
        target: call.target as WeChatCallView['target'],
        action: call.action,
        outcome: call.outcome,
      };
      if (call.functionName) view.functionName = call.functionName;
      if (call.openid) view.openid = call.openid;
      const user = userOf(call.openid);
      if (user !== undefined) view.user = user;
      if (call.fault) view.fault = call.fault;
      return view;
    });
  return {
    sessionKeyRotation: state.sessionKeyRotation,
    loginCodes: state.loginCodes.map((code) => named(codeView(code))),
    phoneCodes: state.phoneCodes.map((code) => named(codeView(code))),
    sessions: state.sessions.map((session) =>
      named({
        openid: session.openid,
        alive: session.alive,
        expiresAt: iso(session.expiresAt),
        keyVersion: session.keyVersion,
        rotatedAt: iso(session.rotatedAt),
      }),
    ),
    rotations: state.rotations.map((rotation) => named({ ...rotation, at: iso(rotation.at) })),
    apiCalls: state.calls,
    recentCalls,
    cloudCalls: cloud.openapi
      .recordedCalls()
      .slice(-RECENT_CALLS)
      .reverse()
      .map(({ seq, at, api, functionName, openid, answeredBy, errcode }) => {
        const view: CloudCallView = { seq, at, api, functionName, answeredBy, errcode };
        if (openid) view.openid = openid;
        const user = userOf(openid);
        if (user !== undefined) view.user = user;
        return view;
      }),
  };
}

function codeView(code: ReturnType<DevCloud['wechat']['inspect']>['loginCodes'][number]) {
  return {
    codePrefix: code.codePrefix,
    openid: code.openid,
    issuedAt: iso(code.issuedAt),
    expiresAt: iso(code.expiresAt),
    ...(code.usedAt === undefined ? {} : { usedAt: iso(code.usedAt) }),
    status: code.status,
  };
}

async function faultOptions(cloud: DevCloud): Promise<FaultOptions> {
  // 'hold' is for scripts and tests, which release the call: the console's form has no release button.
  const modes = FAULT_MODES.filter((mode) => mode !== 'hold');
  return { targets: [...FAULT_TARGETS], modes, actions: cloud.faultActions() };
}

async function listFiles(cloud: DevCloud): Promise<FileView[]> {
  const views: FileView[] = [];
  for (const file of await cloud.storage.files()) {
    const view: FileView = {
      fileID: file.fileID,
      cloudPath: file.cloudPath,
      size: file.size,
      uploadedAt: iso(file.uploadedAt),
    };
    if (file.ownerOpenid) {
      view.ownerOpenid = file.ownerOpenid;
      const user = cloud.userWithOpenid(file.ownerOpenid)?.name;
      if (user !== undefined) view.ownerUser = user;
    }
    const type = imageTypeOf((await cloud.storage.read(file.fileID)) ?? Buffer.alloc(0));
    if (type) view.imageType = type;
    views.push(view);
  }
  return views;
}

/**
 * A stored image's bytes for the console's preview. Only PNG, JPEG, GIF and WebP, recognised by their bytes, with
 * nosniff and a sandbox: a stored SVG or HTML file is never served as a page of devcloud's origin.
 */
async function servePreview(cloud: DevCloud, fileID: string, response: http.ServerResponse): Promise<void> {
  const bytes = fileID ? await cloud.storage.read(fileID) : undefined;
  const type = bytes && imageTypeOf(bytes);
  if (!bytes || !type) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 'NOT_FOUND', message: `no image stored as ${fileID}` }));
    return;
  }
  response.writeHead(200, {
    'content-type': type,
    'content-length': String(bytes.length),
    'content-security-policy': "default-src 'none'; sandbox",
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  response.end(bytes);
}

function imageTypeOf(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 6).toString('latin1') === 'GIF87a' || bytes.subarray(0, 6).toString('latin1') === 'GIF89a')
    return 'image/gif';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return undefined;
}

/**
 * GET /devcloud/events: server-sent events. `invocation` (data: an InvocationRecord) when an invocation starts,
 * ends, or logs after its end; `change` (data: {route}) after a control request that changed something.
 */
function openEventStream(cloud: DevCloud, request: http.IncomingMessage, response: http.ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write(`retry: 1000\n: devcloud events, latest invocation ${cloud.invocations.latestSeq}\n\n`);
  const send = (event: string, data: unknown) => response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const unsubscribe = [
    cloud.invocations.subscribe((record) => send('invocation', record)),
    cloud.changes.subscribe((change) => send('change', change)),
  ];
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    clearInterval(heartbeat);
    for (const stop of unsubscribe) stop();
  };
  response.on('close', close);
  response.on('error', close);
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+?86/, '');
  return digits.length >= 7 ? `${digits.slice(0, 3)}****${digits.slice(-4)}` : '****';
}
