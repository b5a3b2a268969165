import { SINK_CREDENTIAL_ENV } from '../core/hook-contract';
import type { VaultSinkSpec } from '../core/sink-spec';
import { DeliveryFailure } from './delivery-failure';
import type { Delivered } from './delivered';
import { type HttpSinkOptions, SinkHttp, readSinkCredential } from './http-sink';

/**
 * Writes the secret into one field of a secret in a Vault KV version 2 engine, keeping its other fields: read
 * `GET /v1/{mount}/data/{path}`, merge, write `POST /v1/{mount}/data/{path}` with check-and-set on the version read
 * (a concurrent writer makes the write fail instead of being overwritten). The token is read from `spec.tokenEnv`
 * (default `VAULT_TOKEN`) now; it needs `read` and `create`/`update` on `{mount}/data/{path}` (and `update` on
 * `{mount}/delete/{path}` to undo a first write).
 *
 * @returns `undo`: writes the previous version's data back with check-and-set on the version written (a new
 *   version), or, when there was no previous secret, deletes the version written.
 * @throws DeliveryFailure naming the call and Vault's answer; never the token, the secret or another field.
 */
export async function deliverToVault(secret: string, spec: VaultSinkSpec, options: HttpSinkOptions): Promise<Delivered> {
  const tokenEnv = spec.tokenEnv ?? SINK_CREDENTIAL_ENV.vault;
  const token = readSinkCredential(options.env, tokenEnv, 'Vault');
  const headers: Record<string, string> = { 'x-vault-token': token, 'x-vault-request': 'true' };
  if (spec.namespace !== undefined) headers['x-vault-namespace'] = spec.namespace;
  const vault = new SinkHttp('Vault', spec.address, headers, [token, secret], options);
  const field = spec.field ?? 'token';
  const segments = (p: string): string => p.split('/').map(encodeURIComponent).join('/');
  const mount = segments(spec.mount ?? 'secret');
  const path = segments(spec.path);
  const dataRoute = `/v1/${mount}/data/${path}`;

  // 404: no secret there yet, or its latest version deleted (then the body still says which version that is).
  const read = await vault.call('GET', dataRoute, undefined, { retryable: true, accept: [404] });
  const body = read.json as { data?: { data?: unknown; metadata?: { version?: unknown } } } | undefined;
  const readVersion = body?.data?.metadata?.version;
  const version = typeof readVersion === 'number' && Number.isInteger(readVersion) && readVersion >= 0 ? readVersion : 0;
  const previousData = read.status === 200 ? body?.data?.data : undefined;
  if (read.status === 200 && (typeof previousData !== 'object' || previousData === null || Array.isArray(previousData))) {
    throw new DeliveryFailure(
      `Vault answered GET ${dataRoute} without a data object`,
      `check that ${spec.mount ?? 'secret'} is a KV version 2 engine and the address points at Vault`,
    );
  }
  const previous = previousData as Record<string, unknown> | undefined;
  if (previous) vault.addSecrets(stringsIn(previous));

  // Not retried: after a lost answer, a second write with the same check-and-set would fail for the wrong reason.
  const written = await vault.call(
    'POST',
    dataRoute,
    { options: { cas: version }, data: { ...previous, [field]: secret } },
    { retryable: false },
  );
  const newVersion = (written.json as { data?: { version?: unknown } } | undefined)?.data?.version;
  if (typeof newVersion !== 'number') {
    throw new DeliveryFailure(`Vault answered POST ${dataRoute} without the version written`, 'check that the address points at Vault');
  }
  return {
    undo: async () => {
      if (previous) {
        await vault.call('POST', dataRoute, { options: { cas: newVersion }, data: previous }, { retryable: false });
      } else {
        await vault.call('POST', `/v1/${mount}/delete/${path}`, { versions: [newVersion] }, { retryable: true });
      }
    },
  };
}

/** Every string inside a value: the other fields of a secret, which messages must not quote either. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}
