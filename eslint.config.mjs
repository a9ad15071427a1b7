// Flat ESLint config: typescript-eslint's strict type-checked rules, type-only imports kept type-only (the client
// must not import runtime values from outside miniprogram/), and WeChat's globals for the mini-program.
import js from '@eslint/js';
import * as path from 'node:path';
import tseslint from 'typescript-eslint';
import kit from './scripts/eslint/miniprogram-boundary.mjs';

const wechatGlobals = {
  wx: 'readonly',
  App: 'readonly',
  Page: 'readonly',
  Component: 'readonly',
  Behavior: 'readonly',
  getApp: 'readonly',
  getCurrentPages: 'readonly',
};

// devcloud is a development tool (a devDependency of the kit, an npm workspace): the product never imports it,
// neither by package name nor by a relative path into devcloud/. test/check/product-imports.test.ts proves it.
const devcloudImports = {
  group: ['devcloud', 'devcloud/**', '**/devcloud', '**/devcloud/**'],
  message:
    'devcloud is a development tool: product code (miniprogram/, cloudbase/, cloudfunctions/, contracts/) never imports it',
};

// devcloud is a house of rooms (devcloud/README.md, "Rooms"). The house's rooms stand on floors, and a room imports
// only rooms on floors below its own; the phone and the console stand outside and import only protocol/ (they speak
// HTTP to the hub). devcloud/test/house.test.ts checks the same rules on the import graph and plants forbidden
// imports to prove these patterns refuse them.
const DEVCLOUD_FLOORS = {
  protocol: 0,
  faults: 1,
  http: 1,
  database: 2,
  functions: 2,
  wechat: 2,
  rules: 3,
  storage: 3,
  hub: 4,
};
const DEVCLOUD_CLIENTS = ['phone', 'console'];
const DEVCLOUD_WINGS = ['database', 'rules', 'storage', 'functions', 'wechat'];
const DEVCLOUD_ROOMS = [...Object.keys(DEVCLOUD_FLOORS), ...DEVCLOUD_CLIENTS];

/** The rooms `room` may import. */
function devcloudAllowed(room) {
  if (DEVCLOUD_CLIENTS.includes(room)) return ['protocol'];
  return Object.keys(DEVCLOUD_FLOORS).filter((other) => DEVCLOUD_FLOORS[other] < DEVCLOUD_FLOORS[room]);
}

/** Why `room` may not import `target`. */
function devcloudWhy(room, target) {
  if (room === 'protocol') return 'protocol/ is types only (and the wx error helper): it imports nothing of devcloud';
  if (room === 'faults') return 'faults/ imports nothing of devcloud but the types of protocol/';
  if (DEVCLOUD_CLIENTS.includes(room))
    return `${room}/ imports only protocol/: it speaks HTTP to the hub, so it could run in another process`;
  if (DEVCLOUD_WINGS.includes(room) && ['hub', ...DEVCLOUD_CLIENTS].includes(target))
    return `a wing (${room}/) never imports the hub, the phone or the console`;
  if (room === 'hub' && DEVCLOUD_CLIENTS.includes(target))
    return `the hub never imports ${target}/: the phone and the console speak HTTP to it`;
  return `no arrow back up: ${target}/ is not on a floor below ${room}/`;
}

/**
 * no-restricted-imports patterns for the files `depth` folders deep inside `room`: leaving the room takes depth + 1
 * `../`, and what follows names the room imported.
 */
function devcloudRoomPatterns(room, depth) {
  const up = `^(\\.\\./){${depth}}\\.\\.`;
  const allowed = devcloudAllowed(room);
  const patterns = DEVCLOUD_ROOMS.filter((target) => target !== room && !allowed.includes(target)).map((target) => ({
    regex: `${up}/${target}(/|$)`,
    message: `devcloud rooms: ${devcloudWhy(room, target)}`,
  }));
  patterns.push({
    // The entry and the CLI (loose at devcloud's root, the top floor), or the kit outside devcloud.
    regex: `${up}($|/(?!(${DEVCLOUD_ROOMS.join('|')})(/|$)))`,
    message: `devcloud rooms: ${room}/ imports neither devcloud's entry nor its CLI, nor anything outside devcloud`,
  });
  if (room === 'faults')
    patterns.push({
      regex: `${up}/protocol(/|$)`,
      importNames: ['wxError'],
      message: 'devcloud rooms: faults/ imports nothing of devcloud but the types of protocol/',
    });
  return patterns;
}

const devcloudRoomRules = DEVCLOUD_ROOMS.flatMap((room) =>
  [0, 1, 2, 3].map((depth) => ({
    files: [`devcloud/${room}/${'*/'.repeat(depth)}*.{ts,tsx}`],
    rules: { 'no-restricted-imports': ['error', { patterns: devcloudRoomPatterns(room, depth) }] },
  })),
);

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
      '**/jest.config.js',
      'devcloud/functions/worker.js',
      // Runs at postinstall on whatever Node npm finds, possibly Node 16: plain JavaScript, outside the TS project.
      'scripts/node16-bin.js',
      'jest.browser.config.js',
      'scripts/shots/fixed-clock.js',
      'devcloud/bin/',
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
    files: ['cloudbase/**/*.ts', 'cloudfunctions/**/*.ts', 'contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [devcloudImports] }],
    },
  },
  {
    // The use cases run on both hosts: nothing of CloudBase, nothing of the own server, no devcloud.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'wx-server-sdk', message: 'core/ is host-independent: CloudBase belongs in cloudbase/' }],
          patterns: [
            {
              group: ['**/cloudbase/**', '**/cloudbase', '**/server/**', '**/server'],
              message: 'core/ never imports a host',
            },
            devcloudImports,
          ],
        },
      ],
    },
  },
  {
    files: ['miniprogram/**/*.ts'],
    languageOptions: { globals: wechatGlobals },
    plugins: { kit },
    rules: {
      // DevTools uploads only miniprogram/: from outside it, nothing but types from contracts/ (resolved per file,
      // at any depth). npm run package checks the compiled require()s too.
      'kit/miniprogram-boundary': [
        'error',
        {
          root: path.join(import.meta.dirname, 'miniprogram'),
          projectRoot: import.meta.dirname,
          typesFrom: [path.join(import.meta.dirname, 'contracts')],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [devcloudImports] }],
    },
  },
  {
    // The own login server: the use cases of core/ over SQL and WeChat's HTTPS API. Nothing of CloudBase.
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'wx-server-sdk', message: 'server/ runs outside CloudBase' }],
          patterns: [
            { group: ['**/cloudbase/**', '**/cloudbase'], message: 'server/ never imports the CloudBase host' },
            devcloudImports,
          ],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [devcloudImports] }],
    },
  },
  {
    // The verifier and example backend run on any Node >= 18 server: no CloudBase SDK, no cloud-function code.
    files: ['verifier/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'wx-server-sdk', message: 'verifier/ runs outside CloudBase' }],
          patterns: [
            { group: ['../cloudbase/*', '../devcloud/*', '../miniprogram/*'], message: 'verifier/ stands alone' },
            devcloudImports,
          ],
        },
      ],
    },
  },
  {
    // The kit's tests and scripts use devcloud as any project would: through its package entry, never a path into it.
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(devcloud/|(\\.\\./)+devcloud(/|$))',
              message: "use devcloud's public entry: import { ... } from 'devcloud'",
            },
          ],
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
  {
    // devcloud's examples keep their cloud functions as CloudBase projects usually do: plain CommonJS JavaScript.
    files: ['devcloud/examples/*/cloudfunctions/*/*.js'],
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable', process: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  ...devcloudRoomRules,
);
