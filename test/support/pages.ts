import { join } from 'path';
import simulate from 'miniprogram-simulate';
import { useDevice, type Device } from 'devcloud';

const MINIPROGRAM = join(__dirname, '..', '..', 'miniprogram');

export type RenderedPage = ReturnType<typeof simulate.render>;

/**
 * A launch of a page on a device, as WeChat does it: fresh client modules (jest.isolateModules), the page's real
 * .ts/.wxml/.wxss through miniprogram-simulate, attached, onLoad called, then wait until it stops loading.
 */
export async function openPage(device: Device, page: string): Promise<RenderedPage> {
  useDevice(device);
  let id = '';
  jest.isolateModules(() => {
    id = simulate.load(join(MINIPROGRAM, 'pages', page, page), { rootPath: MINIPROGRAM });
  });
  const rendered = simulate.render(id);
  rendered.attach(document.createElement('parent-wrapper'));
  (rendered.instance as unknown as { onLoad(): void }).onLoad();
  await until(rendered, (data) => data.status !== 'loading');
  return rendered;
}

/** The user leaves the page (navigateBack, redirectTo): WeChat unloads it, and its components detach. */
export function closePage(page: RenderedPage): void {
  (page as unknown as { detach(): void }).detach();
}

/** Wait (bounded) until the page's data satisfies `done`: pages update asynchronously after cloud calls. */
export async function until(page: RenderedPage, done: (data: Record<string, unknown>) => boolean): Promise<void> {
  await simulate.sleep(0);
  for (let waited = 0; !done(page.data as Record<string, unknown>); waited += 20) {
    if (waited > 50_000) throw new Error(`page did not settle: ${JSON.stringify(page.data)}`);
    await simulate.sleep(20);
  }
}

/** A user's gesture on an element: `tap`, or a WeChat component event with its detail. */
export async function gesture(page: RenderedPage, selector: string, event: string, detail?: unknown): Promise<void> {
  const element = page.querySelector(selector);
  if (!element) throw new Error(`no ${selector} on the page`);
  element.dispatchEvent(event, detail === undefined ? {} : { detail });
  await simulate.sleep(0);
}

export function text(page: RenderedPage, selector: string): string | undefined {
  return page.querySelector(selector)?.dom?.textContent?.trim();
}

export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
