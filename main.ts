/**
 * The example app `npm start` and the CI example deploy: two Agility Personal Access Tokens for a typical project.
 * - `ci-deploy`: used by CI, rotated every 30 days, the previous generation kept live for one more period.
 * - `preview-site`: used by a preview deployment, fixed expiry.
 * Where the secrets go: with AGILITY_PAT_GITHUB_REPO=owner/repo (the CI example), into that repository's Actions
 * secrets through `gh secret set` (GH_TOKEN in the deploy's environment); otherwise into files under secrets/.
 * Where Terraform keeps its state: AGILITY_PAT_BACKEND (see `backend` below); a scheduled CI deploy needs a backend
 * that outlives the runner.
 * The API comes from AGILITY_API_URL (the emulator when `npm start` runs without credentials), the OAuth access
 * token from the variable named by AGILITY_CREDENTIAL_ENV (default AGILITY_ACCESS_TOKEN).
 */
import { isAbsolute } from 'node:path';
import { App, LocalBackend, PgBackend, TerraformOutput, TerraformStack, type PgBackendConfig } from 'cdktf';
import { AgilityApi, AgilityPersonalAccessToken, AgilityTokenReconciler, Duration, SecretSink } from './lib';

/**
 * AGILITY_PAT_BACKEND: unset or empty, Terraform's default local state in the project folder (fine on a laptop,
 * lost with a CI runner); `local:<absolute path>`, a local state file there; `pg`, Terraform's PostgreSQL backend,
 * which reads the connection string from PG_CONN_STR itself, so its password never enters cdk.tf.json.
 */
function backend(stack: TerraformStack, setting: string | undefined): void {
  if (!setting) return;
  if (setting === 'pg') {
    new PgBackend(stack, {} as PgBackendConfig);
    return;
  }
  const path = setting.startsWith('local:') ? setting.slice('local:'.length) : '';
  if (!isAbsolute(path)) {
    throw new Error(
      `AGILITY_PAT_BACKEND must be "pg" or "local:<absolute path>", got ${JSON.stringify(setting)}. Unset it for the default local state.`,
    );
  }
  new LocalBackend(stack, { path });
}

/** Where a secret goes: a GitHub Actions secret of AGILITY_PAT_GITHUB_REPO when it is set, else `file`. */
function destination(secretName: string, file: SecretSink): SecretSink {
  const repo = process.env.AGILITY_PAT_GITHUB_REPO;
  // gh reads the value from stdin and authenticates with GH_TOKEN, the one variable of the deploy's environment this
  // sink lists (a command sink inherits only a fixed base and the variables its `env` names: docs/sinks.md).
  return repo
    ? SecretSink.command(['gh', 'secret', 'set', secretName, '--repo', repo], { timeout: Duration.minutes(2), env: ['GH_TOKEN'] })
    : file;
}

const app = new App();
const stack = new TerraformStack(app, 'agility-tokens');
backend(stack, process.env.AGILITY_PAT_BACKEND);

AgilityTokenReconciler.configure(stack, {
  api: AgilityApi.fromEnvironment(),
  credentialEnv: process.env.AGILITY_CREDENTIAL_ENV || 'AGILITY_ACCESS_TOKEN',
});

const ci = new AgilityPersonalAccessToken(stack, 'ci-deploy', {
  name: 'ci-deploy',
  rotation: { every: Duration.days(30) },
  sinks: [destination('AGILITY_CI_DEPLOY_TOKEN', SecretSink.file('secrets/ci-deploy.token'))],
});

const preview = new AgilityPersonalAccessToken(stack, 'preview-site', {
  name: 'preview-site',
  expiresAt: '2027-10-31T00:00:00Z',
  sinks: [destination('AGILITY_PREVIEW_TOKEN', SecretSink.envFile('secrets/preview-site.env', 'AGILITY_PREVIEW_TOKEN'))],
});

for (const token of [ci, preview]) {
  new TerraformOutput(stack, `${token.node.id}-managed-name`, { value: token.currentManagedName });
  new TerraformOutput(stack, `${token.node.id}-expiry`, { value: token.currentExpiry ?? 'Agility default (2 years from creation)' });
  new TerraformOutput(stack, `${token.node.id}-next-rotation`, { value: token.nextRotation ?? 'never (fixed expiry)' });
}

app.synth();
