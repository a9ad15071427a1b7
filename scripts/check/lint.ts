import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Problem } from '../ship/problems';
import type { ShipProject } from '../ship/project';
import type { CheckResult } from './types';

/**
 * The lint check (ESLint + Prettier, see lint-core.ts), run in a child process: both load their configs and
 * plugins with a dynamic import(), which a host that evaluates code in a VM (jest) refuses.
 */
export async function checkLint(project: ShipProject): Promise<CheckResult> {
  return runWorker(project, false);
}

/** Only the promises about the ESLint config (no linting, no formatting): quick, for tests. */
export async function verifyEslintConfig(project: ShipProject): Promise<Problem[]> {
  return (await runWorker(project, true)).problems;
}

async function runWorker(project: ShipProject, configOnly: boolean): Promise<CheckResult> {
  const worker = path.join(__dirname, 'lint-worker.ts');
  const register = createRequire(__filename).resolve('ts-node/register/transpile-only');
  const args = ['-r', register, worker, project.root, ...(configOnly ? ['--config-only'] : [])];
  const result = spawnSync(process.execPath, args, {
    cwd: path.join(__dirname, '..', '..'),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (result.status !== 0 || !result.stdout) {
    const reason = (result.stderr || String(result.error ?? `exit ${String(result.status)}`)).trim().split('\n')[0]!;
    return { problems: [{ file: '.', message: `the lint worker failed: ${reason}` }], summary: 'eslint, prettier' };
  }
  return Promise.resolve(JSON.parse(result.stdout) as CheckResult);
}
