import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import type { Browser } from 'playwright-core';
import { DevCloudControl, startDevCloud, type DevCloud } from 'devcloud';
import { launchChromium } from '../browser/chromium';
import { generateTokenKeys } from '../keys';
import { loadSimulate } from '../simulate-env';
import { MINIPROGRAM, PageDriver } from './driver';
import { imageSources, phoneDocument, toHtml, type WindowStyle } from './html';
import { PAGE_STATES, shotName, type PageState, type Reached } from './states';
import { clientCss, pageCss, PHONE_WIDTH, PAGE_TAG } from './styles';

/** The instant every picture is taken at (dates on the pages come from it), and the phone's time zone. */
export const SHOTS_CLOCK = '2026-01-15T09:30:00+08:00';
export const SHOTS_TIME_ZONE = 'Asia/Shanghai';
/** An iPhone 8's screen in points, drawn at its 2x pixel density. */
export const PHONE_HEIGHT = 667;
export const PIXEL_RATIO = 2;

const FIXED_CLOCK = join(__dirname, 'fixed-clock.js');

export interface ShotResult {
  state: PageState;
  file: string;
}

/** Every picture of PAGE_STATES (or those `only` keeps), written to outDir as PNG files. */
export async function renderShots(options: {
  outDir: string;
  only?: (state: PageState) => boolean;
  log?: (line: string) => void;
}): Promise<ShotResult[]> {
  process.env.SHOTS_CLOCK = SHOTS_CLOCK;
  process.env.TZ = SHOTS_TIME_ZONE;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(FIXED_CLOCK);
  loadSimulate();
  mkdirSync(options.outDir, { recursive: true });

  let cloud: DevCloud | undefined;
  let browser: Browser | undefined;
  let driver: PageDriver | undefined;
  try {
    // The cloud functions run on the same fixed clock: they write the createdAt that the login page shows.
    const clockEnv = { NODE_OPTIONS: `--require ${JSON.stringify(FIXED_CLOCK)}`, SHOTS_CLOCK };
    const functionEnv: Record<string, Record<string, string>> = Object.fromEntries(
      cloudFunctions().map((name) => [name, { ...clockEnv }]),
    );
    // Session tokens on, so that 「我的后端」 has something to verify.
    const keys = await generateTokenKeys();
    functionEnv.login = { ...clockEnv, AUTH_TOKEN_PRIVATE_KEY: keys.privateKeyPem };
    cloud = await startDevCloud({ functionEnv, functionTimeoutMs: 10_000 });
    browser = await launchChromium();
    await assertCjkFont(browser);
    driver = new PageDriver(new DevCloudControl(cloud.url), keys.jwks);
    const results: ShotResult[] = [];
    for (const state of PAGE_STATES.filter(options.only ?? (() => true))) {
      const reached = await state.reach(driver);
      // The picture is of this moment: the page may still change (the loading state logs in on).
      const snapshot = snapshotPage(reached);
      await driver.control.clearFaults();
      const html = await phoneScreen(state.page, snapshot, cloud, driver.tempFiles);
      const file = join(options.outDir, shotName(state));
      writeFileSync(file, await screenshot(browser, html, reached.typed));
      options.log?.(`${shotName(state)}  ${state.caption}`);
      results.push({ state, file });
    }
    return results;
  } finally {
    await browser?.close();
    await driver?.stop();
    await cloud?.stop();
  }
}

interface PageSnapshot {
  /** The page's HTML, each <image> source written as `shots-image:<index in sources>`. */
  html: string;
  sources: string[];
}

/** simulate's DOM as HTML, at once (synchronously): the images are fetched after. */
function snapshotPage(reached: Reached): PageSnapshot {
  const dom = reached.page.dom as unknown as Element;
  const sources = imageSources(dom);
  return { html: toHtml(dom, { imageUrl: (src) => `shots-image:${sources.indexOf(src)}` }), sources };
}

/** A whole phone screen: the snapshot with its images inlined, the navigation bar, and the CSS. */
async function phoneScreen(page: string, snapshot: PageSnapshot, cloud: DevCloud, tempFiles: Map<string, Buffer>) {
  const dataUrls: string[] = [];
  for (const src of snapshot.sources) {
    // WeChat's <image> shows a cloud:// fileID itself; here it is the file's bytes from devcloud's storage.
    const bytes = src.startsWith('cloud://') ? await cloud.storage.read(src) : tempFiles.get(src);
    if (!bytes) throw new Error(`<image src="${src}"> shows nothing: no such file`);
    dataUrls.push(`data:${imageType(bytes)};base64,${bytes.toString('base64')}`);
  }
  const pageHtml = snapshot.html.replace(/shots-image:(\d+)/g, (_match, index: string) => dataUrls[Number(index)]!);
  return phoneDocument(pageHtml, { client: clientCss(), page: pageCss(MINIPROGRAM, page) }, windowStyle(page));
}

/** The cloud functions of the project (cloudfunctions/<name>/package.json). */
function cloudFunctions(): string[] {
  const root = join(MINIPROGRAM, '..', 'cloudfunctions');
  return readdirSync(root).filter((name) => existsSync(join(root, name, 'package.json')));
}

function imageType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  throw new Error('an <image> file that is neither PNG nor JPEG');
}

/** app.json's window, with the page's .json on top (as WeChat merges them). */
function windowStyle(page: string): WindowStyle {
  type WindowJson = Partial<WindowStyle> & { window?: Partial<WindowStyle> };
  const read = (file: string) => JSON.parse(readFileSync(join(MINIPROGRAM, file), 'utf8')) as WindowJson;
  const defaults: WindowStyle = {
    navigationBarTitleText: '',
    navigationBarBackgroundColor: '#000000',
    navigationBarTextStyle: 'white',
    backgroundColor: '#ffffff',
  };
  const { navigationBarTitleText, navigationBarBackgroundColor, navigationBarTextStyle, backgroundColor } = {
    ...defaults,
    ...read('app.json').window,
    ...read(`pages/${page}/${page}.json`),
  };
  return { navigationBarTitleText, navigationBarBackgroundColor, navigationBarTextStyle, backgroundColor };
}

async function screenshot(browser: Browser, html: string, typed: Record<string, string> = {}): Promise<Buffer> {
  const context = await browser.newContext({
    viewport: { width: PHONE_WIDTH, height: PHONE_HEIGHT },
    deviceScaleFactor: PIXEL_RATIO,
  });
  try {
    const tab = await context.newPage();
    await tab.setContent(html, { waitUntil: 'load' });
    for (const [selector, text] of Object.entries(typed)) {
      // The page's class names are scoped as simulate scoped them.
      const input = tab.locator(selector.replace(/\.([-\w]+)/g, `.${PAGE_TAG}--$1`));
      await input.fill(text);
      await input.blur();
    }
    return await tab.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
  } finally {
    await context.close();
  }
}

/** Chinese must draw as glyphs: with no CJK font, different characters come out as the same empty box. */
async function assertCjkFont(browser: Browser): Promise<void> {
  const tab = await browser.newPage();
  try {
    const distinct = await tab.evaluate(() => {
      const draw = (text: string) => {
        const canvas = document.createElement('canvas');
        canvas.width = 40;
        canvas.height = 40;
        const context = canvas.getContext('2d')!;
        context.font = '32px "Noto Sans CJK SC"';
        context.fillText(text, 2, 34);
        return canvas.toDataURL();
      };
      return draw('微') !== draw('信');
    });
    if (!distinct) throw new Error('no CJK font: Chinese would draw as boxes. Run: bash scripts/browser/install.sh');
  } finally {
    await tab.close();
  }
}
