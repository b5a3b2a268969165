/** Jest runs the TypeScript sources through ts-jest (transpile only, from tsconfig.test.json's isolatedModules: `npm run typecheck` checks types). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/docs/examples'],
  // The examples import the package by name, as a user's repo does; here that name is the sources.
  moduleNameMapper: { '^agility-pat-cdktf$': '<rootDir>/lib', '^agility-pat-cdktf/testing$': '<rootDir>/lib/testing' },
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 60000,
};
