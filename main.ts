/**
 * The example app `npm start` deploys: two Agility Personal Access Tokens for a typical project.
 * - `ci-deploy`: used by CI, rotated every 30 days, the previous generation kept live for one more period, its
 *   secret written to a file that the CI runner reads.
 * - `preview-site`: used by a preview deployment, fixed expiry, delivered into a dotenv file.
 * The API comes from AGILITY_API_URL (the emulator when `npm start` runs without credentials), the OAuth access
 * token from the variable named by AGILITY_CREDENTIAL_ENV (default AGILITY_ACCESS_TOKEN).
 */
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { AgilityApi, AgilityPersonalAccessToken, AgilityTokenReconciler, Duration, SecretSink } from './lib';

const app = new App();
const stack = new TerraformStack(app, 'agility-tokens');

AgilityTokenReconciler.configure(stack, {
  api: AgilityApi.fromEnvironment(),
  credentialEnv: process.env.AGILITY_CREDENTIAL_ENV || 'AGILITY_ACCESS_TOKEN',
});

const ci = new AgilityPersonalAccessToken(stack, 'ci-deploy', {
  name: 'ci-deploy',
  rotation: { every: Duration.days(30) },
  sinks: [SecretSink.file('secrets/ci-deploy.token')],
});

const preview = new AgilityPersonalAccessToken(stack, 'preview-site', {
  name: 'preview-site',
  expiresAt: '2027-10-31T00:00:00Z',
  sinks: [SecretSink.envFile('secrets/preview-site.env', 'AGILITY_PREVIEW_TOKEN')],
});

for (const token of [ci, preview]) {
  new TerraformOutput(stack, `${token.node.id}-managed-name`, { value: token.currentManagedName });
  new TerraformOutput(stack, `${token.node.id}-expiry`, { value: token.currentExpiry ?? 'Agility default (2 years from creation)' });
  new TerraformOutput(stack, `${token.node.id}-next-rotation`, { value: token.nextRotation ?? 'never (fixed expiry)' });
}

app.synth();
