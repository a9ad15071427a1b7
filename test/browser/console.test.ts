/**
 * devcloud's console (http://127.0.0.1:<port>/console) in headless Chromium, against a devcloud running the kit's
 * built functions: what a developer sees while the kit runs. Logins made through the control API appear live; a
 * document edited in the page is what the next login reads; a WeChat fault set in the page fails the next login
 * with the kit's error code; an avatar saved through services/account on a simulated phone shows as a preview. A
 * page of another origin can neither drive devcloud nor frame the console, and the main actions work by keyboard.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import { createRequire } from 'module';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Browser, Page } from 'playwright-core';
import { createDevice } from 'devcloud';
import { launchChromium } from '../../scripts/browser/chromium';
import { generateTokenKeys } from '../../scripts/keys';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';
import { launchServices } from '../support/services';

const AVATAR = readFileSync(join(__dirname, '..', '..', 'scripts', 'shots', 'avatar.png'));

let t: TestCloud;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  const keys = await generateTokenKeys(); // the login function returns session tokens: the Users view decodes them
  t = await startTestCloud({ functionEnv: { login: { AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem } } });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});
beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  (page as Page & { problems?: string[] }).problems = problems;
});
afterEach(async () => {
  const problems = (page as Page & { problems?: string[] }).problems ?? [];
  await page.close();
  await t.control.clearFaults();
  expect(problems).toEqual([]); // no script error in the page
});

/** Opens the console on a section and waits until its live stream is connected. */
async function openConsole(section = 'functions'): Promise<void> {
  await page.goto(`${t.control.url}/console#/${section}`);
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
}

/** The card of a simulated user in the Users section. */
const userCard = (name: string) => page.locator('article.user', { has: page.getByRole('heading', { name }) });

test('the console opens: headings, a skip link, the sections, and the live stream', async () => {
  await openConsole();
  await expect(page.title()).resolves.toBe('Functions · devcloud console');
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('devcloud console');
  expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe('Functions');
  expect(await page.getByRole('link', { name: 'Skip to content' }).count()).toBe(1);
  const sections = page.getByRole('navigation', { name: 'Sections' }).getByRole('link');
  expect(await sections.allTextContents()).toEqual([
    'Functions',
    'Database',
    'Storage',
    'Users',
    'WeChat & faults',
    'Import & export',
  ]);
  expect(await sections.first().getAttribute('aria-current')).toBe('page');
});

test('a login through the control API appears live: the invocation, then the new user with their token', async () => {
  await openConsole('functions');
  const user = uniqueUser('live');
  const code = await t.control.loginCode(user);
  await t.control.invoke('login', { code }, user);
  const { openid } = await t.control.user(user);
  const row = page.locator('tr.invocation', { hasText: user });
  await row.waitFor(); // no reload: the event stream brought it
  expect(await row.locator('.function').textContent()).toBe('login');
  expect(await row.locator('.outcome').textContent()).toBe('ok');
  expect(await row.locator('.start').textContent()).toMatch(/^(cold \(init \d+ ms\)|warm)$/);
  await row.getByRole('button', { name: /Details/ }).click();
  const details = page.locator('tr.details-row');
  expect(await details.getByLabel(/^Event of login/).textContent()).toContain(`"code": "${code}"`);
  expect(await details.getByLabel(/^Result of login/).textContent()).toContain('"isNewUser": true');
  expect(await details.locator('dd.mono').first().textContent()).toMatch(/^[0-9a-f-]{36}$/);

  // The Users section, open while another new user logs in: the card appears by itself.
  await page.getByRole('link', { name: 'Users' }).click();
  const other = uniqueUser('live');
  await t.control.logInAs(other);
  await userCard(other).waitFor();
  const card = userCard(user);
  expect(await card.locator('.openid').textContent()).toBe(openid);
  expect(await card.locator('.session').textContent()).toContain('alive, session_key #1');
  const claims = JSON.parse((await card.getByLabel(`Token claims of ${user}`).textContent()) ?? '{}') as Record<
    string,
    unknown
  >;
  expect(claims).toMatchObject({ sub: openid, sv: 1 });
  expect(await card.textContent()).not.toContain(t.cloud!.wechat.currentSessionKey(openid)!);
});

test('a document edited in the page is what the next invocation reads', async () => {
  const user = uniqueUser('edit');
  await t.control.logInAs(user);
  const { openid } = await t.control.user(user);
  await openConsole(`database/users`);
  await page.getByLabel('Search documents').fill(openid);
  const document = page.locator('article.document', { has: page.getByRole('heading', { name: openid }) });
  await document.getByRole('button', { name: `Edit ${openid}` }).click();
  const editor = document.getByLabel(/^Edit .* \(relaxed Extended JSON\)$/);
  const edited = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
  expect(edited.loginCount).toBe(1);
  await editor.fill(JSON.stringify({ ...edited, loginCount: 41, nickName: '控制台改的' }, null, 2));
  await document.getByRole('button', { name: 'Save' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Saved ${openid}.` })
    .waitFor();
  // The section reloads the document from devcloud: the stored version.
  await document.getByLabel(`Document ${openid}`).filter({ hasText: '"loginCount": 41' }).waitFor();

  const report = await t.control.invoke('login', {}, user); // a relaunch: the function reads the document
  expect(report.result).toMatchObject({ ok: true, data: { user: { loginCount: 42, nickName: '控制台改的' } } });
});

test('a WeChat fault injected from the page fails the next login with the mapped error', async () => {
  const user = uniqueUser('fault');
  await t.control.user(user);
  await openConsole('wechat');
  const form = page.getByRole('form', { name: 'Faults' });
  await form.getByLabel('Target', { exact: true }).selectOption('wechat');
  await form.getByLabel('Mode', { exact: true }).selectOption('error');
  await form.getByLabel('Action', { exact: true }).selectOption('jscode2session');
  await form.getByLabel('User', { exact: true }).selectOption({ label: user });
  await form.getByLabel('Code', { exact: true }).fill('40226');
  await form.getByRole('button', { name: 'Inject fault' }).click();
  await page.getByRole('status').filter({ hasText: 'Injected: wechat jscode2session' }).waitFor();
  expect(await page.locator('.pending-faults li').allTextContents()).toEqual([
    `wechat jscode2session ${(await t.control.user(user)).openid}: error 40226, 1 time`,
  ]);
  expect(await t.control.pendingFaults()).toEqual([
    expect.objectContaining({ target: 'wechat', mode: 'error', code: 40226, times: 1 }),
  ]);

  // The next login, from the page's "Log in as": WeChat refuses the code, the function answers WX_RISKY_USER.
  await page.getByRole('link', { name: 'Users' }).click();
  await userCard(user)
    .getByRole('button', { name: `Log in as ${user}` })
    .click();
  await page
    .getByRole('status')
    .filter({ hasText: `${user}: login answered WX_RISKY_USER` })
    .waitFor();
  await page.getByRole('link', { name: 'Functions' }).click();
  expect(await page.locator('tr.invocation', { hasText: user }).first().locator('.outcome').textContent()).toBe(
    'WX_RISKY_USER',
  );
  expect(await t.control.pendingFaults()).toEqual([]);
  await page.getByRole('link', { name: 'WeChat & faults' }).click();
  await page.getByText('None: every call is answered normally.').waitFor();
});

test('an avatar saved through services/account on a simulated phone shows as a preview, with its owner', async () => {
  const user = uniqueUser('avatar');
  const phone = createDevice({ devcloudUrl: t.control.url, user });
  const services = launchServices(phone);
  await services.auth.ensureLogin();
  // The user ticks 同意《用户协议》和《隐私政策》, as the profile page sends it before a save.
  await services.account.recordConsent((await services.account.getConsent()).currentVersion);
  const saved = await services.account.saveProfile({
    avatarTempPath: phone.chooseAvatarEvent(AVATAR).detail.avatarUrl,
  });
  const cloudPath = saved.avatarUrl!.replace(/^cloud:\/\/[^/]+\//, '');
  const { openid } = await t.control.user(user);

  await openConsole('storage');
  const row = page.locator('tr.file', { hasText: cloudPath });
  await row.waitFor();
  const preview = row.getByRole('img', { name: `Preview of ${cloudPath}` });
  await preview.waitFor();
  await page.waitForFunction((alt) => {
    const image = [...document.images].find((candidate) => candidate.alt === alt);
    return image?.complete && image.naturalWidth > 0;
  }, `Preview of ${cloudPath}`);
  expect(await preview.evaluate((image: HTMLImageElement) => [image.naturalWidth, image.naturalHeight])).toEqual([
    256, 256,
  ]);
  expect(await row.locator('.owner').textContent()).toBe(`${user}${openid}`);
  expect(await row.locator('.size').textContent()).toBe(`${(AVATAR.length / 1024).toFixed(1)} KB`);
});

test('a subscribe message a function sent shows in the outbox, and its cloud call with its errcode', async () => {
  // A function of its own, as a project writes one: it sends the caller a subscribe message.
  const functionsDir = mkdtempSync(join(tmpdir(), 'console-outbox-'));
  mkdirSync(join(functionsDir, 'notify'));
  writeFileSync(
    join(functionsDir, 'notify', 'index.js'),
    `const cloud = require(${JSON.stringify(createRequire(__filename).resolve('wx-server-sdk'))});
     cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
     exports.main = async () => {
       const { OPENID } = cloud.getWXContext();
       try {
         return await cloud.openapi.subscribeMessage.send({
           touser: OPENID, templateId: 'order-shipped', data: { thing1: { value: '已发货' } },
         });
       } catch (error) {
         return { errCode: error.errCode };
       }
     };`,
  );
  writeFileSync(
    join(functionsDir, 'notify', 'config.json'),
    JSON.stringify({ permissions: { openapi: ['subscribeMessage.send'] } }),
  );
  const own = await startTestCloud({ functionsDir });
  try {
    const user = uniqueUser('subscriber');
    const phone = createDevice({ devcloudUrl: own.control.url, user });
    await phone.wx.requestSubscribeMessage({ tmplIds: ['order-shipped'] }); // the user accepts one message
    expect(await own.control.invoke('notify', {}, user)).toMatchObject({ result: { errCode: 0 } });
    expect(await own.control.invoke('notify', {}, user)).toMatchObject({ result: { errCode: 43101 } }); // used up

    await page.goto(`${own.control.url}/console#/wechat`);
    const entry = page.locator('tr.outbox-entry');
    await entry.waitFor();
    expect(await entry.count()).toBe(1);
    expect((await entry.locator('td').allTextContents()).slice(0, 4)).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d$/),
      'subscribeMessage',
      'notify',
      user,
    ]);
    expect(await entry.locator('summary').textContent()).toBe('template_id: order-shipped');
    await entry.locator('summary').click(); // the payload opens in full
    expect(await entry.getByLabel(/^Payload of subscribeMessage/).textContent()).toContain('"value": "已发货"');
    const calls = page.locator('table.cloud-calls tbody tr');
    expect(await calls.count()).toBe(2);
    expect(await calls.nth(0).locator('td').allTextContents()).toEqual([
      expect.any(String),
      'subscribeMessage.send',
      'notify',
      user,
      'fake',
      '43101',
    ]);
    expect(await calls.nth(1).locator('td').last().textContent()).toBe('0');
  } finally {
    await own.stop();
    rmSync(functionsDir, { recursive: true, force: true });
  }
});

test('a page of another origin can neither drive devcloud nor frame the console', async () => {
  const victim = uniqueUser('csrf');
  const attacker = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><body>
      <iframe id="framed" src="${t.control.url}/console"></iframe>
      <script>
        window.attempt = fetch('${t.control.url}/devcloud/users/login', {
          method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ user: '${victim}' }),
        }).then(() => 'sent', (error) => 'failed: ' + error);
      </script></body>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = attacker.address() as AddressInfo;
    const refused: number[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(t.control.url)) refused.push(response.status());
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate(() => (window as unknown as { attempt: Promise<string> }).attempt);
    // The POST reached devcloud with the attacker's Origin and was refused: no user, no login.
    expect(refused).toContain(403);
    expect((await t.control.simulatedUsers()).map((u) => u.name)).not.toContain(victim);
    // The frame shows no console: devcloud refused the foreign-origin navigation's page or forbade the framing.
    const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
    expect(await frame?.locator('h1', { hasText: 'devcloud console' }).count()).toBe(0);
  } finally {
    await new Promise((resolve) => attacker.close(resolve));
  }
});

test('the main actions work from the keyboard', async () => {
  await openConsole();
  const focused = () =>
    page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      return { tag: element?.tagName, id: element?.id, text: element?.textContent?.trim() };
    });
  /** Focus on the first element of the page (the skip link), as after a load. */
  const fromTheTop = () => page.getByRole('link', { name: 'Skip to content' }).focus();
  /** Presses Tab until the focused element's text is `text` (at most 40 times): it is reachable by keyboard. */
  const tabTo = async (text: string) => {
    for (let presses = 0; presses < 40; presses += 1) {
      await page.keyboard.press('Tab');
      if ((await focused()).text === text) return;
    }
    throw new Error(`Tab never reached "${text}"`);
  };

  await page.keyboard.press('Tab');
  expect((await focused()).text).toBe('Skip to content');
  await page.keyboard.press('Enter');
  expect((await focused()).id).toBe('main');

  // A section from the navigation: focus lands on its heading.
  await fromTheTop();
  await tabTo('Users');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'view-title');
  expect(await focused()).toMatchObject({ tag: 'H2', text: 'Users' });

  // Add a user, then log in as them: typed and pressed, no mouse.
  const user = uniqueUser('keys');
  await page.keyboard.press('Tab');
  expect((await focused()).tag).toBe('INPUT');
  await page.keyboard.type(user);
  await page.keyboard.press('Enter');
  await page
    .getByRole('status')
    .filter({ hasText: `Added ${user}.` })
    .waitFor();
  await userCard(user).waitFor();
  await tabTo(`Log in as ${user}`);
  await page.keyboard.press('Space');
  await page
    .getByRole('status')
    .filter({ hasText: `${user}: login answered ok` })
    .waitFor();

  // The invocation's details open with Enter.
  await fromTheTop();
  await tabTo('Functions');
  await page.keyboard.press('Enter');
  await page.locator('tr.invocation', { hasText: user }).waitFor();
  await tabTo(`Details of login #${(await t.control.invocations()).latestSeq}`);
  await page.keyboard.press('Enter');
  expect(await page.locator('tr.details-row').count()).toBe(1);
  expect(await page.getByRole('button', { name: /^Hide/ }).getAttribute('aria-expanded')).toBe('true');
});
