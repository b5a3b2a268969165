/**
 * How the example app (dist/main.js, what `npm start` and the CI example deploy) picks its state backend and its
 * secrets' destination from the environment at synth.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, terraformEnv } from '../helpers/e2e';
import { ROOT } from '../helpers/ci-runners';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Synthesized {
  terraform: { backend?: Record<string, Record<string, unknown>> };
  resource: { terraform_data: Record<string, { provisioner?: { 'local-exec': { environment?: Record<string, string> } }[] }> };
}

async function synth(env: NodeJS.ProcessEnv): Promise<{ code: number; output: string; json?: Synthesized; text?: string }> {
  const outdir = mkdtempSync(join(tmpdir(), 'agility-pat-example-'));
  dirs.push(outdir);
  const result = await run(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: terraformEnv({ CDKTF_OUTDIR: outdir, ...env }),
    timeoutMs: 60_000,
  });
  if (result.code !== 0) return result;
  const text = readFileSync(join(outdir, 'stacks', 'agility-tokens', 'cdk.tf.json'), 'utf8');
  return { ...result, text, json: JSON.parse(text) as Synthesized };
}

const sinksOf = (json: Synthesized): string[] =>
  Object.entries(json.resource.terraform_data)
    .filter(([k]) => k.includes('slot0'))
    .map(([, r]) => r.provisioner![0]['local-exec'].environment!.AGILITY_PAT_SINKS);

describe('the example app (main.ts)', () => {
  test('AGILITY_PAT_BACKEND=pg: the pg backend, its connection string (and password) left to PG_CONN_STR', async () => {
    const password = 'pw-that-must-not-be-synthesized';
    const r = await synth({ AGILITY_PAT_BACKEND: 'pg', PG_CONN_STR: `postgres://tf:${password}@db.example:5432/tf` });
    expect(r.code).toBe(0);
    expect(r.json!.terraform.backend).toEqual({ pg: {} });
    expect(r.text).not.toContain(password);
  });

  test('AGILITY_PAT_BACKEND=local:<absolute path>: a local state file there; a relative path or another value is refused', async () => {
    const r = await synth({ AGILITY_PAT_BACKEND: 'local:/srv/state/agility.tfstate' });
    expect(r.code).toBe(0);
    expect(r.json!.terraform.backend).toEqual({ local: { path: '/srv/state/agility.tfstate' } });
    for (const bad of ['local:state.tfstate', 's3']) {
      const refused = await synth({ AGILITY_PAT_BACKEND: bad });
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain(`AGILITY_PAT_BACKEND must be "pg" or "local:<absolute path>", got "${bad}"`);
    }
  });

  test('AGILITY_PAT_GITHUB_REPO: each token goes to an Actions secret with gh secret set; without it, to files', async () => {
    const gh = await synth({ AGILITY_PAT_GITHUB_REPO: 'owner/repo' });
    expect(gh.code).toBe(0);
    const argvs = sinksOf(gh.json!).map((s) => (JSON.parse(s) as { kind: string; argv: string[] }[]).map((x) => [x.kind, ...x.argv]));
    expect(argvs.sort()).toEqual([
      [['command', 'gh', 'secret', 'set', 'AGILITY_CI_DEPLOY_TOKEN', '--repo', 'owner/repo']],
      [['command', 'gh', 'secret', 'set', 'AGILITY_PREVIEW_TOKEN', '--repo', 'owner/repo']],
    ]);
    const files = await synth({});
    expect(
      sinksOf(files.json!)
        .map((s) => (JSON.parse(s) as { kind: string }[]).map((x) => x.kind))
        .sort(),
    ).toEqual([['env-file'], ['file']]);
  });
});
