// Two tiers: unit specs beside the code (fast, no I/O) and integration specs
// against the real Kafka broker and PostgreSQL (see test/support/global-setup.ts).
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }];
// Dependencies published as ES modules only, compiled to CommonJS for jest (see jest.esm-packages.js).
const esmOnly = ['jose', '@nestjs'];
const esmPackages = ['<rootDir>/jest.esm-packages.js', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }];
const transform = { '^.+\\.ts$': tsJest, [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: esmPackages };
const transformIgnorePatterns = [`/node_modules/(?!(${esmOnly.join('|')})/)`];
// var/ holds run data and the bench's built base commits (a whole checkout each): never modules of ours
const modulePathIgnorePatterns = ['<rootDir>/var/'];
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/apps/**/*.int-spec.ts', '<rootDir>/libs/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
