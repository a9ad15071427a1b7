import { readdirSync, rmSync } from 'fs';
import { join, resolve } from 'path';
import { performance } from 'perf_hooks';
import { parseFlags, UsageError } from '../args';
import { renderConsoleShots } from './console';
import { updateGallery } from './readme';
import { renderShots } from './render';
import { PAGE_STATES, shotName } from './states';

const DOCS = resolve(__dirname, '..', '..', 'docs', 'screenshots');
/** The console's pictures (not page states: the screenshot test compares docs/screenshots/ only). */
const CONSOLE_DOCS = resolve(__dirname, '..', '..', 'docs');

/**
 * `npm run shots`: every page state as a picture, into docs/screenshots/ (or --out DIR). --only a,b keeps the
 * pictures whose file name contains one of the words. Into docs/screenshots/, it also removes the pictures of
 * states no longer in the table, rewrites the gallery of docs/pictures.md, and pictures devcloud's console (docs/console-*.png;
 * `--only console` for those alone).
 */
async function main(): Promise<void> {
  const flags = parseFlags(
    'npm run shots',
    process.argv.slice(2),
    { out: { type: 'string' }, only: { type: 'string' } },
    '[--out DIR] [--only word,word]',
  );
  const outDir = resolve(flags.out ?? DOCS);
  const words = flags.only?.split(',');
  // performance.now(): the pictures run on a fixed clock (Date), this counts real time.
  const started = performance.now();
  const results = await renderShots({
    outDir,
    ...(words ? { only: (state) => words.some((word) => `${state.page}-${state.state}`.includes(word)) } : {}),
    log: (line) => console.log(line),
  });
  if (outDir === DOCS && (!words || words.includes('console')))
    await renderConsoleShots({ outDir: CONSOLE_DOCS, log: (line) => console.log(line) });
  if (outDir === DOCS) {
    const pictured = new Set(PAGE_STATES.map(shotName));
    for (const file of readdirSync(DOCS)) if (file.endsWith('.png') && !pictured.has(file)) rmSync(join(DOCS, file));
    updateGallery();
  }
  console.log(`${results.length} pictures in ${outDir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(error instanceof UsageError ? error.exitCode : 1);
  },
);
