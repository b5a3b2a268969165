import { SINK_CREDENTIAL_ENV } from '../core/hook-contract';
import { DEFAULT_GITHUB_API_URL, type GitHubActionsSinkSpec } from '../core/sink-spec';
import { DeliveryFailure } from './delivery-failure';
import type { Delivered } from './delivered';
import { type HttpSinkOptions, SinkHttp, readSinkCredential } from './http-sink';

/** The REST API version the requests are written against (`X-GitHub-Api-Version`). */
export const GITHUB_API_VERSION = '2022-11-28';

/** The route of the secrets of the spec's scope, without the trailing `/public-key` or `/{secret_name}`. */
export function gitHubSecretsRoute(spec: GitHubActionsSinkSpec): string {
  if (spec.organization !== undefined) return `/orgs/${encodeURIComponent(spec.organization)}/actions/secrets`;
  const [owner, repo] = (spec.repository as string).split('/').map(encodeURIComponent);
  return spec.environment === undefined
    ? `/repos/${owner}/${repo}/actions/secrets`
    : `/repos/${owner}/${repo}/environments/${encodeURIComponent(spec.environment)}/secrets`;
}

/**
 * Writes the secret as a GitHub Actions secret (repository, environment or organization), as GitHub documents it:
 * `GET …/secrets/public-key`, seal the value with that key (libsodium `crypto_box_seal`), then
 * `PUT …/secrets/{name}` with the sealed value and the key's `key_id`. The token is read from `spec.tokenEnv`
 * (default `GITHUB_TOKEN`) now, and needs the `secrets` write permission of the scope.
 *
 * @returns no `undo`: GitHub never gives a secret's value back, so the previous one cannot be restored.
 * @throws DeliveryFailure naming the call and GitHub's answer; never the token or the secret.
 */
export async function deliverToGitHubActions(secret: string, spec: GitHubActionsSinkSpec, options: HttpSinkOptions): Promise<Delivered> {
  const tokenEnv = spec.tokenEnv ?? SINK_CREDENTIAL_ENV.githubActions;
  const token = readSinkCredential(options.env, tokenEnv, 'GitHub');
  const github = new SinkHttp(
    'GitHub',
    spec.apiUrl ?? DEFAULT_GITHUB_API_URL,
    { accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION, authorization: `Bearer ${token}` },
    [token, secret],
    options,
  );
  const route = gitHubSecretsRoute(spec);
  const keyAnswer = await github.call('GET', `${route}/public-key`, undefined, { retryable: true });
  const { keyId, key } = readPublicKey(keyAnswer.json);
  const body: Record<string, unknown> = { encrypted_value: await seal(secret, key), key_id: keyId };
  if (spec.organization !== undefined) {
    body.visibility = spec.visibility ?? 'private';
    if (spec.selectedRepositoryIds !== undefined) body.selected_repository_ids = [...spec.selectedRepositoryIds];
  }
  // The same sealed value written twice is the same secret: a lost answer may be retried.
  await github.call('PUT', `${route}/${encodeURIComponent(spec.name)}`, body, { retryable: true });
  return {};
}

function readPublicKey(json: unknown): { keyId: string; key: Uint8Array } {
  const o = json as { key_id?: unknown; key?: unknown } | undefined;
  const key = typeof o?.key === 'string' ? Buffer.from(o.key, 'base64') : undefined;
  if (typeof o?.key_id !== 'string' || o.key_id === '' || key === undefined || key.length !== 32) {
    throw new DeliveryFailure(
      'GitHub answered the public-key request without a usable key (expected key_id and a base64 32-byte key)',
      "check that the sink's apiUrl points at GitHub's REST API",
    );
  }
  return { keyId: o.key_id, key: new Uint8Array(key) };
}

/** libsodium's sealed box, base64: what GitHub decrypts with the scope's private key. libsodium loads only here. */
async function seal(secret: string, publicKey: Uint8Array): Promise<string> {
  // A require inside the function: the hook program loads libsodium (~1 MB) only when a GitHub sink delivers.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sodium = require('libsodium-wrappers') as typeof import('libsodium-wrappers');
  await sodium.ready;
  const sealed = sodium.crypto_box_seal(sodium.from_string(secret), publicKey);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
