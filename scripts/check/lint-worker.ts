// The lint check's own process (see lint.ts): runs lint-core on a project and prints its CheckResult as JSON.
// Usage: node -r ts-node/register/transpile-only scripts/check/lint-worker.ts <projectRoot> [--config-only]
import { loadProject } from '../ship/project';
import { lintProject } from './lint-core';

const [root, ...flags] = process.argv.slice(2);
if (root !== undefined) {
  void lintProject(loadProject(root), flags.includes('--config-only')).then((result) => {
    process.stdout.write(JSON.stringify(result));
  });
}
