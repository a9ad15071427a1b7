/**
 * Two jest projects: the kit's own tests (test/) and devcloud's (devcloud/test/, configured in its own package).
 * `npx jest test/path/file.test.ts` still runs one file, whichever project holds it.
 */
/** @type {import('jest').Config} */
module.exports = {
  // A safety net against load (npm run test:busy), not a measure: a test waits for events, never for a duration.
  testTimeout: 60000,
  projects: [
    {
      displayName: 'kit',
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
    },
    '<rootDir>/devcloud',
  ],
};
