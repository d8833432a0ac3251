// Two tiers: unit specs beside the code (fast, no I/O) and integration specs
// against the real Kafka broker and PostgreSQL (see test/support/global-setup.ts).
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }];
// jose 6 ships ES modules only: Node 20.19+ loads it with require() at run time, but jest's own module
// system does not (before Node 24.9), so ts-jest compiles it to CommonJS for the tests.
const esmOnly = ['jose'];
const transform = { '^.+\\.ts$': tsJest, [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: tsJest };
const transformIgnorePatterns = [`/node_modules/(?!(${esmOnly.join('|')})/)`];
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/apps/**/*.int-spec.ts', '<rootDir>/libs/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
