import { ConfigError } from '../core/errors';

import { HOOK_ENV } from '../core/hook-contract';

export { DEFAULT_CREDENTIAL_ENV, HOOK_ENV } from '../core/hook-contract';

/** A required variable's value, or a ConfigError saying which is missing. */
export function requireEnv(env: NodeJS.ProcessEnv, name: string, purpose: string): string {
  const v = env[name];
  if (v === undefined || v === '') {
    throw new ConfigError(
      `the environment variable ${name} is not set; it should hold ${purpose}. The construct sets it for Terraform hooks.`,
      {
        prop: name,
      },
    );
  }
  return v;
}

/** A whole number from a variable. */
export function intEnv(env: NodeJS.ProcessEnv, name: string, purpose: string): number {
  const raw = requireEnv(env, name, purpose);
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number (${purpose}), got "${raw}".`, { prop: name });
  return Number(raw);
}

/**
 * The API client's deadline per call from `AGILITY_PAT_TIMEOUT_MS`, or `undefined` (the client's default, 30 s)
 * when it is unset or empty. @throws ConfigError for anything but a positive whole number.
 */
export function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[HOOK_ENV.timeoutMs]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^[1-9]\d{0,8}$/.test(raw)) {
    throw new ConfigError(
      `${HOOK_ENV.timeoutMs} must be a whole number of milliseconds from 1 to 999999999 (how long one API call may take, retries included), got "${raw}".`,
      { prop: HOOK_ENV.timeoutMs },
    );
  }
  return Number(raw);
}

export { clockFromEnv } from '../core/clock';
