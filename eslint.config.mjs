// Flat ESLint config: typescript-eslint's strict type-checked rules, type-only imports kept type-only (the client
// must not import runtime values from outside miniprogram/), and WeChat's globals for the mini-program.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const wechatGlobals = {
  wx: 'readonly',
  App: 'readonly',
  Page: 'readonly',
  Component: 'readonly',
  getApp: 'readonly',
  getCurrentPages: 'readonly',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cloudfunctions/*/index.js',
      'cloudfunctions/*/sdk-deferred.js',
      'dist/',
      'coverage/',
      '.devcloud/',
      '**/*.mjs',
      'jest.config.js',
      'devcloud/function-worker.js',
      // Runs at postinstall on whatever Node npm finds, possibly Node 16: plain JavaScript, outside the TS project.
      'scripts/node16-bin.js',
      'jest.browser.config.js',
      'scripts/shots/fixed-clock.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
      // SDK typings describe some runtime values wrongly (getWXContext turns digit strings into numbers): we normalise.
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
    },
  },
  {
    files: ['miniprogram/**/*.ts'],
    languageOptions: { globals: wechatGlobals },
    rules: {
      // The client may only erase-on-compile imports from outside miniprogram/ (DevTools packages nothing else).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../server/*', '../../devcloud/*'], message: 'server code never ships to the client' },
          ],
        },
      ],
    },
  },
  {
    // The verifier and example backend run on any Node >= 18 server: no CloudBase SDK, no cloud-function code.
    files: ['backend/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'wx-server-sdk', message: 'backend/ runs outside CloudBase' }],
          patterns: [{ group: ['../server/*', '../devcloud/*', '../miniprogram/*'], message: 'backend/ stands alone' }],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'devcloud/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
