/**
 * devcloud: CloudBase and WeChat on loopback. One HTTP server carries
 *   /fn/<function>/i/<instance>/admin   the CloudBase API wx-server-sdk calls (database, storage, cloud calls),
 *                          per function instance (so a cloud call knows whose invocation makes it)
 *   /admin                 the same API for @cloudbase/node-sdk outside any function (no function, no user)
 *   /wx/...                the WeChat server API fake (jscode2session, checksession, ...)
 *   /storage/...           upload and download URLs of the storage emulator
 *   /console               the console's page
 *   /devcloud/...          the control API (hub/routes/*.ts): simulated phones, invocation, faults, inspection
 * Every call a function or a simulated phone makes runs through one FaultInjector (faults/): faults of any kind
 * can be injected into it, and it records the calls.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { resolve } from 'path';
import { DroppedConnection, InvalidFault } from '../faults';
import { DEFAULT_APPID, DEFAULT_APPSECRET, DEFAULT_ENV } from '../wechat';
import { answerTooLarge, BODY_LIMITS, BodyTooLarge, readBody } from '../http/body';
import { DevCloud, type DevCloudOptions } from './cloud';
import { servePage } from './console-page';
import { refuseForeignRequest } from './guard';
import { collectionsInRulesDir, projectFunctionsDir, projectRulesDir } from './project';
import { CONTROL_API } from './routes';

/** The collections a project declares: its rules folder's, and any named in the options. */
function declaredCollections(options: DevCloudOptions): string[] {
  const rulesDir = options.rulesDir === false ? undefined : (options.rulesDir ?? projectRulesDir());
  return [...(rulesDir === undefined ? [] : collectionsInRulesDir(resolve(rulesDir))), ...(options.collections ?? [])];
}

export async function startDevCloud(options: DevCloudOptions = {}): Promise<DevCloud> {
  const collections = declaredCollections(options);
  // Assigned once listening (the URL needs the port); requests before that get 503.
  let cloud: DevCloud | undefined;
  const server = http.createServer((request, response) => {
    if (!cloud) {
      response.writeHead(503).end();
      return;
    }
    if (refuseForeignRequest(cloud.url, request, response)) return;
    route(cloud, request, response).catch((error: unknown) => {
      // An injected reset or lost reply: the caller sees its connection close with no answer. What it still sends
      // (an upload's bytes) is read first, so it always fails waiting for the answer ("socket hang up"), never on
      // a write (EPIPE) that depends on timing.
      if (error instanceof DroppedConnection) {
        if (request.complete) request.socket.destroy();
        else request.on('end', () => request.socket.destroy()).resume();
        return;
      }
      if (error instanceof BodyTooLarge) {
        answerTooLarge(response, error.limit);
        return;
      }
      if (error instanceof InvalidFault) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: error.code, message: error.message }));
        return;
      }
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'SYS_ERR', message: String((error as Error)?.message ?? error) }));
    });
  });
  // wx-server-sdk keeps sockets alive without retrying a reset: hold idle sockets longer than it does (5 s).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((done) => server.listen(options.port ?? 0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  try {
    cloud = new DevCloud(`http://127.0.0.1:${port}`, server, {
      ...options,
      appid: options.appid ?? DEFAULT_APPID,
      envId: options.envId ?? DEFAULT_ENV,
      appSecret: options.appSecret ?? DEFAULT_APPSECRET,
      functionsDir: resolve(options.functionsDir ?? projectFunctionsDir()),
    });
  } catch (error) {
    server.close(); // a listening server would keep the process (and jest) alive
    throw error;
  }
  try {
    await cloud.database.ensureCollections(collections);
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  if (options.timers !== false) await cloud.timers.start();
  return cloud;
}

/** The CloudBase endpoint's reply to a body over its limit: HTTP 413, with the service's code for it. */
function cloudBaseTooLarge(limit: number) {
  return {
    type: 'application/json',
    text: JSON.stringify({ code: 'EXCEED_MAX_PAYLOAD_SIZE', message: `the request body is over ${limit} bytes` }),
  };
}

async function route(cloud: DevCloud, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', cloud.url);
  const path = url.pathname;
  // A function instance's URL, or /admin: node-sdk outside any function (serviceUrl or TCB_CONTEXT_CNFG's URL).
  const fn = /^(?:\/fn\/([A-Za-z0-9_-]+)(?:\/i\/([0-9]+))?)?\/admin\/?$/.exec(path);
  if (fn && request.method === 'POST') {
    const instanceId = fn[2] === undefined ? undefined : Number(fn[2]);
    let raw: Buffer;
    try {
      raw = await readBody(request, BODY_LIMITS.cloudbase);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      return answerTooLarge(response, error.limit, cloudBaseTooLarge(error.limit));
    }
    const reply = await cloud.handleCloudApi(fn[1], instanceId, request.headers['content-type'], raw);
    response.writeHead(reply.status, { 'content-type': reply.type }).end(reply.body);
    return;
  }
  if (path.startsWith('/wx/')) {
    const raw = await readBody(request, BODY_LIMITS.control);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      // WeChat answers a body it cannot parse with HTTP 200 and errcode 47001 (data format error).
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errcode: 47001, errmsg: 'data format error' }));
      return;
    }
    const reply = await cloud.wechat.serve(request.method ?? 'GET', path.slice(3), url.searchParams, body);
    response.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    return;
  }
  if (path.startsWith('/storage/')) {
    if (await cloud.storage.serve(request, response, path.slice('/storage'.length))) return;
  }
  if (path === '/console' || path.startsWith('/console/')) {
    request.resume();
    return servePage(request.method ?? 'GET', path, response);
  }
  if (path.startsWith('/devcloud/'))
    return CONTROL_API.serve(cloud, request, response, path.slice('/devcloud'.length), url.searchParams);
  request.resume();
  response
    .writeHead(404, { 'content-type': 'application/json' })
    .end(JSON.stringify({ code: 'NOT_FOUND', message: path }));
}
