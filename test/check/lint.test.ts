import { checkLint, verifyEslintConfig } from '../../scripts/check/lint';
import { makeFixture, removeFixtures } from './fixture';

afterAll(removeFixtures);

describe('lint check (ESLint with the project config, Prettier on ts, json and wxss)', () => {
  it('reports ESLint errors and unformatted files at file:line, and passes the untouched files', async () => {
    const project = makeFixture({
      // A value import used only as a type: consistent-type-imports wants `import type`.
      'cloudfunctions/hello/src/shape.ts': 'export class Shape {\n  constructor(readonly name: string) {}\n}\n',
      'cloudfunctions/hello/src/use.ts':
        "import { Shape } from './shape';\n\nexport function describe(shape: Shape): string {\n  return shape.name;\n}\n",
      'miniprogram/pages/index/index.wxss': '.page {\n  padding:24rpx;\n}\n',
    });
    const { problems, summary } = await checkLint(project);
    expect(problems).toEqual([
      {
        file: 'cloudfunctions/hello/src/use.ts',
        line: 1,
        column: 1,
        message:
          '@typescript-eslint/consistent-type-imports: All imports in the declaration are only used as types. Use `import type`.',
      },
      {
        file: 'miniprogram/pages/index/index.wxss',
        line: 2,
        message:
          'not formatted as Prettier would (run: npx prettier --write miniprogram/pages/index/index.wxss --parser css)',
      },
    ]);
    expect(summary).toMatch(/^eslint \d+ files, prettier \d+ files$/);
  });

  it('fails when the ESLint config does not declare the mini-program globals or type-only imports', async () => {
    const project = makeFixture({
      'eslint.config.mjs': `import tseslint from 'typescript-eslint';

export default tseslint.config(...tseslint.configs.strictTypeChecked, {
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
});
`,
    });
    const problems = await verifyEslintConfig(project);
    expect(problems).toEqual([
      { file: 'eslint.config.mjs', message: 'miniprogram/app.ts: @typescript-eslint/consistent-type-imports is off' },
      {
        file: 'eslint.config.mjs',
        message:
          'miniprogram/app.ts: the mini-program globals wx, App, Page, Component, getApp, getCurrentPages are not declared (languageOptions.globals)',
      },
      {
        file: 'eslint.config.mjs',
        message: 'cloudfunctions/hello/src/index.ts: @typescript-eslint/consistent-type-imports is off',
      },
    ]);
  });

  it('fails when the config is not strict type-checked', async () => {
    const project = makeFixture({
      'eslint.config.mjs': `import tseslint from 'typescript-eslint';

export default tseslint.config(...tseslint.configs.recommended, {
  rules: { '@typescript-eslint/consistent-type-imports': 'error' },
  languageOptions: { globals: { wx: 'readonly', App: 'readonly', Page: 'readonly', Component: 'readonly', getApp: 'readonly', getCurrentPages: 'readonly' } },
});
`,
    });
    const messages = (await verifyEslintConfig(project)).map((problem) => problem.message);
    expect(messages).toContain(
      'miniprogram/app.ts: linted without type information (set parserOptions.projectService): type-checked rules cannot run',
    );
    expect(messages.some((m) => /strict-type-checked rules are on/.test(m))).toBe(true);
  });
});
