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
 * Revocation (a token stops being accepted at logout, ban and 注销, not only at its exp):
 *   CLOUDBASE_ENV_ID, CLOUDBASE_SECRET_ID, CLOUDBASE_SECRET_KEY   read each caller's users document (cloudbase-sessions.ts)
 *   CLOUDBASE_SERVICE_URL   another address for the CloudBase API (devcloud's <url>/admin)
 *   AUTH_REVOCATION=off     accept tokens until they expire, without asking (it must be said: never the default)
 */
import { existsSync, readFileSync } from 'fs';
import type { AddressInfo } from 'net';
import { join } from 'path';
import express, { type Express } from 'express';
import { cloudBaseSessions } from './cloudbase-sessions';
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
  const revocation = revocationFromEnv(process.env);
  const backend = await startBackend({
    issuer: issuers,
    ...(revocation ? { currentSession: revocation } : {}),
    ...(jwks ? { jwks } : {}),
    ...(jwksUrl ? { jwksUrl } : {}),
    port: Number(process.env.PORT ?? 8788),
    host: process.env.HOST ?? '127.0.0.1',
  });
  // The first line is what test harnesses read to learn the address (PORT=0 picks a free port).
  console.log(`example backend at ${backend.url} (issuers ${issuers.join(', ')})`);
  console.log(`  curl -s ${backend.url}/api/me -H "Authorization: Bearer $TOKEN"`);
  console.log(revocation ? "  revocation: each caller's users document in CloudBase" : '  revocation: off');
  const stop = () => void backend.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const CLOUDBASE_VARIABLES = ['CLOUDBASE_ENV_ID', 'CLOUDBASE_SECRET_ID', 'CLOUDBASE_SECRET_KEY'] as const;

/** The revocation source the environment configures; a backend that would silently skip it refuses to start. */
export function revocationFromEnv(environment: NodeJS.ProcessEnv): TokenVerifierOptions['currentSession'] {
  const revocation = environment.AUTH_REVOCATION?.trim();
  if (revocation === 'off') return undefined;
  if (revocation !== undefined && revocation !== '' && revocation !== 'cloudbase') {
    throw new Error(`AUTH_REVOCATION must be cloudbase or off, not ${JSON.stringify(revocation)}`);
  }
  const [env, secretId, secretKey] = CLOUDBASE_VARIABLES.map((name) => environment[name]?.trim() ?? '');
  const missing = CLOUDBASE_VARIABLES.filter((name) => !environment[name]?.trim());
  if (!env || !secretId || !secretKey) {
    throw new Error(
      `set ${missing.join(', ')} (the revocation source: logout, bans and 注销 end tokens), or AUTH_REVOCATION=off`,
    );
  }
  const serviceUrl = environment.CLOUDBASE_SERVICE_URL?.trim();
  return cloudBaseSessions({ env, secretId, secretKey, ...(serviceUrl ? { serviceUrl } : {}) });
}

// (miniprogram-api-typings, loaded for the tests, redeclares `require`; Node's own has `main`.)
if ((require as unknown as NodeJS.Require).main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
