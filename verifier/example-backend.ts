/**
 * The example backend: your own API, which trusts the mini-program's login through the session token.
 *   GET /api/me   the verified claims of the caller's token (401 without a valid one)
 *   GET /healthz  liveness
 *
 * `npm run backend` serves it on its own (configuration below); `npm start` runs it beside devcloud in the journey.
 *   AUTH_TOKEN_ISSUERS  your AppID(s), comma-separated (required)
 *   AUTH_JWKS           your JWKS as JSON text, or
 *   AUTH_JWKS_FILE      a JWKS file (default .keys/jwks.json, written by `npm run keys`), and/or
 *   AUTH_JWKS_URL       a URL serving your JWKS
 *   PORT, HOST          default 8788 on 127.0.0.1
 */
import { existsSync, readFileSync } from 'fs';
import type { AddressInfo } from 'net';
import { join } from 'path';
import express, { type Express } from 'express';
import { requireSessionToken } from './express';
import { createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from './verify';

export function createBackendApp(verify: TokenVerifier): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/api', requireSessionToken(verify));
  app.get('/api/me', (req, res) => {
    res.json(req.auth);
  });
  return app;
}

export interface RunningBackend {
  url: string;
  close(): Promise<void>;
}

/** Serves the example backend on loopback (port 0: any free port). */
export async function startBackend(
  options: TokenVerifierOptions & { port?: number; host?: string },
): Promise<RunningBackend> {
  const { port = 0, host = '127.0.0.1', ...verifierOptions } = options;
  const app = createBackendApp(createTokenVerifier(verifierOptions));
  const server = await new Promise<ReturnType<Express['listen']>>((resolve, reject) => {
    const listening = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const issuers = (process.env.AUTH_TOKEN_ISSUERS ?? '')
    .split(',')
    .map((issuer) => issuer.trim())
    .filter(Boolean);
  const jwksFile = process.env.AUTH_JWKS_FILE ?? join(__dirname, '..', '.keys', 'jwks.json');
  const jwksUrl = process.env.AUTH_JWKS_URL;
  if (issuers.length === 0) throw new Error('set AUTH_TOKEN_ISSUERS to your AppID(s)');
  const jwksText = process.env.AUTH_JWKS ?? (existsSync(jwksFile) ? readFileSync(jwksFile, 'utf8') : undefined);
  const jwks = jwksText ? (JSON.parse(jwksText) as TokenVerifierOptions['jwks']) : undefined;
  if (!jwks && !jwksUrl) throw new Error(`no JWKS: run npm run keys (writes ${jwksFile}) or set AUTH_JWKS_URL`);
  const backend = await startBackend({
    issuer: issuers,
    ...(jwks ? { jwks } : {}),
    ...(jwksUrl ? { jwksUrl } : {}),
    port: Number(process.env.PORT ?? 8788),
    host: process.env.HOST ?? '127.0.0.1',
  });
  // The first line is what test harnesses read to learn the address (PORT=0 picks a free port).
  console.log(`example backend at ${backend.url} (issuers ${issuers.join(', ')})`);
  console.log(`  curl -s ${backend.url}/api/me -H "Authorization: Bearer $TOKEN"`);
  const stop = () => void backend.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// (miniprogram-api-typings, loaded for the tests, redeclares `require`; Node's own has `main`.)
if ((require as unknown as NodeJS.Require).main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
