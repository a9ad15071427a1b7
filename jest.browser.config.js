/**
 * `npm run test:browser`: the tests that need Debian's Chromium and a CJK font (bash scripts/browser/install.sh),
 * which `npm test` leaves out so that it passes on a machine without them.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require('./jest.config'),
  testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 60000,
};
