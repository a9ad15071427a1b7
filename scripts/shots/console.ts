import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { createDevice, DevCloudControl, installForwardingWx, startDevCloud, useDevice, type DevCloud } from 'devcloud';
import type { Browser } from 'playwright-core';
import type * as AccountService from '../../miniprogram/services/account';
import type * as AuthService from '../../miniprogram/services/auth';
import { launchChromium } from '../browser/chromium';
import { generateTokenKeys } from '../keys';

/**
 * The pictures of devcloud's console in docs/devcloud.md (docs/console-*.png): a devcloud running the kit's functions, a few
 * users going through the kit's own client services on simulated phones (a first login, an avatar saved, a login
 * WeChat refuses), then the console's sections in the same Chromium as the page pictures. Times and ids differ
 * from run to run, so these pictures are not compared by the screenshot test.
 */

const AVATAR = join(__dirname, 'avatar.png');
const MINIPROGRAM = join(__dirname, '..', '..', 'miniprogram');
const FIXED_CLOCK = join(__dirname, 'fixed-clock.js');

export interface ConsoleShot {
  file: string;
  caption: string;
}

export const CONSOLE_SHOTS: readonly ConsoleShot[] = [
  { file: 'console-functions.png', caption: 'Functions: every invocation, live, with its event, result and log lines' },
  { file: 'console-users.png', caption: 'Users: OPENID, session key version, token claims, log in as' },
];

/** The kit's client services on a simulated phone, fresh as at a launch. */
function launch(cloud: DevCloud, user: string) {
  const phone = createDevice({ devcloudUrl: cloud.url, user });
  useDevice(phone);
  // (miniprogram-api-typings redeclares `require`; Node's own is what runs here.)
  const cache = (require as unknown as NodeJS.Require).cache;
  for (const key of Object.keys(cache)) if (key.startsWith(MINIPROGRAM)) delete cache[key];
  /* eslint-disable @typescript-eslint/no-require-imports -- fresh client modules per launch, as on a phone */
  const auth = require('../../miniprogram/services/auth') as typeof AuthService;
  const account = require('../../miniprogram/services/account') as typeof AccountService;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { phone, auth, account };
}

/** A few users' story, so that each section has something to show. */
async function story(cloud: DevCloud, control: DevCloudControl): Promise<void> {
  installForwardingWx();
  await control.user('alice', { unionid: true });
  const alice = launch(cloud, 'alice');
  await alice.auth.ensureLogin();
  // She ticks 同意《用户协议》和《隐私政策》, as the profile page sends it before a save.
  await alice.account.recordConsent((await alice.account.getConsent()).currentVersion);
  await alice.account.saveProfile({
    nickName: '小艾',
    avatarTempPath: alice.phone.chooseAvatarEvent(readFileSync(AVATAR)).detail.avatarUrl,
  });
  const bob = launch(cloud, 'bob');
  await bob.auth.ensureLogin();
  // carol's first login: WeChat answers 40226 (a high-risk user), the function answers WX_RISKY_USER.
  await control.injectFault({ target: 'wechat', mode: 'error', match: { action: 'jscode2session' }, code: 40226 });
  await control.logInAs('carol');
  await control.logInAs('alice', { withCode: false });
}

export async function renderConsoleShots(options: { outDir: string; log?: (line: string) => void }): Promise<void> {
  const keys = await generateTokenKeys(); // session tokens on: the Users section decodes their claims
  let cloud: DevCloud | undefined;
  let browser: Browser | undefined;
  try {
    // The functions run on the pictures' fixed clock when npm run shots has set one (render.ts), as devcloud does.
    const clock: Record<string, string> = process.env.SHOTS_CLOCK
      ? { NODE_OPTIONS: `--require ${JSON.stringify(FIXED_CLOCK)}`, SHOTS_CLOCK: process.env.SHOTS_CLOCK }
      : {};
    cloud = await startDevCloud({
      functionEnv: {
        login: { ...clock, AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem },
        account: { ...clock },
      },
      functionTimeoutMs: 10_000,
    });
    const control = new DevCloudControl(cloud.url);
    await story(cloud, control);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(`${cloud.url}/console#/functions`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // The details of alice's profile save: the account function's event, result and log lines.
    const save = page.locator('tr.invocation', { hasText: 'alice' }).filter({ hasText: 'account' }).first();
    await save.getByRole('button', { name: /Details/ }).click();
    await page.mouse.move(0, 0);
    writeFileSync(join(options.outDir, CONSOLE_SHOTS[0]!.file), await page.screenshot({ animations: 'disabled' }));
    options.log?.(`${CONSOLE_SHOTS[0]!.file}  ${CONSOLE_SHOTS[0]!.caption}`);

    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('article.user').first().waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    writeFileSync(join(options.outDir, CONSOLE_SHOTS[1]!.file), await page.screenshot({ animations: 'disabled' }));
    options.log?.(`${CONSOLE_SHOTS[1]!.file}  ${CONSOLE_SHOTS[1]!.caption}`);
  } finally {
    await browser?.close();
    await cloud?.stop();
  }
}
