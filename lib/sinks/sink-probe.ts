import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { SINK_CREDENTIAL_ENV } from '../core/hook-contract';
import { DEFAULT_GITHUB_API_URL, describeSink, type SinkSpec } from '../core/sink-spec';
import type { StackManifest } from '../core/manifest';
import type { ProbedToken, SinkProbe } from '../core/sink-probe';
import { managedNameState } from '../core/token-state';
import type { PersonalAccessTokenResponse } from '../api/models';
import { entryMatches, readRecordEntry, recordKey, UNKNOWN_TOKEN_ID } from './delivery-record';
import { DeliveryFailure } from './delivery-failure';
import { readEnvValueText } from './env-file-format';
import { GITHUB_API_VERSION, gitHubSecretsRoute } from './github-actions-sink';
import { SinkHttp } from './http-sink';

/**
 * Whether a destination still holds the secret of the token delivered to it (docs/design.md, "Many machines, one
 * writer"), read without ever using that secret (no `users/me` call, which would move the token's `lastUsedDate`):
 * - file, env-file: the bytes there against the delivery record beside the file (the token id and a keyed fingerprint);
 *   without a record there is no proof, which is a drift (a deploy's drift check then delivers, and records, afresh);
 * - github-actions: the secret's `updated_at` (GitHub never gives a value back) against the token's creation: a secret
 *   that is gone, last written before the token existed, or written long after its delivery holds something else;
 * - vault: the field is there, and the secret's current version was not written before the token existed;
 * - command: a program cannot be asked what it did with the secret: not checked.
 */

/** Where a probe reads from: the stack folder (relative paths, as the hooks resolve them) and the sink credentials. */
export interface ProbeOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Milliseconds allowed for each HTTP request. @default 30000 */
  readonly timeoutMs?: number;
}

/** Clock skew allowed between Agility's creation date and a vendor's write date (both servers' clocks). */
export const PROBE_CLOCK_SKEW_MS = 60_000;
/**
 * The longest a delivery takes from the token's creation to its last sink (verification up to 15 s, a command sink up
 * to its timeout, HTTP retries): a GitHub secret written later than this was written by someone else.
 */
export const DELIVERY_WINDOW_MS = 15 * 60_000;

/** Probes every sink of a token; never throws (a probe that cannot run says `unchecked`, with why). */
export async function probeSinks(sinks: readonly SinkSpec[], token: ProbedToken, options: ProbeOptions): Promise<SinkProbe[]> {
  return Promise.all(sinks.map((spec) => probeSink(spec, token, options)));
}

async function probeSink(spec: SinkSpec, token: ProbedToken, options: ProbeOptions): Promise<SinkProbe> {
  const sink = describeSink(spec);
  const result = (state: SinkProbe['state'], why: string): SinkProbe => ({ sink, state, why });
  try {
    switch (spec.kind) {
      case 'file':
      case 'env-file': {
        const path = resolve(options.cwd, spec.path);
        const content = await fs.readFile(path).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        });
        if (content === undefined) return result('drift', `${path} does not exist`);
        let bytes = content;
        if (spec.kind === 'env-file') {
          const value = readEnvValueText(content.toString('latin1'), spec.key);
          if (value === undefined) return result('drift', `${path} has no ${spec.key}`);
          bytes = Buffer.from(value, 'latin1');
        }
        const entry = await readRecordEntry(path, recordKey(spec.kind === 'env-file' ? spec.key : undefined));
        // No proof is no proof: a value without its record may be one that a writer on another machine (with its own
        // lock folder) put back from a stale read, or one delivered before records were kept.
        if (entry === undefined) return result('drift', 'no delivery record beside it, so it cannot be shown to hold the live token');
        if (entry.tokenId === UNKNOWN_TOKEN_ID)
          return result('drift', 'it holds what was put back when a delivery was taken back (no known token)');
        if (entry.tokenId !== token.tokenID) return result('drift', `its last recorded delivery is of another token (${entry.tokenId})`);
        if (!entryMatches(entry, bytes)) return result('drift', 'it no longer holds what was delivered (changed since)');
        return result('holds', 'matches its delivery record');
      }
      case 'github-actions':
        return result(...(await probeGitHub(spec, token, options)));
      case 'vault':
        return result(...(await probeVault(spec, token, options)));
      case 'command':
        return result('unchecked', 'a command cannot be asked what it did with the secret');
    }
  } catch (e) {
    const why = e instanceof DeliveryFailure ? e.why : `${(e as NodeJS.ErrnoException)?.code ?? 'unexpected error'}`;
    return result('unchecked', `could not be read (${why})`);
  }
}

type Found = [SinkProbe['state'], string];

async function probeGitHub(spec: Extract<SinkSpec, { kind: 'github-actions' }>, token: ProbedToken, options: ProbeOptions): Promise<Found> {
  const tokenEnv = spec.tokenEnv ?? SINK_CREDENTIAL_ENV.githubActions;
  const credential = options.env[tokenEnv]?.trim();
  if (!credential) return ['unchecked', `${tokenEnv} is not set where this runs`];
  const github = new SinkHttp(
    'GitHub',
    spec.apiUrl ?? DEFAULT_GITHUB_API_URL,
    { accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION, authorization: `Bearer ${credential}` },
    [credential],
    { timeoutMs: options.timeoutMs },
  );
  const answer = await github.call('GET', `${gitHubSecretsRoute(spec)}/${encodeURIComponent(spec.name)}`, undefined, {
    retryable: true,
    accept: [404],
  });
  if (answer.status === 404) return ['drift', 'the secret does not exist'];
  const updatedAt = Date.parse(String((answer.json as { updated_at?: unknown } | undefined)?.updated_at));
  if (Number.isNaN(updatedAt)) return ['unchecked', 'GitHub gave no updated_at'];
  return writtenWhen(updatedAt, token, 'the secret was last written');
}

async function probeVault(spec: Extract<SinkSpec, { kind: 'vault' }>, token: ProbedToken, options: ProbeOptions): Promise<Found> {
  const tokenEnv = spec.tokenEnv ?? SINK_CREDENTIAL_ENV.vault;
  const credential = options.env[tokenEnv]?.trim();
  if (!credential) return ['unchecked', `${tokenEnv} is not set where this runs`];
  const headers: Record<string, string> = { 'x-vault-token': credential, 'x-vault-request': 'true' };
  if (spec.namespace !== undefined) headers['x-vault-namespace'] = spec.namespace;
  const vault = new SinkHttp('Vault', spec.address, headers, [credential], { timeoutMs: options.timeoutMs });
  const segments = (p: string): string => p.split('/').map(encodeURIComponent).join('/');
  const answer = await vault.call('GET', `/v1/${segments(spec.mount ?? 'secret')}/data/${segments(spec.path)}`, undefined, {
    retryable: true,
    accept: [404],
  });
  const body = answer.json as { data?: { data?: Record<string, unknown>; metadata?: { created_time?: unknown } } } | undefined;
  // The answer holds the field's value: it is only looked at, never kept or shown.
  vault.addSecrets(Object.values(body?.data?.data ?? {}).filter((v): v is string => typeof v === 'string'));
  const field = spec.field ?? 'token';
  if (answer.status === 404 || typeof body?.data?.data?.[field] !== 'string') return ['drift', `the field ${field} is not there`];
  const createdTime = Date.parse(String(body.data.metadata?.created_time));
  if (Number.isNaN(createdTime)) return ['unchecked', 'Vault gave no created_time'];
  if (token.createdDate === null) return ['unchecked', NO_CREATION_DATE];
  if (createdTime < Date.parse(token.createdDate) - PROBE_CLOCK_SKEW_MS) {
    return ['drift', `its current version was written at ${new Date(createdTime).toISOString()}, before the token was created`];
  }
  return ['holds', 'its current version was written after the token was created'];
}

/** Why a write time cannot be judged: the token list gave no creation date (the API leaves it optional). */
const NO_CREATION_DATE = 'the Agility API gave no creation date for the token, so the write time cannot be judged';

/** A write time against the token's creation: before it, or long after its delivery, is someone else's write. */
function writtenWhen(at: number, token: ProbedToken, what: string): Found {
  if (token.createdDate === null) return ['unchecked', NO_CREATION_DATE];
  const created = Date.parse(token.createdDate);
  const when = new Date(at).toISOString();
  if (at < created - PROBE_CLOCK_SKEW_MS) return ['drift', `${what} at ${when}, before the token was created`];
  if (at > created + DELIVERY_WINDOW_MS) return ['drift', `${what} at ${when}, after the token's delivery (someone else wrote it)`];
  return ['holds', `${what} during the token's delivery`];
}

/**
 * `status` and the model read the destinations of a stack: for each declared token whose current generation has exactly
 * one live, delivered token, what its sinks hold. Tokens in any other state get no probe: their own verdicts (missing,
 * undelivered, duplicate) already say what a deploy does.
 */
/** Probes the sinks of every declared token that has exactly one live, delivered token of its current generation. */
export async function probeStackSinks(
  manifest: StackManifest,
  listed: readonly PersonalAccessTokenResponse[],
  nowMs: number,
  options: ProbeOptions,
): Promise<Map<string, SinkProbe[]>> {
  const checks = new Map<string, SinkProbe[]>();
  await Promise.all(
    manifest.tokens.map(async (t) => {
      const { delivered } = managedNameState(listed, t.currentManagedName, nowMs);
      if (delivered.length !== 1 || t.sinks.length === 0) return;
      checks.set(t.declaredName, await probeSinks(t.sinks, delivered[0]!, options));
    }),
  );
  return checks;
}

export type { ProbedToken, SinkProbe } from '../core/sink-probe';
