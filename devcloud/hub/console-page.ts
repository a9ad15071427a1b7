/**
 * The console's page: /console (the shell), /console/app.js and /console/app.css, built from console/ on first
 * request (console-assets.ts). It talks to the control API only, under the same guard as every route.
 */
import type * as http from 'http';
import { consoleAssets } from './console-assets';

/** Headers of the page and its files: nothing from elsewhere, no framing (clickjacking), no sniffing. */
export const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Answers a request for the page or one of its files. */
export async function servePage(method: string, path: string, response: http.ServerResponse): Promise<void> {
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
