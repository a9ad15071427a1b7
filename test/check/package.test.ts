import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { toolsInstalled } from '../../scripts/ship/tools';
import { makeFixture, removeFixtures, REPO } from './fixture';

afterAll(removeFixtures);

/** `npm run package` in its own process: miniprogram-ci forks workers and leaves handles that jest would wait on. */
function runPackage(root: string): { status: number | null; stdout: string } {
  const register = createRequire(__filename).resolve('ts-node/register/transpile-only');
  const result = spawnSync(
    process.execPath,
    ['-r', register, path.join(REPO, 'scripts', 'package.ts'), '--root', root],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: result.status, stdout: result.stdout };
}

// miniprogram-ci is installed on first use, not by `npm ci`: these run once `npm ci --prefix tools` (or
// `npm run package`) has installed it (CI runs npm run package first), and are skipped on a fresh clone.
const withTools = toolsInstalled() ? describe : describe.skip;

withTools('npm run package (miniprogram-ci, offline)', () => {
  it('compiles the fixture, prints its size against 2 MB and its files, and stages the function', () => {
    const { status, stdout } = runPackage(makeFixture().root);
    expect(stdout).toMatch(/main package: [\d.]+ KB of 2\.00 MB \(0\.\d%\)/);
    expect(stdout).toMatch(/ {2}pages\/index\/index\.js$/m);
    expect(stdout).toMatch(/ {2}components\/card\/card\.wxml$/m);
    expect(stdout).not.toMatch(/\.ts$/m);
    expect(stdout).toContain('should not ship: none');
    expect(stdout).toMatch(/hello: [\d.]+ KB in 3 files, folder dist\/package\/cloudfunctions\/hello\//);
    expect(stdout).toContain('npm run package: ok');
    expect(status).toBe(0);
  });

  it('fails when a file that should not ship would be uploaded', () => {
    const { status, stdout } = runPackage(
      makeFixture({
        'miniprogram/pages/index/index.ts': "import './fixture.test.js';\nexport const title = 'index';\n",
        'miniprogram/pages/index/fixture.test.js': 'module.exports = {};\n',
      }).root,
    );
    expect(stdout).toContain('pages/index/fixture.test.js   <- should not ship: test');
    expect(stdout).toContain('npm run package: FAILED\n  pages/index/fixture.test.js should not ship: test');
    expect(status).toBe(1);
  });
});
