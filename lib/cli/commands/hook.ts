import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, InvalidInputError } from '../../core/errors';
import { parseManagedName } from '../../core/managed-name';
import { parseManifest } from '../../core/manifest';
import { parseInstant } from '../../core/validation';
import { slotRole } from '../../core/rotation';
import { validateSinkSpec, type SinkSpec, type ValidSinkSpec } from '../../core/sink-spec';
import { ensureToken, reconcileStack, retainToken, revokeToken, type TokenTarget } from '../../lifecycle';
import type { CliContext, Command } from '../context';
import { lifecycleDeps } from '../deps';
import { DEFAULT_CREDENTIAL_ENV, HOOK_ENV, intEnv, requireEnv } from '../env-inputs';

export const HOOK_HELP = `Usage: agility-pat hook <create|destroy|reconcile>

Terraform's local-exec provisioners run these; inputs come from environment variables (docs/hooks.md):
  create     ensure the slot's token exists and deliver it (current generation), or keep it (previous generation)
  destroy    revoke the slot's token (missing, revoked or expired counts as done)
  reconcile  revoke this stack's tokens the code no longer declares; recreate declared ones revoked out of band

Variables: ${Object.values(HOOK_ENV).join(', ')}, and the credential variable named by ${HOOK_ENV.credentialEnv}
(default ${DEFAULT_CREDENTIAL_ENV}); when it is unset, the login \`agility-pat auth login\` stored for the API URL
(docs/oauth.md, "The credential chain").`;

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
      // Every input is checked before the first API call: a bad input must fail with the existing token still live.
      const inputs = readCreateInputs(env);
      const deps = await lifecycleDeps(ctx, apiUrl, credentialEnv);
      const role = slotRole(inputs.generation, inputs.current);
      if (role === 'none') {
        ctx.out(
          `agility-pat: "${inputs.managedName}" is generation ${inputs.generation}, not the current (${inputs.current}) or the previous one: nothing to do`,
        );
        return 0;
      }
      await ctx.stops.interruptible<unknown>(() => (role === 'retain' ? retainToken(deps, inputs.managedName) : ensureToken(deps, inputs)));
      return 0;
    }
    case 'destroy': {
      const managedName = managedNameEnv(env);
      const deps = await lifecycleDeps(ctx, apiUrl, credentialEnv);
      await ctx.stops.interruptible(() => revokeToken(deps, managedName));
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
          { file },
        );
      }
      const manifest = parseManifest(text);
      const deps = await lifecycleDeps(ctx, apiUrl, credentialEnv);
      await ctx.stops.interruptible(() => reconcileStack(deps, manifest));
      return 0;
    }
  }
}

/** The create hook's inputs, all checked: a managed name, whole generations, an ISO-8601 expiry, valid sink specs. */
function readCreateInputs(env: NodeJS.ProcessEnv): TokenTarget & { current: number } {
  const managedName = managedNameEnv(env);
  const generation = intEnv(env, HOOK_ENV.generation, "the slot's generation");
  const current = env[HOOK_ENV.currentGeneration] ? intEnv(env, HOOK_ENV.currentGeneration, 'the current generation') : generation;
  const declaredName = requireEnv(env, HOOK_ENV.declaredName, 'the token name declared in code');
  const parts = parseManagedName(managedName)!;
  if (parts.declaredName !== declaredName || parts.generation !== generation) {
    throw new ConfigError(
      `${HOOK_ENV.managedName} "${managedName}" is not generation ${generation} of "${declaredName}" (${HOOK_ENV.declaredName}, ${HOOK_ENV.generation}): synthesize the stack again.`,
      { prop: HOOK_ENV.managedName },
    );
  }
  const rawExpiry = env[HOOK_ENV.expiry];
  if (rawExpiry) parseInstant(rawExpiry, HOOK_ENV.expiry);
  const expiryDate = rawExpiry ? rawExpiry : null;
  return { managedName, declaredName, generation, current, expiryDate, sinks: parseSinks(env[HOOK_ENV.sinks]) };
}

/** The slot's managed name (never a pending one: the hooks derive that themselves). */
function managedNameEnv(env: NodeJS.ProcessEnv): string {
  const managedName = requireEnv(env, HOOK_ENV.managedName, 'the managed token name');
  const parts = parseManagedName(managedName);
  if (!parts || parts.pending) {
    throw new ConfigError(
      `${HOOK_ENV.managedName} must be a managed token name such as "ci-deploy [cdktf:prod~3fa9c1/g12]", got ${JSON.stringify(managedName)}: synthesize the stack again.`,
      { prop: HOOK_ENV.managedName },
    );
  }
  return managedName;
}

/** The hook's sinks, parsed once here: delivery takes them as they are. */
function parseSinks(raw: string | undefined): ValidSinkSpec[] {
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
