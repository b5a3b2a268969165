import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, InvalidInputError } from '../../core/errors';
import { parseManifest } from '../../core/manifest';
import { slotRole } from '../../core/rotation';
import { validateSinkSpec, type SinkSpec } from '../../core/sink-spec';
import { ensureToken, reconcileStack, retainToken, revokeToken } from '../../lifecycle';
import type { CliContext, Command } from '../context';
import { lifecycleDeps } from '../deps';
import { DEFAULT_CREDENTIAL_ENV, HOOK_ENV, intEnv, requireEnv } from '../env-inputs';

export const HOOK_HELP = `Usage: agility-pat hook <create|destroy|reconcile>

Terraform's local-exec provisioners run these; inputs come from environment variables (README, "Hook contract"):
  create     ensure the slot's token exists and deliver it (current generation), or keep it (previous generation)
  destroy    revoke the slot's token (missing, revoked or expired counts as done)
  reconcile  revoke this stack's tokens the code no longer declares; recreate declared ones revoked out of band

Variables: ${Object.values(HOOK_ENV).join(', ')}, and the credential variable named by ${HOOK_ENV.credentialEnv}
(default ${DEFAULT_CREDENTIAL_ENV}).`;

/** `agility-pat hook <action>`. */
export async function hookCommand(args: string[], ctx: CliContext): Promise<number> {
  const [action, ...rest] = args;
  // Checked before any input is read: a mistyped action must not be reported as a missing variable.
  if (action !== 'create' && action !== 'destroy' && action !== 'reconcile') {
    throw new InvalidInputError(
      `unknown hook action "${action ?? ''}": expected create, destroy or reconcile. Run agility-pat hook --help.`,
    );
  }
  if (rest.length > 0)
    throw new InvalidInputError(
      `agility-pat hook ${action} takes no arguments, got "${rest.join(' ')}". Inputs come from environment variables.`,
    );
  const env = ctx.env;
  const apiUrl = requireEnv(env, HOOK_ENV.apiUrl, 'the Agility Management API base URL');
  const credentialEnv = env[HOOK_ENV.credentialEnv] || DEFAULT_CREDENTIAL_ENV;

  switch (action) {
    case 'create': {
      const managedName = requireEnv(env, HOOK_ENV.managedName, 'the managed token name');
      const generation = intEnv(env, HOOK_ENV.generation, "the slot's generation");
      const current = env[HOOK_ENV.currentGeneration] ? intEnv(env, HOOK_ENV.currentGeneration, 'the current generation') : generation;
      const deps = lifecycleDeps(ctx, apiUrl, credentialEnv);
      const role = slotRole(generation, current);
      if (role === 'retain') {
        await retainToken(deps, managedName);
        return 0;
      }
      if (role === 'none') {
        ctx.out(
          `agility-pat: "${managedName}" is generation ${generation}, not the current (${current}) or the previous one: nothing to do`,
        );
        return 0;
      }
      await ensureToken(deps, {
        declaredName: requireEnv(env, HOOK_ENV.declaredName, 'the token name declared in code'),
        managedName,
        generation,
        expiryDate: env[HOOK_ENV.expiry] ? env[HOOK_ENV.expiry]! : null,
        sinks: parseSinks(env[HOOK_ENV.sinks]),
      });
      return 0;
    }
    case 'destroy': {
      const managedName = requireEnv(env, HOOK_ENV.managedName, 'the managed token name');
      await revokeToken(lifecycleDeps(ctx, apiUrl, credentialEnv), managedName);
      return 0;
    }
    case 'reconcile': {
      const file = resolve(ctx.cwd, requireEnv(env, HOOK_ENV.manifest, "the path of the stack's manifest"));
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new ConfigError(
          `cannot read the stack manifest ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); synthesize the stack again.`,
          {
            file,
          },
        );
      }
      await reconcileStack(lifecycleDeps(ctx, apiUrl, credentialEnv), parseManifest(text));
      return 0;
    }
  }
}

function parseSinks(raw: string | undefined): SinkSpec[] {
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${HOOK_ENV.sinks} must be a JSON array of sink specs; it is not valid JSON.`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${HOOK_ENV.sinks} must be a JSON array of sink specs.`);
  return parsed.map((s, i) => validateSinkSpec(s as SinkSpec, `${HOOK_ENV.sinks}[${i}]`));
}

/** `agility-pat hook`, as the program's entry point loads it. */
export const command: Command = { help: HOOK_HELP, run: hookCommand };
