import { build, type BuildFailure, type Message } from 'esbuild';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import type { Problem } from './problems';
import type { ShipProject } from './project';
import { FUNCTION_BUNDLE_OPTIONS } from '../build';

/**
 * The function's bundle as scripts/build.ts makes it (same esbuild options), in memory: what ships is exactly the
 * code the cloud-call analysis reads, including server/ helpers the function imports (FUNCTION_BUNDLE_OPTIONS is
 * shared with build.ts).
 */
export interface FunctionBundle {
  /** Source files bundled in, absolute, without node_modules (their cloud calls are not ours to declare). */
  sources: string[];
  /** Modules left to require at run time (wx-server-sdk): the function's package.json must provide them. */
  externals: string[];
  bytes: number;
}

export type BundleResult = { ok: true; bundle: FunctionBundle } | { ok: false; problems: Problem[] };

export function functionEntry(project: ShipProject, name: string): string | undefined {
  const dir = path.join(project.cloudfunctionRoot, name);
  return ['src/index.ts', 'src/index.js', 'index.js']
    .map((file) => path.join(dir, file))
    .find((file) => fs.existsSync(file));
}

/** With `outfile`, the bundle is also written there (staging for upload); without, it stays in memory. */
export async function bundleFunction(
  project: ShipProject,
  name: string,
  entry: string,
  outfile?: string,
): Promise<BundleResult> {
  try {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: project.root,
      // In memory the name only has to differ from the entry (a plain index.js function bundles itself).
      outfile: outfile ?? path.join(project.cloudfunctionRoot, name, 'bundle.in-memory.js'),
      ...FUNCTION_BUNDLE_OPTIONS,
      logLevel: 'silent',
      write: outfile !== undefined,
      metafile: true,
    });
    const output = Object.values(result.metafile.outputs)[0];
    return {
      ok: true,
      bundle: {
        sources: Object.keys(result.metafile.inputs)
          .filter((input) => !input.includes('node_modules/'))
          .map((input) => path.resolve(project.root, input)),
        externals: [
          ...new Set((output?.imports ?? []).filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path)),
        ].sort(),
        bytes: output?.bytes ?? 0,
      },
    };
  } catch (error) {
    const messages: Message[] = isBuildFailure(error) ? error.errors : [];
    if (messages.length === 0) throw error;
    return {
      ok: false,
      problems: messages.map((message) => ({
        file: message.location?.file ?? path.relative(project.root, entry),
        ...(message.location ? { line: message.location.line, column: message.location.column + 1 } : {}),
        message: `esbuild: ${message.text}`,
      })),
    };
  }
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}
