/**
 * The journey's 「我的后端」 steps (`npm start`): an ephemeral session-token key pair, its private key given to the
 * login function through devcloud's functionEnv and its JWKS to the example backend (verifier/example-backend.ts), then the
 * real login page calling that backend through the simulated phone's wx.request.
 *
 * Runs inside the journey's process after it installed the DOM and the forwarding `wx` (miniprogram-simulate is
 * already loaded there). The journey calls prepareBackendJourney() before starting devcloud and run() at its end.
 */
import { join } from 'path';
import type * as Simulate from 'miniprogram-simulate';
import { cloudBaseSessions } from '../verifier/cloudbase-sessions';
import { startBackend } from '../verifier/example-backend';
import { createDevice, DevCloudControl, useDevice, type DevCloud, type Device } from 'devcloud';
import { signSessionToken, tokenSettings } from '../core/token';
import { generateTokenKeys } from './keys';

const MINIPROGRAM = join(__dirname, '..', 'miniprogram');
const STORAGE_KEY = 'loginkit.auth.v1';

type Check = (condition: boolean, what: string) => void;

export interface BackendJourney {
  /** For startDevCloud: the login function signs tokens with the ephemeral private key. */
  functionEnv: Record<string, Record<string, string>>;
  run(cloud: DevCloud, check: Check): Promise<void>;
}

export async function prepareBackendJourney(): Promise<BackendJourney> {
  const keys = await generateTokenKeys();
  return {
    functionEnv: { login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem } },
    run: async (cloud, check) => {
      // Revocation as a backend beside CloudBase makes it: the users document, read with @cloudbase/node-sdk
      // (here from devcloud's /admin, which serves the CloudBase API outside functions).
      const currentSession = cloudBaseSessions({
        env: cloud.envId,
        secretId: 'devcloud',
        secretKey: 'devcloud',
        serviceUrl: `${cloud.url}/admin`,
      });
      const backend = await startBackend({ issuer: cloud.appid, jwks: keys.jwks, currentSession });
      console.log(`\n「我的后端」: the example backend at ${backend.url} trusts the JWKS of key ${keys.publicJwk.kid}`);
      try {
        await steps(cloud, backend.url, check, async (claims, now) => {
          const settings = tokenSettings({ AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem })!;
          return (await signSessionToken(settings, claims, now)).token;
        });
      } finally {
        await backend.close();
      }
    },
  };
}

type Sign = (claims: { iss: string; sub: string; aid: string; sv: number }, now: number) => Promise<string>;

async function steps(cloud: DevCloud, apiBase: string, check: Check, sign: Sign): Promise<void> {
  const carol = cloud.user('carol');
  const phone = createDevice({ devcloudUrl: cloud.url, user: 'carol' });

  console.log('7. carol opens the mini-program and taps 验证登录身份 in 「我的后端」');
  let page = await openLoginPage(phone, apiBase);
  await tapBackend(page);
  const token = (phone.storage.get(STORAGE_KEY) as { token?: string }).token ?? '';
  console.log(`   screen: ${read(page, '.backend-result') || read(page, '.backend-error')}`);
  console.log(`   ${describeRequests(phone)}; token ${token.slice(0, 24)}… (${token.length} chars)`);
  check(
    page.data.backendStatus === 'ok' && page.data.backendOpenid === carol.openid,
    'the backend verified the session token and answered her OPENID',
  );

  console.log('8. the backend refuses a request without a token, with an expired one and with a tampered one');
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const { aid } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { aid: string };
  const expired = await sign({ iss: cloud.appid, sub: carol.openid, aid, sv: 1 }, Date.now() - 2 * 3600_000);
  const forgedClaims = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object), sub: 'o-mallory' };
  const tampered = `${header}.${Buffer.from(JSON.stringify(forgedClaims)).toString('base64url')}.${signature}`;
  for (const [what, authorization] of [
    ['no token', undefined],
    ['expired token', `Bearer ${expired}`],
    ['tampered token', `Bearer ${tampered}`],
  ] as const) {
    const reply = await rawRequest(phone, `${apiBase}/api/me`, authorization);
    const reason = (reply.data as { error?: { reason?: string } }).error?.reason;
    console.log(`   ${what.padEnd(14)} -> ${reply.statusCode} (${String(reason)})`);
    check(reply.statusCode === 401, `${what}: 401`);
  }

  console.log("9. the token kept on carol's phone is tampered with; she taps 验证登录身份 again");
  phone.storage.set(STORAGE_KEY, { ...(phone.storage.get(STORAGE_KEY) as object), token: tampered });
  const relaunched = phone.relaunch();
  page = await openLoginPage(relaunched, apiBase);
  await tapBackend(page);
  console.log(`   screen: ${read(page, '.backend-result') || read(page, '.backend-error')}`);
  console.log(`   ${describeRequests(relaunched)}, cloud calls ${relaunched.calls.callFunction}`);
  check(
    relaunched.requests.map((r) => r.outcome).join() === '401,200' && page.data.backendStatus === 'ok',
    '401, then one token refresh (a login without a code) and one retry that succeeded',
  );

  console.log('10. carol logs out: the token she held is refused by the backend at once, not at its exp');
  const held = (relaunched.storage.get(STORAGE_KEY) as { token?: string }).token ?? '';
  const before = await rawRequest(relaunched, `${apiBase}/api/me`, `Bearer ${held}`);
  const logout = await new DevCloudControl(cloud.url).invoke('account', { action: 'logout' }, 'carol');
  const after = await rawRequest(relaunched, `${apiBase}/api/me`, `Bearer ${held}`);
  const reason = (after.data as { error?: { reason?: string } }).error?.reason;
  console.log(
    `   before ${before.statusCode}, logout ${JSON.stringify(logout.result)}, after ${after.statusCode} (${reason})`,
  );
  check(
    before.statusCode === 200 && after.statusCode === 401 && reason === 'revoked',
    'the logged-out token: 401 revoked',
  );
}

// (miniprogram-api-typings redeclares `require`; Node's own is what runs here.)
const nodeRequire = require as unknown as NodeJS.Require;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by the journey after its DOM is in place
const simulate = (): typeof Simulate => require('miniprogram-simulate') as typeof Simulate;
type RenderedPage = ReturnType<ReturnType<typeof simulate>['render']>;

/** A launch of the login page with config.ts's API_BASE_URL set to `apiBase`, as the developer would set it. */
async function openLoginPage(device: Device, apiBase: string): Promise<RenderedPage> {
  for (const key of Object.keys(nodeRequire.cache)) if (key.startsWith(MINIPROGRAM)) delete nodeRequire.cache[key];
  const config = nodeRequire(join(MINIPROGRAM, 'config')) as { API_BASE_URL: string };
  config.API_BASE_URL = apiBase;
  useDevice(device);
  const sim = simulate();
  const page = sim.render(sim.load(join(MINIPROGRAM, 'pages', 'login', 'login'), { rootPath: MINIPROGRAM }));
  page.attach(document.createElement('parent-wrapper'));
  (page.instance as unknown as { onLoad(): void }).onLoad();
  await waitWhile(() => page.data.status === 'loading');
  return page;
}

async function tapBackend(page: RenderedPage): Promise<void> {
  page.querySelector('.backend-btn')?.dispatchEvent('tap');
  await waitWhile(() => page.data.backendStatus === 'idle' || page.data.backendStatus === 'loading');
}

async function waitWhile(busy: () => boolean): Promise<void> {
  await simulate().sleep(0);
  for (let waited = 0; busy() && waited < 20_000; waited += 20) await simulate().sleep(20);
}

function read(page: RenderedPage, selector: string): string {
  return page.querySelector(selector)?.dom?.textContent?.trim() ?? '';
}

function describeRequests(device: Device): string {
  return `wx.request: ${device.requests.map((r) => `${r.method} ${new URL(r.url).pathname} -> ${r.outcome}`).join(', ')}`;
}

/** wx.request from the phone with exactly the Authorization given (none, expired, tampered). */
function rawRequest(device: Device, url: string, authorization: string | undefined) {
  return new Promise<{ statusCode: number; data: unknown }>((resolve, reject) => {
    device.wx.request({
      url,
      header: authorization ? { Authorization: authorization } : {},
      success: (result) => resolve(result),
      fail: reject,
    });
  });
}
