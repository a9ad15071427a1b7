/**
 * The simulated device's wx.request (devcloud/device.ts): local HTTP servers only, WeChat's callback shapes, every
 * HTTP status a success, and the whitelist refusal for any other host.
 */
import { createServer, type IncomingMessage, type Server } from 'http';
import type { AddressInfo } from 'net';
import { createDevice, type Device } from '../phone/device';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base = '';
const seen: Seen[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/text') res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
      else if (req.url === '/missing')
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"nope"}');
      else res.writeHead(200, { 'content-type': 'application/json', 'x-reply': 'yes' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
});

type Callbacks = Parameters<Device['wx']['request']>[0];

/** wx.request with callbacks, as the mini-program calls it: resolves with which callback ran and its argument. */
function call(device: Device, options: Omit<Callbacks, 'success' | 'fail' | 'complete'>) {
  return new Promise<{ via: 'success' | 'fail'; result: Record<string, unknown>; completed: boolean }>((resolve) => {
    let outcome: { via: 'success' | 'fail'; result: Record<string, unknown> } | undefined;
    const task = device.wx.request({
      ...options,
      success: (result) => (outcome = { via: 'success', result: result as unknown as Record<string, unknown> }),
      fail: (error) => (outcome = { via: 'fail', result: error as Record<string, unknown> }),
      complete: () => resolve({ ...outcome!, completed: true }),
    });
    expect(typeof task.abort).toBe('function'); // a RequestTask, not a promise
    expect(task).not.toBeInstanceOf(Promise);
  });
}

const device = () => createDevice({ devcloudUrl: 'http://127.0.0.1:9', user: 'request-test' });

test('GET to a local server: JSON parsed, headers and status given, an object sent as the query string', async () => {
  const phone = device();
  const { via, result, completed } = await call(phone, {
    url: `${base}/api/thing`,
    data: { q: 'a b', n: 2 },
    header: { Authorization: 'Bearer t' },
  });
  expect({ via, completed }).toEqual({ via: 'success', completed: true });
  expect(result).toMatchObject({ statusCode: 200, data: { ok: true }, errMsg: 'request:ok' });
  expect((result.header as Record<string, string>)['x-reply']).toBe('yes');
  expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/thing?q=a+b&n=2', body: '' });
  expect(seen[0]?.headers.authorization).toBe('Bearer t');
  expect(phone.trail).toEqual(['request:GET /api/thing']);
  expect(phone.requests).toEqual([
    { method: 'GET', url: `${base}/api/thing`, header: { Authorization: 'Bearer t' }, outcome: 200 },
  ]);
});

test('POST sends an object as JSON; localhost works too; a text answer stays text', async () => {
  const phone = device();
  const posted = await call(phone, {
    url: `${base.replace('127.0.0.1', 'localhost')}/api/save`,
    method: 'POST',
    data: { name: '小艾' },
  });
  expect(posted.result).toMatchObject({ statusCode: 200 });
  expect(seen[0]).toMatchObject({ method: 'POST', body: '{"name":"小艾"}' });
  expect(seen[0]?.headers['content-type']).toBe('application/json');
  const text = await call(phone, { url: `${base}/text` });
  expect(text.result.data).toBe('plain words');
});

test('an error status is still a success (WeChat fails only when there is no answer)', async () => {
  const { via, result } = await call(device(), { url: `${base}/missing` });
  expect(via).toBe('success');
  expect(result).toMatchObject({ statusCode: 404, data: { error: 'nope' } });
});

test.each(['https://api.example.com/api/me', 'http://10.0.0.8/api/me', 'http://127.0.0.1.example.com/x'])(
  '%s: refused like a domain outside the request whitelist, nothing sent',
  async (url) => {
    const phone = device();
    const { via, result } = await call(phone, { url });
    expect(via).toBe('fail');
    expect(result).toEqual({ errMsg: 'request:fail url not in domain list', errno: 600002 });
    expect(seen).toEqual([]);
    expect(phone.requests[0]?.outcome).toBe('request:fail url not in domain list');
  },
);

test('a local port with nothing listening fails with request:fail', async () => {
  const { via, result } = await call(device(), { url: 'http://127.0.0.1:9/api/me' });
  expect(via).toBe('fail');
  expect(String(result.errMsg)).toMatch(/^request:fail /);
});
