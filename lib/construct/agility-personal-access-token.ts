import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Annotations, App, TerraformStack, type LocalExecProvisioner, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { Duration } from '../core/duration';
import { HOOK_ENV } from '../core/hook-contract';
import { canonicalJson } from '../core/manifest';
import { sinkDestination, type SinkSpec, type SinkTarget } from '../core/sink-spec';
import { resolveTokenSpec, type ResolvedTokenSpec, type SlotPlan } from '../core/token-spec';
import { AgilityTokenReconciler } from './agility-token-reconciler';
import { validatingAt } from './construct-errors';
import { hookCommand, hookProgramAsset } from './hook-program';
import { requireKnownAtSynth } from './known-at-synth';
import type { SecretSink } from './secret-sink';
import { createHookResource } from './slot-resource';
import { escapeTerraformLiteral, escapeTerraformLiterals } from './terraform-string';

/** A rotation schedule: a new token every period, the previous one kept live for one more period. */
export interface TokenRotation {
  /**
   * How often a new token is created. At least 1 day. Rotation happens only when a deploy runs: schedule one.
   */
  readonly every: Duration;
  /**
   * How long each token lives. At least two periods plus 1 day of grace (one period plus grace with
   * `overlap: false`), at most 730 days (Agility's 2-year limit).
   * @default - three periods (two with overlap: false), at most 730 days
   */
  readonly lifetime?: Duration;
  /**
   * Keep the previous generation live for one more period, so consumers that have not picked up the new secret keep
   * working (two slots). `false`: one slot, revoked before its successor is created.
   * @default true
   */
  readonly overlap?: boolean;
  /**
   * The instant generation 0 starts; generations start at `anchor + g·every`. Must not be in the future.
   * @default - an offset derived from the stack and the token name, so one stack's tokens do not all rotate at once
   */
  readonly anchor?: Date | string;
  /**
   * Retire the previous generation before its period ends: once the current generation has been used and the previous
   * one has not been used for `quietFor` (`true`: 1 day), the stack's reconciler revokes it, shrinking the time a
   * leaked old secret works. Needs overlap; `quietFor` at least 1 hour and shorter than `every`. Takes effect when a
   * deploy runs the reconciler (daily with the default drift check).
   * @default false
   */
  readonly retireEarly?: boolean | { readonly quietFor: Duration };
}

/** A token made by hand that a managed token takes over (the `replaces` prop, in its long form). */
export interface ReplacedToken {
  /** The exact name, or the id, of the token made by hand. A token carrying any stack's marker is refused. */
  readonly token: string;
  /**
   * How long the hand-made token stays live after the managed token was first delivered, so its consumers can move
   * to the new secret. `false`: revoked at once, in the deploy that delivers the managed token.
   * @default - one rotation period (`rotation.every`); at once with `rotation.overlap: false`; 7 days for a token that does not rotate
   */
  readonly overlap?: Duration | false;
}

/** Props of {@link AgilityPersonalAccessToken}. */
export interface AgilityPersonalAccessTokenProps {
  /**
   * The token's name, unique in the stack. Agility sees it with a marker appended, e.g.
   * `ci-deploy [cdktf:prod~3fa9c1/g2931]`; the whole must fit Agility's 100 characters.
   */
  readonly name: string;
  /**
   * A fixed expiry, at most 2 years away. Exclusive with `rotation`. A date that has passed is a warning: the hook
   * creates nothing.
   * @default - no fixed expiry: see `rotation`
   */
  readonly expiresAt?: Date | string;
  /**
   * Rotate on a schedule. Exclusive with `expiresAt`.
   * @default - no rotation: with neither prop, Agility's 2-year default applies and the token then simply stops working
   */
  readonly rotation?: TokenRotation;
  /**
   * Where each new secret is delivered, once.
   * @default - none: a warning, since nobody would ever see the secret
   */
  readonly sinks?: readonly SecretSink[];
  /**
   * Prove each new token works before any sink sees it: `GET /api/v1/users/me` with the new token must answer as the
   * user of the OAuth credential, within about 15 seconds (retried with backoff, for propagation). A token that
   * fails is revoked and the deploy fails; nothing is delivered. `false` skips the check.
   * @default true
   */
  readonly verify?: boolean;
  /**
   * A token made by hand that this one takes over: its exact name or id (or {@link ReplacedToken} to set the overlap).
   * Once this token is delivered, the stack's reconciler revokes the hand-made one after one overlap period (see
   * {@link ReplacedToken.overlap}); `agility-pat status` shows it as `being-replaced` until then. A token carrying any
   * stack's marker is never touched.
   * @default - none
   */
  readonly replaces?: string | ReplacedToken;
}

/**
 * An Agility CMS Personal Access Token as infrastructure. `cdktf deploy` creates it and delivers its secret to the
 * sinks, rotates it on schedule with an overlap, and revokes it when it leaves the code (through the stack's
 * reconciler) or when the stack is destroyed. No secret ever enters the configuration, the state or the output.
 *
 * Its resources are `terraform_data` slots (docs/design.md, "Generations and slots"): `slot0`, and `slot1` for overlapping rotation.
 * Construct ids are API: renaming one replaces live tokens.
 */
export class AgilityPersonalAccessToken extends Construct {
  /** The name declared in code. */
  readonly declaredName: string;
  /** The managed name of the current generation, as Agility lists it. */
  readonly currentManagedName: string;
  /** The managed names that are live after a deploy at the synth instant (current, and previous with overlap). */
  readonly managedNames: readonly string[];
  /** The current generation (0 for a token that does not rotate). */
  readonly currentGeneration: number;
  /** ISO-8601 expiry of the current generation; undefined when Agility's 2-year default applies. */
  readonly currentExpiry: string | undefined;
  /** ISO-8601 instant the next generation starts (a deploy after it rotates); undefined without rotation. */
  readonly nextRotation: string | undefined;
  /** The slot resources, in slot order. */
  readonly slots: readonly TerraformResource[];

  constructor(scope: Construct, id: string, props: AgilityPersonalAccessTokenProps) {
    super(scope, id);
    const given: unknown = props.sinks ?? [];
    validatingAt(this, () =>
      requireKnownAtSynth({
        name: props.name,
        expiresAt: props.expiresAt,
        'rotation.anchor': props.rotation?.anchor,
        replaces: props.replaces,
        sinks: Array.isArray(given) ? given.map((s: SecretSink | undefined) => s?.spec) : undefined,
      }),
    );
    const reconciler = AgilityTokenReconciler.of(this);
    // Not an array (plain JavaScript callers): passed on as it is, for resolveTokenSpec's error naming this construct.
    const sinks = Array.isArray(given)
      ? given.map((s: SecretSink) => rebaseSinkPath(s.spec, this, reconciler.projectDir))
      : (given as SinkSpec[]);
    const { spec, warnings } = validatingAt(this, () =>
      resolveTokenSpec(
        {
          declaredName: props.name,
          stackTag: reconciler.stackTag,
          expiresAt: props.expiresAt,
          rotation: props.rotation,
          replaces: props.replaces,
          verify: props.verify,
          sinks,
          ephemeralHost: runsUnderCi(process.env),
          constructPath: this.node.path,
        },
        reconciler.synthNowMs,
      ),
    );
    for (const w of warnings) Annotations.of(this).addWarning(w.message);

    const hook = hookProgramAsset(this);
    // Every token of a stack uses the stack's API and credential (AgilityTokenReconciler.configure): one reconciler
    // lists and repairs them all with one credential.
    const { apiUrl, credentialEnv } = reconciler;
    this.slots = spec.slots
      .filter((slot) => slot.role !== 'none' && slot.managedName !== null)
      .map((slot) =>
        createSlot(this, spec, slot, { hook, apiUrl, credentialEnv, resourceType: reconciler.resourceType, verify: spec.verify }),
      );
    reconciler.register(spec, [...this.slots], { targets: sinkTargets(props.sinks ?? [], this.node.path, reconciler.projectDir) });

    this.declaredName = spec.declaredName;
    this.currentManagedName = spec.currentManagedName;
    this.managedNames = spec.slots.flatMap((s) => (s.role === 'none' || s.managedName === null ? [] : [s.managedName]));
    this.currentGeneration = spec.currentGeneration;
    this.currentExpiry = spec.currentExpiryDate ?? undefined;
    this.nextRotation = spec.nextRotation ?? undefined;
  }
}

function createSlot(
  scope: Construct,
  spec: ResolvedTokenSpec,
  slot: SlotPlan,
  ctx: { hook: string; apiUrl: string; credentialEnv: string; resourceType: 'terraform_data' | 'null_resource'; verify: boolean },
): TerraformResource {
  const sinksJson = JSON.stringify(spec.sinks);
  // Everything the destroy hook needs is a trigger: it may reference only `self`, and it must act on the values of
  // the generation being destroyed, not the new configuration's. No secret: triggers are stored in state.
  const triggers = escapeTerraformLiterals({
    managed_name: slot.managedName as string,
    declared_name: spec.declaredName,
    generation: String(slot.generation),
    expiry: slot.expiryDate ?? '',
    api_url: ctx.apiUrl,
    credential_env: ctx.credentialEnv,
    sinks_hash: createHash('sha256').update(canonicalJson(spec.sinks)).digest('hex').slice(0, 16),
  });
  return createHookResource(scope, `slot${slot.slot}`, {
    resourceType: ctx.resourceType,
    triggers,
    provisioners: (self): LocalExecProvisioner[] => {
      // What both hooks need to find the token: all from `self`, as a destroy hook must read it.
      const findToken = {
        [HOOK_ENV.apiUrl]: self('api_url'),
        [HOOK_ENV.credentialEnv]: self('credential_env'),
        [HOOK_ENV.managedName]: self('managed_name'),
      };
      return [
        {
          type: 'local-exec',
          command: hookCommand(ctx.hook, 'create'),
          environment: {
            ...findToken,
            [HOOK_ENV.declaredName]: self('declared_name'),
            [HOOK_ENV.generation]: self('generation'),
            [HOOK_ENV.expiry]: self('expiry'),
            // Not a trigger: a slot whose generation is still live must not be replaced when the current one moves on.
            [HOOK_ENV.currentGeneration]: String(spec.currentGeneration),
            [HOOK_ENV.sinks]: escapeTerraformLiteral(sinksJson),
            // Not a trigger either: turning the check on or off must not replace a live token.
            ...(ctx.verify ? {} : { [HOOK_ENV.verify]: 'false' }),
          },
        },
        {
          type: 'local-exec',
          when: 'destroy',
          command: hookCommand(ctx.hook, 'destroy'),
          environment: findToken,
        },
      ];
    },
  });
}

/** Where the token's sinks write (file paths made absolute), for the app-wide check that no two tokens share one. */
function sinkTargets(sinks: readonly SecretSink[], constructPath: string, projectDir: string): SinkTarget[] {
  return sinks.flatMap(({ spec }) => {
    const destination = sinkDestination(spec, (path) => resolve(projectDir, path));
    return destination ? [{ constructPath, sink: spec, destination }] : [];
  });
}

/** CI services (GitHub Actions, GitLab, CircleCI and others) set CI=true on their runners. */
function runsUnderCi(env: NodeJS.ProcessEnv): boolean {
  return /^(true|1)$/i.test(env.CI ?? '');
}

/**
 * Hooks run in the stack's Terraform folder (cdktf.out/stacks/<stack>); a relative sink path is meant relative to the
 * project folder, so it is rewritten relative to the stack folder. The result is the same on every machine.
 */
function rebaseSinkPath(spec: SinkSpec, scope: Construct, projectDir: string): SinkSpec {
  if ((spec.kind !== 'file' && spec.kind !== 'env-file') || typeof spec.path !== 'string' || spec.path === '' || isAbsolute(spec.path)) {
    return spec;
  }
  const stackDir = resolve(projectDir, App.of(scope).outdir, 'stacks', TerraformStack.of(scope).node.id);
  return { ...spec, path: relative(stackDir, join(projectDir, spec.path)) };
}
