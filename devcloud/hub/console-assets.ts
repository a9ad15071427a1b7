/**
 * The console's page: console/main.tsx (Preact) and console/styles/, bundled by esbuild in memory the first time
 * the page is asked for, then kept. No network and no build step: like the rest of devcloud, which ships its
 * sources and compiles them as it loads (bin/devcloud.js), the console is built by the devcloud that serves it, so
 * a fresh `npm ci` (or `npm install devcloud`) then `devcloud` serves it, and it can never be older than its sources.
 */
import type * as Esbuild from 'esbuild';
import { createRequire } from 'module';
import { dirname, join } from 'path';

export interface ConsoleAssets {
  html: string;
  script: string;
  style: string;
  /** How long the build took (ms). */
  buildMs: number;
}

const SOURCE_DIR = join(__dirname, '..', 'console');

let building: Promise<ConsoleAssets> | undefined;

/** The built page; the first call builds it (about 0.1 s), later calls share that build. A failed build is retried. */
export function consoleAssets(): Promise<ConsoleAssets> {
  if (!building) {
    building = buildConsole();
    building.catch(() => (building = undefined));
  }
  return building;
}

/**
 * esbuild through Node's own require: loaded through bin/devcloud.js's tsx namespace, esbuild would look for its
 * binary at a path carrying the namespace (`...esbuild?namespace=devcloud`) and fail to start it.
 */
const nodeRequire = createRequire(__filename);

async function buildConsole(): Promise<ConsoleAssets> {
  const started = Date.now();
  const { build } = nodeRequire('esbuild') as typeof Esbuild;
  const result = await build({
    entryPoints: [join(SOURCE_DIR, 'main.tsx')],
    // Resolved the way devcloud's own modules resolve packages, wherever devcloud is installed.
    nodePaths: [dirname(dirname(nodeRequire.resolve('preact/package.json')))],
    bundle: true,
    write: false,
    outdir: 'console-build',
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    tsconfigRaw: { compilerOptions: { jsx: 'react-jsx', jsxImportSource: 'preact' } },
  });
  const output = (extension: string) => {
    const file = result.outputFiles.find((candidate) => candidate.path.endsWith(extension));
    if (!file) throw new Error(`the console build made no ${extension} file`);
    return file.text;
  };
  return { html: PAGE, script: output('.js'), style: output('.css'), buildMs: Date.now() - started };
}

/** The page's shell: the app renders into #app; the skip link leads past the navigation to the section. */
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>devcloud console</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/console/app.css">
    <script defer src="/console/app.js"></script>
  </head>
  <body>
    <a class="skip-link" href="#main">Skip to content</a>
    <div id="app"><p class="loading">Loading the devcloud console…</p></div>
    <noscript><p>The devcloud console needs JavaScript. The control API (/devcloud/...) works without it.</p></noscript>
  </body>
</html>
`;
