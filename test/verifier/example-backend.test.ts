/**
 * The example backend's configuration of revocation: it never starts silently without one. With the CloudBase
 * variables it asks each caller's users document (cloudbase-sessions.ts, tested against devcloud in
 * test/fuzz/token-lifecycle.test.ts); AUTH_REVOCATION=off must be said; anything else is refused, naming what is missing.
 */
import { spawnSync } from 'child_process';
import { join } from 'path';
import { revocationFromEnv } from '../../verifier/example-backend';

const ROOT = join(__dirname, '..', '..');
const CLOUDBASE = { CLOUDBASE_ENV_ID: 'env-1', CLOUDBASE_SECRET_ID: 'id', CLOUDBASE_SECRET_KEY: 'key' };

test('the CloudBase variables configure the users-document source; AUTH_REVOCATION=off configures none', () => {
  expect(typeof revocationFromEnv(CLOUDBASE)).toBe('function');
  expect(typeof revocationFromEnv({ ...CLOUDBASE, AUTH_REVOCATION: 'cloudbase' })).toBe('function');
  expect(revocationFromEnv({ AUTH_REVOCATION: 'off' })).toBeUndefined();
});

test('a missing variable is named, and an unknown AUTH_REVOCATION refused', () => {
  expect(() => revocationFromEnv({})).toThrow(
    'set CLOUDBASE_ENV_ID, CLOUDBASE_SECRET_ID, CLOUDBASE_SECRET_KEY (the revocation source',
  );
  expect(() => revocationFromEnv({ ...CLOUDBASE, CLOUDBASE_SECRET_KEY: ' ' })).toThrow(/^set CLOUDBASE_SECRET_KEY /);
  expect(() => revocationFromEnv({ ...CLOUDBASE, AUTH_REVOCATION: 'none' })).toThrow(
    'AUTH_REVOCATION must be cloudbase or off, not "none"',
  );
});

test('npm run backend without a revocation source exits 1 and says what to set, printing no secret', () => {
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'verifier/example-backend.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      AUTH_TOKEN_ISSUERS: 'wx0000000000000000',
      AUTH_JWKS: '{"keys":[]}',
      CLOUDBASE_ENV_ID: 'env-1',
      CLOUDBASE_SECRET_KEY: 'very-secret-value',
    },
    encoding: 'utf8',
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('set CLOUDBASE_SECRET_ID (the revocation source');
  expect(run.stdout + run.stderr).not.toContain('very-secret-value');
});
