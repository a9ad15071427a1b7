/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    // Type-checking is `npm run typecheck`'s job; transpiling per file keeps the suite fast.
    '^.+\\.ts$': 'ts-jest',
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Browser tests need Chromium from apt: `npm run test:browser` (jest.browser.config.js) runs them.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
  // npm run package writes upload folders (with package.json files) under dist/: not modules for jest.
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.devcloud/'],
  setupFiles: ['<rootDir>/test/support/setup-wx.ts'],
  testTimeout: 30000,
};
