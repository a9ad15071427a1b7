/** wx.request on a simulated phone: loopback HTTP only, callbacks and a RequestTask, as the WeChat client runs it. */
import * as http from 'http';
import * as https from 'https';
import { wxApi, type WxCallbacks } from './wx-api';

export interface RequestRecord {
  method: string;
  url: string;
  header: Record<string, string>;
  /** The HTTP status, or the errMsg of a failed request. */
  outcome: number | string;
}

export interface RequestOptions {
  url: string;
  method?: string;
  data?: string | Record<string, unknown> | ArrayBuffer;
  header?: Record<string, string>;
  timeout?: number;
  dataType?: string;
  responseType?: 'text' | 'arraybuffer';
}

export interface RequestSuccess {
  data: unknown;
  statusCode: number;
  header: Record<string, string>;
  cookies: string[];
  errMsg: string;
}

/** Loopback only: a phone's WeChat refuses any host outside the mini-program's request whitelist. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * wx.request, as the WeChat client runs it, to local HTTP servers only (the developer's backend under test);
 * anything else fails as a domain missing from the request whitelist does. Like the real one it answers through
 * callbacks and returns a RequestTask (no promise); every HTTP status is a success, only transport failures fail.
 * Data: an object goes as JSON (as the query string for GET); a JSON answer is parsed (dataType 'json').
 */
export function wxRequest(
  o: RequestOptions & WxCallbacks<RequestSuccess>,
  device: { requests: RequestRecord[]; trail: string[] },
): { abort(): void } {
  const method = (o.method ?? 'GET').toUpperCase();
  const header = { ...o.header };
  const record: RequestRecord = { method, url: o.url, header, outcome: 'pending' };
  device.requests.push(record);
  let url: URL | undefined;
  try {
    url = new URL(o.url);
  } catch {
    url = undefined;
  }
  device.trail.push(`request:${method} ${url ? url.pathname : o.url}`);
  let outgoing: http.ClientRequest | undefined;
  const run = async (): Promise<RequestSuccess> => {
    if (!url || !/^https?:$/.test(url.protocol)) throw { errMsg: 'request:fail invalid url' };
    // errno 600002 is WeChat's "url not in domain list".
    if (!LOCAL_HOSTS.has(url.hostname)) throw { errMsg: 'request:fail url not in domain list', errno: 600002 };
    const target = url;
    const { body, contentType } = requestBody(method, target, o.data, header);
    if (contentType && !Object.keys(header).some((key) => key.toLowerCase() === 'content-type'))
      header['content-type'] = contentType;
    const reply = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: Buffer }>(
      (resolve, reject) => {
        const transport = target.protocol === 'https:' ? https : http;
        outgoing = transport.request(target, { method, headers: header, timeout: o.timeout ?? 60_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        });
        outgoing.on('timeout', () => outgoing?.destroy(Object.assign(new Error('timeout'), { wxTimeout: true })));
        outgoing.on('error', reject);
        outgoing.end(body);
      },
    ).catch((error: unknown) => {
      const timedOut = (error as { wxTimeout?: boolean }).wxTimeout;
      throw { errMsg: timedOut ? 'request:fail timeout' : `request:fail ${(error as Error).message}` };
    });
    record.outcome = reply.status;
    return {
      data: responseData(reply.bytes, o),
      statusCode: reply.status,
      header: Object.fromEntries(Object.entries(reply.headers).map(([key, value]) => [key, String(value)])),
      cookies: [],
      errMsg: 'request:ok',
    };
  };
  void wxApi(o, () =>
    run().catch((error: unknown) => {
      record.outcome = (error as { errMsg?: string }).errMsg ?? 'request:fail';
      throw error;
    }),
  ).catch(() => undefined);
  return { abort: () => outgoing?.destroy(new Error('abort')) };
}

function requestBody(
  method: string,
  url: URL,
  data: RequestOptions['data'],
  header: Record<string, string>,
): { body?: Buffer | string; contentType?: string } {
  if (data === undefined) return {};
  if (data instanceof ArrayBuffer) return { body: Buffer.from(data) };
  if (typeof data === 'string') return method === 'GET' ? {} : { body: data };
  const form = new URLSearchParams(Object.entries(data).map(([key, value]) => [key, String(value)]));
  if (method === 'GET') {
    for (const [key, value] of form) url.searchParams.append(key, value);
    return {};
  }
  const type = Object.entries(header).find(([key]) => key.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
  if (type.includes('x-www-form-urlencoded')) return { body: form.toString() };
  return { body: JSON.stringify(data), contentType: 'application/json' };
}

function responseData(bytes: Buffer, o: RequestOptions): unknown {
  if (o.responseType === 'arraybuffer') return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const text = bytes.toString('utf8');
  if ((o.dataType ?? 'json') !== 'json') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
