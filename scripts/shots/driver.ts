import { readFileSync } from 'fs';
import { join } from 'path';
import type { JSONWebKeySet } from 'jose';
import { startBackend, type RunningBackend } from '../../verifier/example-backend';
import { createDevice, useDevice, type DevCloudControl, type Device, type PrivacyOptions } from 'devcloud';
import { loadSimulate, type RenderedPage } from '../simulate-env';

/**
 * Drives the real pages for the pictures, as test/pages does but in a plain Node process: miniprogram-simulate
 * renders the page's .ts/.wxml/.wxss into jsdom, on a simulated phone (devcloud/device) whose wx reaches devcloud.
 */

export const MINIPROGRAM = join(__dirname, '..', '..', 'miniprogram');

export async function until(page: RenderedPage, done: (data: Record<string, unknown>) => boolean): Promise<void> {
  const sim = loadSimulate();
  await sim.sleep(0);
  for (let waited = 0; !done(page.data as Record<string, unknown>); waited += 20) {
    if (waited > 20_000) throw new Error(`page did not settle: ${JSON.stringify(page.data)}`);
    await sim.sleep(20);
  }
}

/** What a state's steps may use: phones of fixed users on one devcloud, and a user's gestures on real pages. */
export class PageDriver {
  /** Bytes behind the temporary paths chooseAvatar handed out, for <image src> of a chosen, unsaved avatar. */
  readonly tempFiles = new Map<string, Buffer>();
  private launched?: Device;
  private readonly configs = new WeakMap<Device, Record<string, string>>();
  private readonly backends = new Map<string, RunningBackend>();

  /** `tokenJwks`: the public keys of the login function's AUTH_TOKEN_PRIVATE_KEY, which the backend trusts. */
  constructor(
    readonly control: DevCloudControl,
    private readonly tokenJwks: JSONWebKeySet,
  ) {}

  async stop(): Promise<void> {
    await Promise.all([...this.backends.values()].map((backend) => backend.close()));
  }

  private async startBackend(trusts: 'this-app' | 'another-app'): Promise<RunningBackend> {
    const { appid } = await this.control.info();
    return startBackend({ issuer: trusts === 'this-app' ? appid : 'wx-another-app', jwks: this.tokenJwks });
  }

  /**
   * A phone of a WeChat user. `config` replaces values of the mini-program's config.ts on this phone, as a
   * developer sets them before building (e.g. API_BASE_URL).
   */
  phone(
    user: string,
    options: {
      confirmModals?: boolean;
      config?: Record<string, string>;
      privacy?: PrivacyOptions;
      baseLibrary?: string;
    } = {},
  ): Device {
    const device = createDevice({
      devcloudUrl: this.control.url,
      user,
      confirmModals: options.confirmModals ?? true,
      ...(options.privacy ? { privacy: options.privacy } : {}),
      ...(options.baseLibrary ? { baseLibrary: options.baseLibrary } : {}),
    });
    if (options.config) this.configs.set(device, options.config);
    return device;
  }

  /**
   * The example backend (verifier/example-backend.ts) on loopback, trusting this app's session tokens, or (`another-app`)
   * only another app's, so that it refuses ours.
   */
  async backend(trusts: 'this-app' | 'another-app' = 'this-app'): Promise<string> {
    const running = this.backends.get(trusts) ?? (await this.startBackend(trusts));
    this.backends.set(trusts, running);
    return running.url;
  }

  /** Open a page on a phone: onLoad, then (unless settle is false) wait until it is no longer loading. */
  async open(device: Device, page: string, { settle = true }: { settle?: boolean } = {}): Promise<RenderedPage> {
    const sim = loadSimulate();
    useDevice(device);
    if (device !== this.launched) {
      // A new launch of the mini-program (a new Device, e.g. after relaunch()): fresh client modules, as on a phone.
      const cache = (require as unknown as NodeJS.Require).cache;
      for (const key of Object.keys(cache)) if (key.startsWith(MINIPROGRAM)) delete cache[key];
      this.launched = device;
      const config = this.configs.get(device);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      if (config) Object.assign(require(join(MINIPROGRAM, 'config')) as Record<string, unknown>, config);
    }
    const rendered = sim.render(sim.load(join(MINIPROGRAM, 'pages', page, page), { rootPath: MINIPROGRAM }));
    rendered.attach(document.createElement('parent-wrapper'));
    (rendered.instance as unknown as { onLoad(): void }).onLoad();
    if (settle) await until(rendered, (data) => data.status !== 'loading');
    return rendered;
  }

  /** A user's gesture on an element: `tap`, or a component event with its detail (e.g. getphonenumber). */
  async gesture(page: RenderedPage, selector: string, event: string, detail?: unknown): Promise<void> {
    const element = page.querySelector(selector);
    if (!element) throw new Error(`no ${selector} on the page`);
    element.dispatchEvent(event, detail === undefined ? {} : { detail });
    await loadSimulate().sleep(0);
  }

  /** A tap on a button that starts a user action, then wait until the page is no longer busy with it. */
  async tap(page: RenderedPage, selector: string): Promise<void> {
    await this.gesture(page, selector, 'tap');
    await until(page, (data) => data.busy !== true);
  }

  /** The user picks `picture` through <button open-type="chooseAvatar">: the page gets a temporary file path. */
  async chooseAvatar(device: Device, page: RenderedPage, picture = AVATAR): Promise<void> {
    const { detail } = device.chooseAvatarEvent(picture);
    this.tempFiles.set(detail.avatarUrl, picture);
    await this.gesture(page, '.avatar-btn', 'chooseavatar', detail);
  }

  /** The user agrees in WeChat's phone-number sheet, as <button open-type="getPhoneNumber"> reports it. */
  async bindPhone(device: Device, page: RenderedPage): Promise<void> {
    const { detail } = await device.getPhoneNumberEvent(true);
    await this.gesture(page, '.phone-btn', 'getphonenumber', detail);
    await until(page, (data) => data.busy !== true);
  }
}

/** The fixed avatar picture every avatar in the pictures shows. */
export const AVATAR = readFileSync(join(__dirname, 'avatar.png'));
