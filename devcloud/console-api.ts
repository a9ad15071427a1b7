/**
 * devcloud's console: the page at /console and the control routes it uses, which tests and scripts may use as
 * well. They sit behind the same guard as every other route (guard.ts: devcloud's own origin and Host only), and
 * what they change goes through the same services as a function's calls:
 *  - documents are written with the database actions wx-server-sdk sends (insert, replace, remove), through the
 *    fault model as target 'database' (a pending database fault acts on them as on a function's call);
 *  - "log in as" is a phone's wx.login and wx.cloud.callFunction (target 'device'), then the real function;
 *  - import and export are `--import` and `--export-on-exit`'s own code and file format (collections.ts).
 * Session keys, secrets and full phone numbers never leave: they are redacted (redact.ts).
 * Every route is listed in README.md's control API table.
 */
import { EJSON } from 'bson';
import type * as http from 'http';
import { consoleAssets } from './console-assets';
import type {
  CloudCallView,
  CollectionView,
  ControlError,
  DecodedToken,
  DocumentPage,
  ExportEntry,
  FaultOptions,
  FileView,
  InvocationPage,
  LoginAsAnswer,
  UserView,
  WeChatCallView,
  WeChatStateView,
} from './console/types';
import {
  checkDocument,
  collectionFileText,
  CollectionFileError,
  fileNameOf,
  importCollectionFiles,
  parseCollectionFile,
  type CollectionFile,
} from './collections';
import { isPlainObject } from './database/values';
import { DroppedConnection, FAULT_MODES, FAULT_TARGETS } from './faults';
import { phoneCall, type WxError } from './phone-api';
import { containsRedacted, redact, restoreRedacted, UnrestorableMarker } from './redact';
import type { InvocationReport } from './runtime';
import type { DevCloud } from './server';

/** A route's refusal: an HTTP status and `{code, message}`. */
class ConsoleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new ConsoleError(400, 'INVALID_ARGUMENT', message);
const notFound = (message: string) => new ConsoleError(404, 'NOT_FOUND', message);

/** The largest request body the console's routes read (an import of collection files). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Documents per page when the request names no limit, and the most it may name. */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
/** WeChat API and cloud calls GET /devcloud/wechat lists (the newest). */
const RECENT_CALLS = 100;
/** A comment line on open event streams this often, so a console that went away is noticed. */
const HEARTBEAT_MS = 15_000;

/** Headers of the page and its files: nothing from elsewhere, no framing (clickjacking), no sniffing. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * Serves the console's page (/console) and its control routes; answers false for any other path, which the
 * server then routes as before. The guard has already refused foreign origins and Hosts.
 */
export async function serveConsole(
  cloud: DevCloud,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: URL,
): Promise<boolean> {
  const method = request.method ?? 'GET';
  const path = url.pathname;
  if (path === '/console' || path.startsWith('/console/')) {
    await servePage(method, path, response);
    return true;
  }
  if (!path.startsWith('/devcloud/')) return false;
  const route = path.slice('/devcloud'.length);
  if (method === 'GET' && route === '/events') {
    openEventStream(cloud, request, response);
    return true;
  }
  if (method === 'GET' && route === '/storage/preview') {
    await servePreview(cloud, url.searchParams.get('fileID') ?? '', response);
    return true;
  }
  if (method === 'GET' && route.startsWith('/export/')) {
    await serveExportFile(cloud, route.slice('/export/'.length), response);
    return true;
  }
  const handler = findRoute(method, route);
  if (!handler) return false;
  let status = 200;
  let answer: unknown;
  try {
    const body = method === 'GET' || method === 'DELETE' ? {} : await readJson(request);
    answer = await handler.run(cloud, { params: handler.params, query: url.searchParams, body });
  } catch (error) {
    const refusal = asConsoleError(error);
    status = refusal.status;
    answer = { code: refusal.code, message: refusal.message } satisfies ControlError;
  }
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(answer));
  if (method !== 'GET') cloud.changes.notify({ route: `${method} ${route}` });
  return true;
}

function asConsoleError(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof CollectionFileError) return new ConsoleError(400, 'INVALID_COLLECTION_FILE', error.message);
  if (error instanceof UnrestorableMarker) return badRequest(error.message);
  if (error instanceof DroppedConnection) {
    return error.mode === 'reset'
      ? new ConsoleError(503, 'FAULT_RESET', 'an injected reset dropped the connection: nothing was applied')
      : new ConsoleError(503, 'FAULT_LOST', 'an injected fault lost the reply: the change was applied');
  }
  return new ConsoleError(500, 'SYS_ERR', error instanceof Error ? error.message : String(error));
}

// ---- the page --------------------------------------------------------------------------------------------------

async function servePage(method: string, path: string, response: http.ServerResponse): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const files: Record<string, (assets: Awaited<ReturnType<typeof consoleAssets>>) => [string, string]> = {
    '/console': (assets) => ['text/html; charset=utf-8', assets.html],
    '/console/': (assets) => ['text/html; charset=utf-8', assets.html],
    '/console/app.js': (assets) => ['text/javascript; charset=utf-8', assets.script],
    '/console/app.css': (assets) => ['text/css; charset=utf-8', assets.style],
  };
  const file = files[path];
  if (!file) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...PAGE_HEADERS }).end('Not found');
    return;
  }
  let assets;
  try {
    assets = await consoleAssets();
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', ...PAGE_HEADERS });
    response.end(`devcloud could not build its console: ${(error as Error).message}`);
    return;
  }
  const [type, text] = file(assets);
  response.writeHead(200, { 'content-type': type, ...PAGE_HEADERS });
  response.end(method === 'HEAD' ? undefined : text);
}

// ---- routes ----------------------------------------------------------------------------------------------------

interface RouteInput {
  params: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
}

type Handler = (cloud: DevCloud, input: RouteInput) => Promise<unknown>;

/** Method and path pattern; a `([^/]+)` group is a URL-encoded parameter. */
const ROUTES: Array<[string, RegExp, Handler]> = [
  ['GET', /^\/invocations$/, listInvocations],
  ['GET', /^\/users$/, listUsers],
  ['POST', /^\/users\/login$/, logInAs],
  ['GET', /^\/wechat$/, weChatState],
  ['GET', /^\/faults\/options$/, faultOptions],
  ['GET', /^\/storage\/files$/, listFiles],
  ['GET', /^\/collections$/, listCollections],
  ['GET', /^\/collections\/([^/]+)\/documents$/, findDocuments],
  ['POST', /^\/collections\/([^/]+)\/documents$/, insertDocument],
  ['PUT', /^\/collections\/([^/]+)\/documents\/([^/]+)$/, replaceDocument],
  ['DELETE', /^\/collections\/([^/]+)\/documents\/([^/]+)$/, removeDocument],
  ['GET', /^\/export$/, listExport],
  ['POST', /^\/import$/, importFiles],
];

function findRoute(method: string, route: string): { run: Handler; params: string[] } | undefined {
  for (const [routeMethod, pattern, run] of ROUTES) {
    const match = routeMethod === method ? pattern.exec(route) : null;
    if (!match) continue;
    try {
      return { run, params: match.slice(1).map((part) => decodeURIComponent(part ?? '')) };
    } catch {
      return { run: async () => Promise.reject(badRequest(`${route}: not a valid URL path`)), params: [] };
    }
  }
  return undefined;
}

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
    if (issued) {
      try {
        view.token = decodeToken(issued.token, issued.functionName, issued.at);
      } catch (error) {
        view.tokenError = (error as Error).message;
      }
    }
    return view;
  });
}

/** A compact JWS's header and payload, read (not verified: the console shows what the user holds). */
function decodeToken(token: string, functionName: string, at: number): DecodedToken {
  const [header, payload] = token.split('.');
  const part = (text: string | undefined, name: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(text ?? '', 'base64url').toString('utf8'));
    } catch {
      throw new Error(`the token's ${name} is not base64url JSON`);
    }
    if (!isPlainObject(value)) throw new Error(`the token's ${name} is not a JSON object`);
    return value;
  };
  const claims = part(payload, 'payload');
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  return {
    header: part(header, 'header'),
    claims,
    issuedAt: iso(at),
    functionName,
    expired: exp !== undefined && exp * 1000 <= Date.now(),
  };
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
    const login = (await phoneCall(cloud, 'POST /wx/login', { user })) as { code?: string; error?: WxError };
    if (login.error || login.code === undefined)
      return { error: login.error ?? { errCode: -1, errMsg: 'login:fail no code' } };
    event = { code: login.code };
  }
  const report = (await phoneCall(cloud, 'POST /functions/invoke', { name: functionName, event, user })) as
    InvocationReport | undefined;
  if (!report) throw new Error('the phone could not invoke the function');
  return { report: redact(report, secretsOf(cloud)) as InvocationReport };
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

// ---- documents -------------------------------------------------------------------------------------------------

async function listCollections(cloud: DevCloud): Promise<CollectionView[]> {
  const views: CollectionView[] = [];
  for (const name of await cloud.database.collections())
    views.push({ name, count: (await cloud.database.dump(name)).length });
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A document as the console shows it: relaxed Extended JSON, secrets as {"$redacted"} markers. */
function documentView(document: Record<string, unknown>): Record<string, unknown> {
  return EJSON.serialize(redact(document) as Record<string, unknown>, { relaxed: true });
}

/**
 * The documents of a collection, sorted by _id; `search` keeps those whose Extended JSON text (as shown, secrets
 * redacted) contains it, ignoring case. A read for inspection: it is not a database call and no fault acts on it.
 */
async function findDocuments(cloud: DevCloud, { params, query }: RouteInput): Promise<DocumentPage> {
  const collection = params[0]!;
  const limit = Number(query.get('limit') ?? DEFAULT_PAGE);
  const offset = Number(query.get('offset') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw badRequest(`limit: 1 to ${MAX_PAGE}`);
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('offset: a whole number');
  const search = (query.get('search') ?? '').trim().toLowerCase();
  const views = (await cloud.database.dump(collection)).map(documentView);
  const matching = search ? views.filter((view) => JSON.stringify(view).toLowerCase().includes(search)) : views;
  return {
    collection,
    total: matching.length,
    offset,
    limit,
    documents: matching.slice(offset, offset + limit),
  };
}

/** The `document` field of a request: relaxed Extended JSON, checked as a collection file's document is. */
function documentOf(body: Record<string, unknown>): Record<string, unknown> {
  if (!isPlainObject(body.document)) throw badRequest('document: an object (relaxed Extended JSON)');
  let parsed: unknown;
  try {
    parsed = EJSON.deserialize(body.document, { relaxed: true });
  } catch (error) {
    throw badRequest(`document: not valid Extended JSON: ${(error as Error).message}`);
  }
  return checkDocument(parsed, 'document');
}

/** One write through the database actions the SDK sends, under the fault model as target 'database'. */
async function databaseWrite(
  cloud: DevCloud,
  action: string,
  collection: string,
  fields: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const reply = await cloud.faults.run(
    { target: 'database', action, collection },
    {
      apply: async () => {
        try {
          const body = { action, envName: cloud.envId, collectionName: collection, ...fields };
          return { data: (await cloud.database.handle(action, body)).data as Record<string, unknown> };
        } catch (error) {
          const code = error && typeof error === 'object' && 'code' in error ? String(error.code) : 'SYS_ERR';
          return { error: { code, message: (error as Error).message } };
        }
      },
      refuse: (code) => ({
        error: {
          code: typeof code === 'string' ? code : 'DATABASE_REQUEST_FAILED',
          message: 'devcloud: injected database fault',
        },
      }),
      outcomeOf: (result) => (result.error ? 'error' : 'ok'),
    },
  );
  if (reply.error) {
    const duplicate = reply.error.message.includes('E11000');
    throw new ConsoleError(duplicate ? 409 : 400, reply.error.code, reply.error.message);
  }
  return reply.data ?? {};
}

const ejson = (value: Record<string, unknown>) => EJSON.stringify(value, { relaxed: false });

async function insertDocument(cloud: DevCloud, { params, body }: RouteInput): Promise<{ _id: string }> {
  const document = documentOf(body);
  if (containsRedacted(document)) throw badRequest('a new document cannot hold {"$redacted"} markers: give the values');
  const data = await databaseWrite(cloud, 'database.insertDocument', params[0]!, { data: [ejson(document)] });
  const [id] = data.insertedIds as string[];
  return { _id: id! };
}

/**
 * Replaces the document `id` as `doc(id).set()` would, but only if it exists (a document deleted meanwhile is not
 * brought back: 404). Markers left in the edited document keep the stored values.
 */
async function replaceDocument(cloud: DevCloud, { params, body }: RouteInput): Promise<{ updated: number }> {
  const [collection, id] = [params[0]!, params[1]!];
  const edited = documentOf(body);
  if (edited._id !== undefined && edited._id !== id)
    throw badRequest(`_id cannot change (${JSON.stringify(id)}): add a new document instead`);
  const stored = (await cloud.database.dump(collection)).find((document) => document._id === id);
  if (!stored) throw notFound(`${collection} has no document ${JSON.stringify(id)}`);
  const fields = { ...(restoreRedacted(edited, stored) as Record<string, unknown>) };
  delete fields._id;
  const data = await databaseWrite(cloud, 'database.modifyDocument', collection, {
    queryType: 'DOC',
    query: ejson({ _id: id }),
    data: ejson(fields),
    merge: false,
    upsert: false,
    multi: false,
  });
  return { updated: Number(data.updated ?? 0) };
}

async function removeDocument(cloud: DevCloud, { params }: RouteInput): Promise<{ deleted: number }> {
  const [collection, id] = [params[0]!, params[1]!];
  const data = await databaseWrite(cloud, 'database.removeDocument', collection, {
    queryType: 'DOC',
    query: ejson({ _id: id }),
    multi: false,
  });
  const deleted = Number(data.deleted ?? 0);
  if (deleted === 0) throw notFound(`${collection} has no document ${JSON.stringify(id)}`);
  return { deleted };
}

// ---- import and export -----------------------------------------------------------------------------------------

async function listExport(cloud: DevCloud): Promise<ExportEntry[]> {
  return (await listCollections(cloud)).map(({ name, count }) => ({ collection: name, file: fileNameOf(name), count }));
}

/** One collection's file, exactly as `--export-on-exit` writes it, as a download. */
async function serveExportFile(cloud: DevCloud, file: string, response: http.ServerResponse): Promise<void> {
  const collections = await cloud.database.collections();
  const collection = collections.find((name) => fileNameOf(name) === file);
  if (collection === undefined) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 'NOT_FOUND', message: `no collection is exported as ${file}` }));
    return;
  }
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="${file.replace(/["\\]/g, '_')}"`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  response.end(collectionFileText(await cloud.database.dump(collection)));
}

/**
 * `{files: [{name: "<collection>.json", text}]}`: `--import`'s format and code. Every file is checked first and
 * all are written in one transaction: a bad file or document changes nothing (400 INVALID_COLLECTION_FILE).
 */
async function importFiles(cloud: DevCloud, { body }: RouteInput): Promise<{ imported: Record<string, number> }> {
  if (!Array.isArray(body.files) || body.files.length === 0)
    throw badRequest('files: [{name: "<collection>.json", text}], at least one');
  const files: CollectionFile[] = [];
  for (const item of body.files as unknown[]) {
    if (!isPlainObject(item) || typeof item.name !== 'string' || typeof item.text !== 'string')
      throw badRequest('each file is {name: "<collection>.json", text}');
    const file = parseCollectionFile(item.name, item.text);
    if (files.some((other) => other.collection === file.collection))
      throw badRequest(`${item.name}: collection ${file.collection} is given twice`);
    files.push(file);
  }
  return { imported: await importCollectionFiles(cloud.database, files) };
}

// ---- the live stream -------------------------------------------------------------------------------------------

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
  request.on('close', close);
  response.on('error', close);
}

// ---- helpers ---------------------------------------------------------------------------------------------------

function secretsOf(cloud: DevCloud): string[] {
  return cloud.wechat.sessionKeys();
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+?86/, '');
  return digits.length >= 7 ? `${digits.slice(0, 3)}****${digits.slice(-4)}` : '****';
}

function readJson(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size > MAX_BODY_BYTES)
        return reject(new ConsoleError(413, 'TOO_LARGE', `a body over ${MAX_BODY_BYTES} bytes`));
      if (size === 0) return resolve({});
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reject(badRequest('the body is not JSON'));
      }
      if (!isPlainObject(parsed)) return reject(badRequest('the body is a JSON object'));
      resolve(parsed);
    });
  });
}
