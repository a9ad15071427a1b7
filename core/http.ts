import * as http from 'http';
import * as https from 'https';

export class HttpFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'status' | 'parse',
    message: string,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

/**
 * GET a JSON document with a hard deadline. Node's http/https rather than fetch: CloudBase runtimes go back to
 * Node 16, which has no global fetch. The deadline covers the whole exchange, not just the connect.
 */
export function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { headers: { accept: 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(new HttpFailure('network', error.message)));
      response.on('end', () => {
        clearTimeout(timer);
        if ((response.statusCode ?? 0) >= 400) {
          reject(new HttpFailure('status', `HTTP ${response.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new HttpFailure('parse', 'response is not JSON'));
        }
      });
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new HttpFailure('timeout', `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new HttpFailure('network', error.message));
    });
  });
}
