/**
 * `npm run build`: bundles each cloud function's src/index.ts into cloudfunctions/<fn>/index.js: one CommonJS file
 * with wx-server-sdk, the shared cloudbase/ and contracts/ code inlined, so the uploaded folder is complete and needs no
 * `npm install` in the cloud. The parts of the SDK our functions rarely or never use go to a side file,
 * cloudfunctions/<fn>/sdk-deferred.js, loaded on first use (scripts/sdk-defer.ts): a cold start then compiles and
 * runs only what a function needs. Why, with the figures: docs/design.md and `npm run bench`.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { existsSync, readdirSync, rmSync, statSync } from 'fs';
import { dirname, join } from 'path';
import { DEFERRED_FILE, deferPlugin, deferredEntry, duplicatedPackages, type DeferredModules } from './sdk-defer';
import { refuseFlags } from './args';

/** The one definition of how a function is bundled: the build, the ship checks and the benchmark all use it. */
export const FUNCTION_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  // CloudBase's oldest Node.js runtime is 16.13: nothing newer may be emitted.
  target: 'node16',
  format: 'cjs',
  legalComments: 'none',
  // Whitespace only: measured, renaming identifiers (full minify) made the cold start slower, not faster, and
  // would rename the SDK's functions and classes that appear in its error messages.
  minifyWhitespace: true,
} as const satisfies BuildOptions;

export interface FunctionBundle {
  /** index.js, and sdk-deferred.js when the function uses the SDK: absolute paths and sizes. */
  files: Array<{ path: string; bytes: number }>;
  /** The index.js build's metafile (what is loaded at a cold start). */
  main: Metafile;
  /** The side file's metafile, when there is one. */
  side?: Metafile;
}

/**
 * Bundles one function into `outfile` (index.js) and, next to it, the side file of deferred SDK parts. With
 * write: false nothing is written (the ship checks read the metafile only).
 */
export async function bundleFunction(options: {
  entry: string;
  outfile: string;
  write?: boolean;
  absWorkingDir?: string;
  logLevel?: BuildOptions['logLevel'];
}): Promise<FunctionBundle> {
  const write = options.write ?? true;
  const deferred: DeferredModules = new Map();
  const common = {
    ...FUNCTION_BUNDLE_OPTIONS,
    write,
    metafile: true,
    logLevel: options.logLevel ?? 'warning',
    ...(options.absWorkingDir ? { absWorkingDir: options.absWorkingDir } : {}),
  } as const;
  const main = await build({
    ...common,
    entryPoints: [options.entry],
    outfile: options.outfile,
    plugins: [deferPlugin(deferred)],
  });
  const sidePath = join(dirname(options.outfile), DEFERRED_FILE);
  const sizeOf = (result: { outputFiles?: Array<{ contents: Uint8Array }> }, path: string) =>
    result.outputFiles?.[0]?.contents.byteLength ?? statSync(path).size;
  const files = [{ path: options.outfile, bytes: sizeOf(main, options.outfile) }];
  if (deferred.size === 0) {
    if (write) rmSync(sidePath, { force: true }); // a stale one from an earlier build would ship otherwise
    return { files, main: main.metafile };
  }
  const side = await build({
    ...common,
    // The entry requires absolute paths (where the SDK files resolved them); resolveDir only has to exist.
    stdin: {
      contents: deferredEntry(deferred),
      resolveDir: options.absWorkingDir ?? process.cwd(),
      sourcefile: 'sdk-deferred.entry.js',
    },
    outfile: sidePath,
  });
  const twice = duplicatedPackages(main.metafile, side.metafile);
  if (twice.length > 0)
    throw new Error(
      `sdk-defer: ${twice.join(', ')} would be both in index.js and in ${DEFERRED_FILE} (two copies at run time); defer the SDK line that requires it too (scripts/sdk-defer.ts)`,
    );
  files.push({ path: sidePath, bytes: sizeOf(side, sidePath) });
  return { files, main: main.metafile, side: side.metafile };
}

const FUNCTIONS_DIR = join(__dirname, '..', 'cloudfunctions');

export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR).filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'src', 'index.ts')));
}

export async function buildFunctions(): Promise<Array<{ name: string; files: FunctionBundle['files'] }>> {
  const results = [];
  for (const name of functionNames()) {
    const bundle = await bundleFunction({
      entry: join(FUNCTIONS_DIR, name, 'src', 'index.ts'),
      outfile: join(FUNCTIONS_DIR, name, 'index.js'),
    });
    results.push({ name, files: bundle.files });
  }
  return results;
}

// (miniprogram-api-typings, loaded for the tests, redeclares `require`; Node's own has `main`.)
if ((require as unknown as NodeJS.Require).main === module) {
  refuseFlags('npm run build');
  buildFunctions()
    .then((results) => {
      for (const r of results) {
        const files = r.files.map((file) => `${file.path.split(/[\\/]/).pop()} ${(file.bytes / 1024).toFixed(1)} KB`);
        console.log(`built cloudfunctions/${r.name}/: ${files.join(', ')}`);
      }
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
