/**
 * `npm run test:pg`: the example workflow's scheduled deploy from fresh runners that share Terraform's `pg` backend
 * (built into Terraform: no provider download; state locking with PostgreSQL advisory locks), exactly as the
 * workflow configures it (AGILITY_PAT_BACKEND=pg, PG_CONN_STR from the secrets), on a throwaway PostgreSQL server.
 * Needs Debian's `postgresql` package (.ci/run installs it when missing). The same tests as
 * test/e2e/ci-runners.test.ts, which uses a local state file.
 */
import { describeScheduledDeploys } from '../helpers/ci-runners';
import { startPostgres, type RunningPostgres } from '../helpers/postgres';

jest.setTimeout(900_000);

let pg: RunningPostgres;
let databases = 0;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => pg?.stop());

describeScheduledDeploys(
  'PostgreSQL (the pg backend)',
  async () => {
    const db = `agility_tokens_${++databases}`;
    pg.psql('postgres', `CREATE DATABASE ${db}`);
    const table = 'terraform_remote_state.states';
    const hasState = () => pg.psql(db, `SELECT to_regclass('${table}') IS NOT NULL`).trim() === 't';
    return {
      // The workflow's own setting (AGILITY_PAT_BACKEND: pg) applies; only the connection string is the test's.
      env: {},
      secrets: { PG_CONN_STR: pg.connStr(db) },
      confidential: [pg.password],
      dump: async () => (hasState() ? pg.psql(db, `SELECT name || ' ' || data FROM ${table}`) : ''),
      forget: async () => {
        pg.psql(db, `DELETE FROM ${table}`);
      },
    };
  },
  { racingLatencies: [0.8, 4] },
);
