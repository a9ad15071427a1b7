import * as http from 'http';

/** A JSON call to devcloud's control API. Plain http so it works in any jest environment (node or jsdom). */
export function controlRequest<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  // A string, not a URL object: under jsdom the global URL is jsdom's, which Node's http does not accept.
  const url = `${baseUrl.replace(/\/+$/, '')}/devcloud${path}`;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise<T>((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        agent: keepAlive,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((response.statusCode ?? 500) >= 400)
            reject(new Error(`devcloud ${method} ${path}: ${response.statusCode} ${text}`));
          else resolve((text ? JSON.parse(text) : undefined) as T);
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
