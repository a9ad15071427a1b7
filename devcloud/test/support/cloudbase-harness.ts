/**
 * A small local CloudBase for test files that drive the REAL wx-server-sdk: one http server on 127.0.0.1 that the
 * SDK reaches as a cloud function inside SCF would, plus the process.env and cloud.init that make it do so.
 *
 * The harness owns the plumbing (server, SCF environment, which function is calling); each test file keeps its own
 * routing: what a request to `/fn/<name>/admin` means and what it answers.
 */
import http from 'http';
import type { AddressInfo } from 'net';
import cloud from 'wx-server-sdk';

type Fields = Record<string, unknown>;

/** What the harness already knows about a request when it hands it to the route. */
export interface CloudbaseRequest {
  /** The request URL, resolved against the harness's base URL. */
  url: URL;
  /** `<name>` for a POST to `/fn/<name>/admin` (an SDK call made as cloud function `<name>`), otherwise undefined. */
  functionName: string | undefined;
}

/** Answers one request; a rejection becomes an HTTP 500 with the error as its body. */
export type CloudbaseRoute = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: CloudbaseRequest,
) => Promise<void>;

export interface CloudbaseHarnessOptions {
  /** The CloudBase env id: SCF_NAMESPACE, TCB_ENV and cloud.init's env. */
  env: string;
  route: CloudbaseRoute;
  /** More process.env entries for the test file (restored with the rest on close). */
  extraEnv?: Record<string, string>;
}

export interface CloudbaseHarness {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  /** Makes the SDK call as cloud function `name`: TCB_CONTEXT_CNFG, read on every call, points at /fn/<name>/admin. */
  asFunction(name: string): void;
  /** Restores process.env as it was before the start and closes the server, idle keep-alive sockets included. */
  close(): Promise<void>;
}

const FUNCTION_API = /^\/fn\/([^/]+)\/admin$/;

/** Starts the server, then sets up process.env as inside SCF and calls cloud.init({ env }). */
export async function startCloudbaseHarness(options: CloudbaseHarnessOptions): Promise<CloudbaseHarness> {
  const savedEnv = { ...process.env };
  let baseUrl = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const fn = req.method === 'POST' ? FUNCTION_API.exec(url.pathname)?.[1] : undefined;
    options.route(req, res, { url, functionName: fn }).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  server.keepAliveTimeout = 10_000; // the SDK reuses idle sockets without retrying a reset
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // As inside SCF: no metadata lookup, credentials present (any value), current env known.
  Object.assign(process.env, {
    TENCENTCLOUD_RUNENV: 'SCF',
    SCF_NAMESPACE: options.env,
    TCB_ENV: options.env,
    TENCENTCLOUD_REGION: 'ap-shanghai',
    TENCENTCLOUD_SECRETID: 'local-id',
    TENCENTCLOUD_SECRETKEY: 'local-key',
    ...options.extraEnv,
  });
  cloud.init({ env: options.env });

  return {
    baseUrl,
    asFunction(name) {
      process.env['TCB_CONTEXT_CNFG'] = JSON.stringify({ URL: `${baseUrl}/fn/${name}/admin` });
    },
    async close() {
      process.env = savedEnv;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The whole body of a request (or of a client response). */
export function readBody(message: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

/** A JSON action body as the SDK posts it. */
export async function readJson(req: http.IncomingMessage): Promise<Fields> {
  return JSON.parse((await readBody(req)).toString('utf8')) as Fields;
}

/** Replies `body` as JSON, HTTP 200 as the service always does. */
export function jsonReply(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * The service's reply envelope for a JSON action: `{requestId, ...fields}` from `run`, or `{requestId, code, message}`
 * when it throws, with the code `codeOf` reads from the error.
 */
export async function actionReply(
  requestId: string,
  run: () => Promise<Fields>,
  codeOf: (err: unknown) => string,
): Promise<Fields> {
  try {
    return { requestId, ...(await run()) };
  } catch (err) {
    return { requestId, code: codeOf(err), message: err instanceof Error ? err.message : String(err) };
  }
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One plain HTTP request on a fresh socket (no agent), the whole reply read. */
export function httpRequest(
  method: string,
  url: string,
  headers: http.OutgoingHttpHeaders = {},
  body?: Buffer,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      readBody(res).then((data) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }), reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What `promise` rejects with (the SDK rejects with an error object carrying errCode, errMsg...). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (typeof outcome !== 'object' || outcome === null) throw new Error(`expected a rejection, got ${String(outcome)}`);
  return outcome as Record<string, unknown>;
}

/** A multipart/form-data body with one field per entry, as the SDK sends a wx.openApi cloud call. */
export function multipart(parts: Record<string, string | Buffer>): { contentType: string; body: Buffer } {
  const boundary = '----devcloudtest';
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(parts)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`));
    chunks.push(Buffer.from(value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
