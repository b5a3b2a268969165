/**
 * The example workflow's scheduled deploy from fresh runners that share only a local state file outside all of them
 * (the stand-in for a remote backend that needs nothing installed). test/pg/ci-runners.pg-test.ts runs the same tests
 * on Terraform's pg backend (`npm run test:pg`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeScheduledDeploys } from '../helpers/ci-runners';

jest.setTimeout(900_000);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeScheduledDeploys('a local state file outside the runners', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agility-pat-state-'));
  dirs.push(dir);
  const path = join(dir, 'agility-tokens.tfstate');
  return {
    env: { AGILITY_PAT_BACKEND: `local:${path}` },
    secrets: { PG_CONN_STR: 'not-used-by-the-local-backend' },
    confidential: [],
    dump: async () => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    },
    forget: async () => {
      rmSync(path, { force: true });
      rmSync(`${path}.backup`, { force: true });
    },
  };
});
