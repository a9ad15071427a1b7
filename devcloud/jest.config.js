/** devcloud's own tests (`npm test` in devcloud/, or the kit's `npm test`, which runs this as one of its projects). */
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'devcloud',
  testEnvironment: 'node',
  transform: {
    // Type-checking is the type-check's job; transpiling per file keeps the suite fast.
    '^.+\\.ts$': 'ts-jest',
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/.devcloud/'],
  // A per-project timeout (testTimeout is a global option only): see the file.
  setupFilesAfterEnv: ['<rootDir>/test/support/timeout.ts'],
};
