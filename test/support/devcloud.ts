import { spawn } from 'child_process';
import { join } from 'path';
import { DevCloudControl, startDevCloud, type DevCloud, type DevCloudOptions, type HeldCall } from 'devcloud';

const ROOT = join(__dirname, '..', '..');
/** The kit's cloud functions (built by `npm test`'s pretest). */
const FUNCTIONS = join(ROOT, 'cloudfunctions');
/** The devcloud command as npm installed it for the kit, the way any project runs it (`npx devcloud`). */
const DEVCLOUD_BIN = join(ROOT, 'node_modules', '.bin', 'devcloud');

export interface TestCloud {
  control: DevCloudControl;
  /** Present when devcloud runs in this process (node test environment). */
  cloud?: DevCloud;
  stop(): Promise<void>;
}

/**
 * The login function's WeChat timeout in tests: a safety net far above any answer time on a loaded machine (the
 * production 3 s was exceeded under load). A test that needs the timeout to fire sets a short one for itself and
 * holds the WeChat call (a 'hold' fault), so that only the timeout can answer.
 */
export const TEST_WECHAT_TIMEOUT_MS = 20_000;

/**
 * The functions' timeout in tests: a safety net against load (two cores shared by jest workers and whatever else
 * runs), not a measured bound: room for two WeChat attempts of TEST_WECHAT_TIMEOUT_MS. CloudBase's default (3 s) is
 * for production.
 */
export const TEST_FUNCTION_TIMEOUT_MS = 60_000;

/** A devcloud for one test file, in memory, in this process. */
export async function startTestCloud(options: DevCloudOptions = {}): Promise<TestCloud> {
  const cloud = await startDevCloud({
    functionsDir: FUNCTIONS,
    functionTimeoutMs: TEST_FUNCTION_TIMEOUT_MS,
    timers: false, // admin's pruneLogs fires daily at 03:00 UTC+8: never in the middle of a test's assertions
    ...options,
    functionEnv: {
      ...options.functionEnv,
      login: { WECHAT_API_TIMEOUT_MS: String(TEST_WECHAT_TIMEOUT_MS), ...options.functionEnv?.login },
    },
  });
  return { cloud, control: new DevCloudControl(cloud.url), stop: () => cloud.stop() };
}

/**
 * A devcloud in a child process, for jsdom test files (miniprogram-simulate): jsdom's globals are not Node's, so
 * the server runs outside and the simulated device reaches it over HTTP, as a phone reaches the cloud.
 */
export async function startChildCloud(options: Pick<DevCloudOptions, 'functionEnv'> = {}): Promise<TestCloud> {
  // The same safety nets as startTestCloud's, not CloudBase's 3 s and the login function's production timeout.
  const functionEnv = {
    ...options.functionEnv,
    login: { WECHAT_API_TIMEOUT_MS: String(TEST_WECHAT_TIMEOUT_MS), ...options.functionEnv?.login },
  };
  const args = [
    ...['--functions', FUNCTIONS, '--memory', '--port', '0', '--json'],
    ...['--function-timeout', String(TEST_FUNCTION_TIMEOUT_MS / 1000), '--function-env', JSON.stringify(functionEnv)],
  ];
  const child = spawn(DEVCLOUD_BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`devcloud exited early (${code})`)));
    child.once('error', reject); // e.g. the bin is missing: run npm ci
  });
  return {
    control: new DevCloudControl(url),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let counter = 0;
/** A user name no other test uses, so tests sharing a devcloud never see each other's documents. */
export function uniqueUser(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Date.now().toString(36)}`;
}

/**
 * The example backend (verifier/example-backend.ts) in a child process, for jsdom test files: jose's Node build cannot run in
 * jsdom's realm. Configured as a developer would, through its environment.
 */
export async function startChildBackend(env: {
  issuers: string;
  jwks: unknown;
  /** The CloudBase API the backend asks whether a token is current (devcloud's); none: AUTH_REVOCATION=off. */
  revocation?: { serviceUrl: string; envId: string };
}): Promise<{
  url: string;
  stop(): Promise<void>;
}> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'verifier', 'example-backend.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        AUTH_TOKEN_ISSUERS: env.issuers,
        AUTH_JWKS: JSON.stringify(env.jwks),
        ...(env.revocation
          ? {
              CLOUDBASE_ENV_ID: env.revocation.envId,
              CLOUDBASE_SECRET_ID: 'devcloud-secret-id',
              CLOUDBASE_SECRET_KEY: 'devcloud-secret-key',
              CLOUDBASE_SERVICE_URL: env.revocation.serviceUrl,
            }
          : { AUTH_REVOCATION: 'off' }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = /example backend at (http:\/\/\S+)/.exec(buffered);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`backend exited early (${code})`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The first call a `mode: 'hold'` fault holds that `matches`: waits for that event (polling devcloud), not for a
 * duration. The bound only ends a run in which the call never comes; it is far beyond any load.
 */
export async function heldCall(control: DevCloudControl, matches: (call: HeldCall) => boolean): Promise<HeldCall> {
  for (let polls = 0; polls < 6000; polls += 1) {
    const call = (await control.heldCalls()).find(matches);
    if (call) return call;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the call was never held');
}
