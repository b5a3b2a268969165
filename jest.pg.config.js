// `npm run test:pg`: the suites that need a PostgreSQL server (files ending in .pg-test.ts); `npm test` leaves them out.
module.exports = { ...require('./jest.config'), testMatch: ['**/*.pg-test.ts'] };
