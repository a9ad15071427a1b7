/**
 * `npm start`: the login journey of two simulated users through the real login page (rendered by
 * miniprogram-simulate, WXML compiled by WeChat's compiler), the real services, and the built login function
 * running with the real wx-server-sdk on devcloud with its on-disk store. Prints each step and the documents it
 * leaves, checks what must hold, and exits 0 only when all of it did.
 */
import { rmSync } from 'fs';
import { join } from 'path';
import { createDevice, startDevCloud, useDevice, type DevCloud, type Device } from 'devcloud';
import { loadSimulate, type RenderedPage } from './simulate-env';
import { prepareBackendJourney } from './journey-backend';
import { profileWithPlatformRules } from './journey-privacy';
import { refuseFlags } from './args';

const ROOT = join(__dirname, '..');
const MINIPROGRAM = join(ROOT, 'miniprogram');

const STORE = join(ROOT, '.devcloud', 'journey');

const simulate = loadSimulate();

let failures = 0;
function check(condition: boolean, what: string): void {
  console.log(`   ${condition ? '✓' : '✗'} ${what}`);
  if (!condition) failures += 1;
}

/** A launch of the mini-program: fresh client modules (as on a phone), a page, onLoad, wait to settle. */
async function openPage(device: Device, name = 'login'): Promise<RenderedPage> {
  // (miniprogram-api-typings redeclares `require`; Node's own is what runs here.)
  const cache = (require as unknown as NodeJS.Require).cache;
  for (const key of Object.keys(cache)) if (key.startsWith(MINIPROGRAM)) delete cache[key];
  useDevice(device);
  const page = simulate.render(simulate.load(join(MINIPROGRAM, 'pages', name, name), { rootPath: MINIPROGRAM }));
  page.attach(document.createElement('parent-wrapper'));
  (page.instance as unknown as { onLoad(): void }).onLoad();
  await simulate.sleep(0);
  for (let waited = 0; page.data.status === 'loading' && waited < 20_000; waited += 20) await simulate.sleep(20);
  return page;
}

function screen(page: RenderedPage): string {
  const read = (selector: string) => page.querySelector(selector)?.dom?.textContent?.trim() ?? '';
  if (page.data.status !== 'ready') return `[${String(page.data.status)}] ${read('.error-message')}`;
  return `${read('.nickname')} | ${read('.member-since')} | ${read('.login-count')}`;
}

function describeCalls(device: Device): string {
  const last = device.invocations.at(-1);
  const invocation = last ? `, last invocation ${last.cold ? 'cold' : 'warm'} ${last.durationMs.toFixed(0)} ms` : '';
  return `wx.login ${device.calls.login}, wx.checkSession ${device.calls.checkSession}, cloud calls ${device.calls.callFunction}${invocation}`;
}

async function printDocuments(cloud: DevCloud): Promise<void> {
  console.log('\nusers:');
  for (const doc of await cloud.documents('users')) console.log(`  ${JSON.stringify(doc)}`);
  console.log('sessions (session_key redacted: it never leaves the server):');
  for (const doc of await cloud.documents('sessions')) {
    console.log(`  ${JSON.stringify({ ...doc, sessionKey: `<${String(doc.sessionKey).length} chars>` })}`);
  }
}

async function main(): Promise<void> {
  refuseFlags('npm start');
  rmSync(STORE, { recursive: true, force: true });
  const backendJourney = await prepareBackendJourney(); // session-token keys for the login function and the backend
  const cloud = await startDevCloud({
    dataDir: STORE,
    functionsDir: join(ROOT, 'cloudfunctions'),
    functionEnv: backendJourney.functionEnv,
  });
  console.log(`devcloud at ${cloud.url}, on-disk store ${STORE}\n`);
  try {
    const alice = cloud.user('alice');
    const bob = cloud.user('bob', { unionid: true });

    console.log('1. alice opens the mini-program for the first time');
    const alicePhone = createDevice({ devcloudUrl: cloud.url, user: 'alice', privacy: { agreed: false } });
    let page = await openPage(alicePhone);
    console.log(`   screen: ${screen(page)}\n   ${describeCalls(alicePhone)}`);
    check(page.data.status === 'ready' && page.data.loginCount === 1, 'logged in as a new user, login count 1');

    console.log('2. alice relaunches; her WeChat session is alive');
    let relaunch = alicePhone.relaunch();
    page = await openPage(relaunch);
    console.log(`   screen: ${screen(page)}\n   ${describeCalls(relaunch)}`);
    check(relaunch.calls.callFunction === 0, 'no cloud call: the cached login state is used');

    console.log('3. alice comes back after her session expired');
    cloud.wechat.expireSession(alice.openid);
    relaunch = alicePhone.relaunch();
    page = await openPage(relaunch);
    console.log(`   screen: ${screen(page)}\n   ${describeCalls(relaunch)}`);
    check(
      relaunch.calls.callFunction === 1 && page.data.loginCount === 2,
      'logged in again with a fresh code, login count 2',
    );

    // One global `wx` per JS realm (as on a phone) means concurrent launches share a device here: bob's three
    // launches race on one phone, each with fresh client modules, so each does its own wx.login and cloud call.
    console.log('4. bob, new, launches the mini-program three times at once');
    const bobPhone = createDevice({ devcloudUrl: cloud.url, user: 'bob' });
    const pages = await Promise.all([1, 2, 3].map(() => openPage(bobPhone)));
    pages.forEach((p, index) => console.log(`   launch #${index + 1}: ${screen(p)}`));
    console.log(`   ${describeCalls(bobPhone)}`);
    const bobDocs = (await cloud.documents('users')).filter((doc) => doc._id === bob.openid);
    check(
      pages.every((p) => p.data.status === 'ready'),
      'every launch logged in',
    );
    check(bobDocs.length === 1 && bobDocs[0]?.loginCount === 3, 'one users document for bob, all 3 logins counted');
    check(bobDocs[0]?.unionid === bob.unionid, "bob's UNIONID recorded");

    await profileWithPlatformRules(
      { cloud, check, openPage, sleep: (ms) => simulate.sleep(ms) },
      alicePhone.relaunch(),
    );
    page = await openPage(alicePhone.relaunch());
    console.log(`   screen: ${screen(page)}`);
    const aliceDoc = (await cloud.documents('users')).find((doc) => doc._id === alice.openid);
    check(
      page.data.nickName === '小艾' && String(aliceDoc?.avatarUrl).startsWith('cloud://'),
      'nickname and avatar saved and shown',
    );

    console.log('6. bob deletes his account (注销) from his profile page and confirms');
    const bobProfile = await openPage(bobPhone.relaunch(), 'profile');
    bobProfile.querySelector('.delete-btn')?.dispatchEvent('tap');
    await simulate.sleep(0);
    for (let waited = 0; bobProfile.data.status === 'ready' && waited < 20_000; waited += 20) await simulate.sleep(20);
    console.log(`   profile says: ${String(bobProfile.data.notice || bobProfile.data.errorMessage)}`);
    const bobLeft = [...(await cloud.documents('users')), ...(await cloud.documents('sessions'))].filter(
      (doc) => doc._id === bob.openid,
    );
    check(bobProfile.data.status === 'deleted' && bobLeft.length === 0, 'nothing of bob is left in users or sessions');

    await backendJourney.run(cloud, check);

    await printDocuments(cloud);
    const stats = cloud.stats();
    console.log(
      `\nfunction invocations ${stats.functions.invocations} (cold starts ${stats.functions.coldStarts}), database round trips ${stats.database.roundTrips}, code2Session calls ${stats.wechat.jscode2session}`,
    );
    const sessions = await cloud.documents('sessions');
    const users = await cloud.documents('users');
    const loggedIn = users.filter((user) => user._id !== cloud.user('carol').openid); // carol logged out in step 10
    check(
      sessions.length === loggedIn.length && sessions.every((doc) => loggedIn.some((user) => user._id === doc._id)),
      'one server-side session per remaining user still logged in',
    );
  } finally {
    await cloud.stop();
  }
  if (failures > 0) {
    console.error(`\njourney FAILED: ${failures} check(s) did not hold`);
    process.exit(1);
  }
  console.log('\njourney OK');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
