import type { IncomingMessage, ServerResponse } from 'http';

/**
 * Who may talk to devcloud. It listens on loopback only, but a browser on the same machine is a bridge: any web page
 * can send a request to 127.0.0.1 (CSRF), and a page on a host name that an attacker's DNS re-points to 127.0.0.1
 * reaches it as "same origin" (DNS rebinding). Both show in headers a page cannot forge, so devcloud refuses:
 *  - a Host other than 127.0.0.1:<port> or localhost:<port> (rebinding: the browser sends the attacker's name);
 *  - an Origin other than devcloud's own (browsers send Origin on cross-origin requests and on POSTs);
 *  - CORS preflights (OPTIONS): no other origin is ever allowed, so none is invited to try.
 * Clients that send no Origin (curl, Node's http, wx-server-sdk, the simulated device) are served as before.
 *
 * Returns the reason a request is refused, or undefined when it may be served.
 */
export function foreignRequestReason(request: IncomingMessage, port: number): string | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = request.headers.host;
  if (host === undefined || !hosts.includes(host.toLowerCase()))
    return `Host ${JSON.stringify(host ?? '')} is not devcloud's: use ${hosts.join(' or ')}`;
  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.some((allowed) => origin.toLowerCase() === `http://${allowed}`))
    return `requests from origin ${JSON.stringify(origin)} are refused: devcloud serves its own origin only`;
  if (request.method === 'OPTIONS') return 'CORS preflight refused: devcloud allows no other origin';
  return undefined;
}

/** Answers a refused request with 403 and a JSON error; returns true when it did (the request is then done). */
export function refuseForeignRequest(baseUrl: string, request: IncomingMessage, response: ServerResponse): boolean {
  const reason = foreignRequestReason(request, Number(new URL(baseUrl).port));
  if (reason === undefined) return false;
  response.writeHead(403, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ code: 'FORBIDDEN', message: reason }));
  return true;
}
