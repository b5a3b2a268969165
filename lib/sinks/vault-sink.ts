import { SINK_CREDENTIAL_ENV } from '../core/hook-contract';
import { type VaultSinkSpec, vaultSecretKey } from '../core/sink-spec';
import { LOCK_WAIT_MS, lockFileFor, withFileLock } from '../locks/file-lock';
import { DeliveryFailure } from './delivery-failure';
import type { Delivered } from './delivered';
import { type HttpSinkOptions, SinkHttp, readSinkCredential } from './http-sink';

/** Attempts of one read-merge-write before a check-and-set conflict fails the delivery (another machine kept writing). */
export const VAULT_CAS_ATTEMPTS = 10;
/** Longest pause before the next attempt after a check-and-set conflict, in ms (jittered, growing per attempt). */
const VAULT_CAS_MAX_PAUSE_MS = 500;

/**
 * Writes the secret into one field of a secret in a Vault KV version 2 engine, keeping its other fields: read
 * `GET /v1/{mount}/data/{path}`, merge, write `POST /v1/{mount}/data/{path}` with check-and-set on the version read.
 * Tokens writing other fields of one secret converge (docs/design.md, "One writer per destination"): on this machine
 * they take turns under a lock per secret (address, namespace, mount, path), and a writer elsewhere that got in between
 * makes the check-and-set fail, which is retried on a fresh read (never overwriting what the other wrote). The token
 * is read from `spec.tokenEnv` (default `VAULT_TOKEN`) now; it needs `read` and `create`/`update` on
 * `{mount}/data/{path}` (and `update` on `{mount}/delete/{path}` to undo a first write).
 *
 * @returns `undo`: on a fresh read, and only while the field still holds this secret, puts back the field's previous
 *   value (or removes the field it added) with check-and-set, keeping the other fields as they are now; a secret left
 *   with no field that did not exist before is deleted (its latest version).
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
  const lockPath = lockFileFor('destination', vaultSecretKey(spec));
  const locked = <T>(fn: () => Promise<T>): Promise<T> =>
    withFileLock(lockPath, fn, { waitMs: LOCK_WAIT_MS.destination, what: `the Vault secret ${spec.mount ?? 'secret'}/${spec.path}` });

  /** The secret as it is now. */
  const readSecret = async (): Promise<SecretRead> => {
    // 404: no secret there yet, or its latest version deleted (then the body still says which version that is).
    const read = await vault.call('GET', dataRoute, undefined, { retryable: true, accept: [404] });
    const body = read.json as { data?: { data?: unknown; metadata?: { version?: unknown } } } | undefined;
    const readVersion = body?.data?.metadata?.version;
    const version = typeof readVersion === 'number' && Number.isInteger(readVersion) && readVersion >= 0 ? readVersion : 0;
    const data = read.status === 200 ? body?.data?.data : undefined;
    if (read.status === 200 && (typeof data !== 'object' || data === null || Array.isArray(data))) {
      throw new DeliveryFailure(
        `Vault answered GET ${dataRoute} without a data object`,
        `check that ${spec.mount ?? 'secret'} is a KV version 2 engine and the address points at Vault`,
      );
    }
    const fields = data as Record<string, unknown> | undefined;
    if (fields) vault.addSecrets(stringsIn(fields));
    return { data: fields, version };
  };

  /**
   * Reads, lets `change` decide what to write (nothing: done), and writes it with check-and-set on the version read;
   * a conflict (a writer elsewhere got in between) starts again from a fresh read. Not retried blindly: after a lost
   * answer, a second write with the same check-and-set would fail for the wrong reason.
   * @returns the read the write was based on.
   */
  const readModifyWrite = async (change: (now: SecretRead) => { route: string; body: unknown } | undefined): Promise<SecretRead> => {
    for (let attempt = 1; ; attempt++) {
      const now = await readSecret();
      const write = change(now);
      if (!write) return now;
      const answer = await vault.call('POST', write.route, write.body, { retryable: false, accept: [400] });
      if (answer.status === 400) {
        if (!isCasConflict(answer.json) || attempt >= VAULT_CAS_ATTEMPTS) throw vault.failure('POST', write.route, answer);
        await sleep(Math.random() * Math.min(VAULT_CAS_MAX_PAUSE_MS, 50 * 2 ** attempt));
        continue;
      }
      if (write.route === dataRoute && typeof (answer.json as { data?: { version?: unknown } } | undefined)?.data?.version !== 'number') {
        throw new DeliveryFailure(`Vault answered POST ${dataRoute} without the version written`, 'check that the address points at Vault');
      }
      return now;
    }
  };

  const { data: previous } = await locked(() =>
    readModifyWrite(({ data, version }) => ({ route: dataRoute, body: { options: { cas: version }, data: { ...data, [field]: secret } } })),
  );
  return {
    undo: async () => {
      await locked(() =>
        readModifyWrite(({ data, version }) => {
          if (data?.[field] !== secret) return undefined; // another delivery wrote the field since: it is theirs
          const rest: Record<string, unknown> = { ...data };
          if (previous && field in previous) rest[field] = previous[field];
          else delete rest[field];
          if (!previous && Object.keys(rest).length === 0) return { route: `/v1/${mount}/delete/${path}`, body: { versions: [version] } };
          return { route: dataRoute, body: { options: { cas: version }, data: rest } };
        }),
      );
    },
  };
}

/** One read of a secret: its fields (absent when there is none) and the version a check-and-set must name. */
interface SecretRead {
  readonly data: Record<string, unknown> | undefined;
  readonly version: number;
}

/** Vault's answer to a check-and-set on a version that is no longer the latest. */
function isCasConflict(body: unknown): boolean {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) && errors.some((e) => typeof e === 'string' && /check-and-set/i.test(e));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every string inside a value: the other fields of a secret, which messages must not quote either. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}
