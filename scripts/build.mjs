// Bundles each cloud function's src/index.ts into cloudfunctions/<fn>/index.js: one CommonJS file with the shared
// server/ and contracts/ code inlined, so the uploaded folder is self-contained. wx-server-sdk stays external: the
// cloud installs it from the function's package.json, and bundling its 44 MB would only slow cold starts.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'cloudfunctions');

export function functionNames() {
  return readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, 'src', 'index.ts')));
}

export async function buildFunctions({ quiet = false } = {}) {
  const results = [];
  for (const name of functionNames()) {
    const outfile = join(functionsDir, name, 'index.js');
    await build({
      entryPoints: [join(functionsDir, name, 'src', 'index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      // CloudBase's oldest Node.js runtime is 16.13: nothing newer may be emitted.
      target: 'node16',
      format: 'cjs',
      external: ['wx-server-sdk'],
      legalComments: 'none',
      logLevel: 'warning',
    });
    results.push({ name, outfile, bytes: statSync(outfile).size });
  }
  if (!quiet)
    for (const r of results) console.log(`built cloudfunctions/${r.name}/index.js (${(r.bytes / 1024).toFixed(1)} KB)`);
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildFunctions();
}
