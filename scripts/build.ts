/**
 * `npm run build`: bundles each cloud function's src/index.ts into cloudfunctions/<fn>/index.js: one CommonJS file
 * with the shared server/ and contracts/ code inlined, so the uploaded folder is self-contained. wx-server-sdk stays
 * external: the cloud installs it from the function's package.json, and bundling its 44 MB would slow cold starts.
 */
import { build, type BuildOptions } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'fs';
import { join } from 'path';

/** The one definition of how a function is bundled: the build, the ship checks and the benchmark all use it. */
export const FUNCTION_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  // CloudBase's oldest Node.js runtime is 16.13: nothing newer may be emitted.
  target: 'node16',
  format: 'cjs',
  external: ['wx-server-sdk'],
  legalComments: 'none',
} as const satisfies BuildOptions;

const FUNCTIONS_DIR = join(__dirname, '..', 'cloudfunctions');

export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR).filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'src', 'index.ts')));
}

export async function buildFunctions(): Promise<Array<{ name: string; outfile: string; bytes: number }>> {
  const results = [];
  for (const name of functionNames()) {
    const outfile = join(FUNCTIONS_DIR, name, 'index.js');
    await build({
      ...FUNCTION_BUNDLE_OPTIONS,
      entryPoints: [join(FUNCTIONS_DIR, name, 'src', 'index.ts')],
      outfile,
      logLevel: 'warning',
    });
    results.push({ name, outfile, bytes: statSync(outfile).size });
  }
  return results;
}

// (miniprogram-api-typings, loaded for the tests, redeclares `require`; Node's own has `main`.)
if ((require as unknown as NodeJS.Require).main === module) {
  buildFunctions()
    .then((results) => {
      for (const r of results)
        console.log(`built cloudfunctions/${r.name}/index.js (${(r.bytes / 1024).toFixed(1)} KB)`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
