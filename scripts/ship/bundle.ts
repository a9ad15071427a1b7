import type { BuildFailure, Message } from 'esbuild';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import type { Problem } from './problems';
import type { ShipProject } from './project';
import { bundleFunction as buildBundle } from '../build';

/**
 * The function's bundle as scripts/build.ts makes it (the same bundleFunction), in memory: what ships is exactly the
 * code the cloud-call analysis reads, including cloudbase/ helpers the function imports.
 */
export interface FunctionBundle {
  /** Source files bundled in, absolute, without node_modules (their cloud calls are not ours to declare). */
  sources: string[];
  /**
   * Packages left to require at run time: none when everything resolves, as wx-server-sdk is bundled in. The
   * function's package.json would have to provide them (the cloud installs only what it lists).
   */
  externals: string[];
  /** Packages bundled in (wx-server-sdk...): a package.json that lists them makes the cloud install them for nothing. */
  bundledPackages: string[];
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
    const result = await buildBundle({
      entry,
      absWorkingDir: project.root,
      // In memory the name only has to differ from the entry (a plain index.js function bundles itself).
      outfile: outfile ?? path.join(project.cloudfunctionRoot, name, 'bundle.in-memory.js'),
      logLevel: 'silent',
      write: outfile !== undefined,
    });
    const inputs = [...Object.keys(result.main.inputs), ...Object.keys(result.side?.inputs ?? {})];
    const imports = Object.values(result.main.outputs).flatMap((output) => output.imports);
    return {
      ok: true,
      bundle: {
        sources: inputs
          .filter((input) => !input.includes('node_modules/') && !input.endsWith('sdk-deferred.entry.js'))
          .map((input) => path.resolve(project.root, input)),
        externals: [
          ...new Set(
            imports
              // The side file (./sdk-deferred.js) is ours and ships in the folder; packages are what is left.
              .filter((i) => i.external && !isBuiltin(i.path) && !i.path.startsWith('.'))
              .map((i) => i.path),
          ),
        ].sort(),
        bundledPackages: [
          ...new Set(inputs.map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1]).filter(Boolean)),
        ].sort() as string[],
        bytes: result.files.reduce((sum, file) => sum + file.bytes, 0),
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
