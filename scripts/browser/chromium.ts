import { chromium, type Browser } from 'playwright-core';

/**
 * The one place that starts a browser for the project's browser work (page pictures, browser tests): Debian's
 * `chromium` package driven by playwright-core, which downloads no browser of its own.
 *
 * Install the browser and a CJK font with `bash scripts/browser/install.sh` (apt-get; CI runs it). CHROMIUM_PATH
 * points at another binary.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps dialling Google's services and
 * this machine's network refuses them. Playwright starts every launch with a new empty --user-data-dir of its own
 * (a temporary profile it deletes on close; it refuses the flag in `args`).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_FLAGS] });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `Chromium did not start from ${CHROMIUM_PATH} (${reason}). Install it with: bash scripts/browser/install.sh`,
    );
  }
}
