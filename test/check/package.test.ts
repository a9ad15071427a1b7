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
    // The fixture keeps the placeholder appid: a warning here, a refusal only in a real deploy.
    expect(stdout).toContain(
      'placeholders: 1 left; a real npm run deploy refuses to upload until each is replaced:\n  warning: project.config.json:5: appid "wxd0000000000000": the placeholder AppID',
    );
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

  it('fails on each require() of a file outside the package: values from contracts/ and server/, at any depth', () => {
    const { status, stdout } = runPackage(
      makeFixture({
        'contracts/index.ts':
          "export const ERROR_CODES = ['INTERNAL'] as const;\nexport type ErrorCode = 'INTERNAL';\n",
        'server/handler.ts': 'export const defineHandler = (): void => undefined;\n',
        // A page (depth 3) takes a value from contracts/ and uses a service (depth 2) that imports server/.
        'miniprogram/pages/index/index.ts':
          "import { ERROR_CODES } from '../../../contracts';\nimport { probe } from '../../services/probe';\nexport const codes = [ERROR_CODES, probe];\n",
        'miniprogram/services/probe.ts':
          "import { defineHandler } from '../../server/handler';\nexport const probe = defineHandler;\n",
        // A component (depth 3) imports server/ too.
        'miniprogram/components/card/card.ts':
          "import { defineHandler } from '../../../server/handler';\nComponent({ methods: { h: defineHandler } });\n",
      }).root,
    );
    // Line numbers depend on miniprogram-ci's output (minified or not): match the file and the target.
    const failed = stdout.slice(stdout.indexOf('npm run package: FAILED'));
    const broken = (file: string, specifier: string, target: string): RegExp =>
      new RegExp(
        `^  ${file.replace(/[./]/g, '\\$&')}:\\d+ requires "${specifier.replace(/[./]/g, '\\$&')}" \\(${target.replace(/[./]/g, '\\$&')}, outside the mini-program root\\): the page fails on a phone when it loads$`,
        'm',
      );
    expect(failed).toMatch(broken('pages/index/index.js', '../../../contracts', '../contracts'));
    expect(failed).toMatch(broken('services/probe.js', '../../server/handler', '../server/handler'));
    expect(failed).toMatch(broken('components/card/card.js', '../../../server/handler', '../server/handler'));
    expect(stdout).toContain('require(): 4 calls, 3 to a file the package does not have:');
    expect(status).toBe(1);
  });

  it('passes type-only imports from contracts/ (erased) and a package built into miniprogram_npm/', () => {
    const { status, stdout } = runPackage(
      makeFixture({
        'contracts/index.ts': "export type ErrorCode = 'INTERNAL';\n",
        'miniprogram/miniprogram_npm/tiny/index.js': 'module.exports = { tiny: 1 };\n',
        'miniprogram/pages/index/index.ts':
          "import { tiny } from 'tiny';\nimport type { ErrorCode } from '../../../contracts';\nimport { type ErrorCode as Code } from '../../../contracts';\nexport const code: ErrorCode | Code = 'INTERNAL';\nexport const t = tiny;\n",
      }).root,
    );
    expect(stdout).toMatch(/require\(\): \d+ calls, each to a file in the package/);
    expect(stdout).toContain('npm run package: ok');
    expect(status).toBe(0);
  });
});
