/**
 * The pictures in docs/screenshots against the pages as they render now: `npm run shots`' own command renders
 * every state of scripts/shots/states.ts into test-results/screenshots/actual/, and each picture must match the
 * committed one within a tolerance. A page that looks different fails here, with the new picture and a diff image
 * (changes in red) under test-results/screenshots/. If the change is meant, run `npm run shots` and commit.
 */
import { execFile } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import { PNG } from 'pngjs';
import { PAGE_STATES, shotName } from '../../scripts/shots/states';
import { diffPng } from './png-diff';

const ROOT = join(__dirname, '..', '..');
const COMMITTED = join(ROOT, 'docs', 'screenshots');
const RESULTS = join(ROOT, 'test-results', 'screenshots');
const ACTUAL = join(RESULTS, 'actual');
const DIFF = join(RESULTS, 'diff');

/**
 * How many pixels (of 750 x 1334) may differ: room for a browser or font update's rendering noise, well under
 * what changing one character of 15 px text changes (several hundred pixels at 2x).
 */
const MAX_DIFFERENT_PIXELS = Number(process.env.SHOTS_MAX_DIFF_PIXELS ?? 100);

beforeAll(async () => {
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(DIFF, { recursive: true });
  await promisify(execFile)(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'scripts', 'shots', 'cli.ts'), '--out', ACTUAL],
    { cwd: ROOT, timeout: 240_000 },
  );
}, 300_000);

test.each(PAGE_STATES.map((state) => [shotName(state), state.caption]))('%s (%s) looks as committed', (name) => {
  const committed = join(COMMITTED, name);
  if (!existsSync(committed)) throw new Error(`docs/screenshots/${name} is missing: run npm run shots and commit it`);
  const result = diffPng(readFileSync(committed), readFileSync(join(ACTUAL, name)));
  if (result.differentPixels > MAX_DIFFERENT_PIXELS) {
    if (result.diffImage) writeFileSync(join(DIFF, name), result.diffImage());
    throw new Error(
      `${name} changed: ${result.sizeChange ?? `${result.differentPixels} pixels differ`} (tolerance ` +
        `${MAX_DIFFERENT_PIXELS}). New picture: test-results/screenshots/actual/${name}` +
        (result.diffImage ? `, changes in red: test-results/screenshots/diff/${name}` : '') +
        '. If the change is meant: npm run shots, look at it, commit it.',
    );
  }
});

/** The phone's screen in pixels (scripts/shots/render.ts: an iPhone 8 at 2x). */
const SCREEN = { width: 375 * 2, height: 667 * 2 };

test.each(PAGE_STATES.map((state) => [shotName(state)]))('%s fits on one screen: nothing to scroll', (name) => {
  const { width, height } = PNG.sync.read(readFileSync(join(ACTUAL, name)));
  expect({ width, height }).toEqual(SCREEN);
});

/** The leftmost and rightmost x of the longest run of `color` across one row: a divider line. */
function dividerExtent(name: string, color: readonly [number, number, number]): { left: number; right: number } {
  const png = PNG.sync.read(readFileSync(join(ACTUAL, name)));
  let best = { left: 0, right: -1 };
  for (let y = 0; y < png.height; y += 1) {
    let left = -1;
    for (let x = 0; x <= png.width; x += 1) {
      const i = (y * png.width + x) * 4;
      const matches = x < png.width && color.every((channel, c) => Math.abs(png.data[i + c]! - channel) <= 2);
      if (matches && left < 0) left = x;
      if (!matches && left >= 0) {
        if (x - 1 - left > best.right - best.left) best = { left, right: x - 1 };
        left = -1;
      }
    }
  }
  return best;
}

test("「我的后端」's divider has one width in every state, the page's", () => {
  const states = PAGE_STATES.filter((state) => state.page === 'login' && state.state.startsWith('backend-'));
  expect(states.length).toBeGreaterThanOrEqual(2);
  const extents = states.map((state) => dividerExtent(shotName(state), [0xe5, 0xe7, 0xeb]));
  // The page's padding (48rpx each side) and nothing narrower, in every state.
  for (const extent of extents) expect(extent).toEqual({ left: 48, right: SCREEN.width - 48 - 1 });
});

test('docs/screenshots holds a picture for each state and nothing else', () => {
  const pictured = readdirSync(COMMITTED).filter((file) => file.endsWith('.png'));
  expect(pictured.sort()).toEqual(PAGE_STATES.map(shotName).sort());
});

test('the comparison catches a change the size of one character', () => {
  const name = shotName(PAGE_STATES[0]!);
  const original = readFileSync(join(COMMITTED, name));
  const changed = PNG.sync.read(original);
  // A 30 x 30 px mark (one 15 px character at 2x), a third of it ink, in the middle of the picture.
  for (let y = 600; y < 630; y += 1) {
    for (let x = 360; x < 390; x += 1) {
      if ((x + y) % 3 !== 0) continue;
      changed.data.fill(0, (y * changed.width + x) * 4, (y * changed.width + x) * 4 + 3);
    }
  }
  expect(diffPng(original, original).differentPixels).toBe(0);
  expect(diffPng(original, PNG.sync.write(changed, { filterType: 0 })).differentPixels).toBeGreaterThan(
    MAX_DIFFERENT_PIXELS,
  );
});
