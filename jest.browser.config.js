/**
 * `npm run test:browser`: the tests that need Debian's Chromium and a CJK font (bash scripts/browser/install.sh),
 * which `npm test` leaves out so that it passes on a machine without them. The kit's jest project, other tests.
 * @type {import('jest').Config}
 */
const { projects, ...shared } = require('./jest.config');
const kit = projects.find((project) => typeof project === 'object' && project.displayName === 'kit');

module.exports = {
  ...shared,
  ...kit,
  testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 60000,
};
