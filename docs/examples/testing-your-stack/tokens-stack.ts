/**
 * A user's stack, as it would sit in their own infra repo: two tokens, one rotating into a file CI reads, one with a
 * fixed expiry in a dotenv file. tokens-stack.test.ts tests it with the testing kit (docs/testing.md).
 */
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AgilityApi, AgilityPersonalAccessToken, AgilityTokenReconciler, Duration, SecretSink } from 'agility-pat-cdktf';

export interface TokensStackProps {
  /** The Management API. @default AgilityApi.fromEnvironment() (AGILITY_API_URL, else Agility's) */
  api?: AgilityApi;
  /** Where the secrets go; relative paths are relative to the folder holding cdktf.json. @default 'secrets' */
  secretsDir?: string;
}

export class TokensStack extends TerraformStack {
  readonly ci: AgilityPersonalAccessToken;
  readonly preview: AgilityPersonalAccessToken;

  constructor(scope: Construct, id: string, props: TokensStackProps = {}) {
    super(scope, id);
    const dir = props.secretsDir ?? 'secrets';
    AgilityTokenReconciler.configure(this, { api: props.api ?? AgilityApi.fromEnvironment() });
    this.ci = new AgilityPersonalAccessToken(this, 'ci-deploy', {
      name: 'ci-deploy',
      rotation: { every: Duration.days(7) },
      sinks: [SecretSink.file(`${dir}/ci-deploy.token`)],
    });
    this.preview = new AgilityPersonalAccessToken(this, 'preview-site', {
      name: 'preview-site',
      expiresAt: '2027-10-31T00:00:00Z',
      sinks: [SecretSink.envFile(`${dir}/preview.env`, 'AGILITY_PREVIEW_TOKEN')],
    });
  }
}
