import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Lazy, TerraformStack, type ISynthesisSession, type TerraformResource } from 'cdktf';
// Not re-exported from cdktf's index; stable in 0.21.0, the last release (docs/design.md, "Facts").
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { Construct, type IConstruct } from 'constructs';
import { Duration } from '../core/duration';
import { DEFAULT_CREDENTIAL_ENV, HOOK_ENV, MANIFEST_FILE, SYNTH_NOW_CONTEXT } from '../core/hook-contract';
import { ConfigError, InvalidInputError } from '../core/errors';
import { ENV_VAR_NAME } from '../core/validation';
import { sharedSinkTargets, type SinkTarget } from '../core/sink-spec';
import { stackTag } from '../core/managed-name';
import { buildManifest, manifestHash, type StackManifest } from '../core/manifest';
import { validateCredentialBudget, validateStackTokens, type ResolvedTokenSpec } from '../core/token-spec';
import { clockFromEnv } from '../core/clock';
import { parseInstant } from '../core/validation';
import { terraformVersionProblem } from '../core/terraform-version';
import { requireKnownAtSynth } from './known-at-synth';
import { AgilityApi } from './agility-api';
import { validatingAt } from './construct-errors';
import { hookCommand, hookProgramAsset } from './hook-program';
import { findProjectDir, projectIdNamespace } from './project-namespace';
import { createHookResource, type SlotResourceType } from './slot-resource';
import { escapeTerraformLiterals } from './terraform-string';
import { brand, brandOf, checkStackCdk, isThisCopy, twoCopiesMessage } from './copy-brand';

const RECONCILER_ID = 'AgilityTokenReconciler';
/** The brand of a reconciler of any copy of this package (docs/design.md, "CDK Terrain"). */
const RECONCILER_BRAND = Symbol.for('agility-pat-cdktf/AgilityTokenReconciler');

/** Settings shared by every token of one stack. */
export interface AgilityTokenStackSettings {
  /**
   * Tells apart two projects that use the same stack name under one Agility user; part of every managed name's
   * marker, so changing it replaces every token of the stack.
   * @default - cdktf.json's `projectId`
   */
  readonly namespace?: string;
  /**
   * How often the reconciler runs even when the code did not change, to recreate tokens revoked outside Terraform.
   * Takes effect only when a deploy runs. `false`: only when the stack's declared tokens change.
   * @default Duration.days(1)
   */
  readonly driftCheckEvery?: Duration | false;
  /**
   * The Terraform resource that carries the hooks. `null_resource` needs the hashicorp/null provider.
   * @default 'terraform_data'
   */
  readonly resourceType?: SlotResourceType;
  /**
   * The Management API the stack's tokens use.
   * @default AgilityApi.fromEnvironment() - AGILITY_API_URL at synth, else https://mgmt.aglty.io
   */
  readonly api?: AgilityApi;
  /**
   * Name of the environment variable that holds the OAuth access token when Terraform runs the hooks. Only the
   * name is synthesized; the value never enters the configuration, the state or argv.
   * @default 'AGILITY_ACCESS_TOKEN'
   */
  readonly credentialEnv?: string;
}

interface RegisteredToken {
  spec: ResolvedTokenSpec;
  resources: TerraformResource[];
  targets: readonly SinkTarget[];
}

/**
 * One per stack, added by the first `AgilityPersonalAccessToken`: a resource whose create hook runs after every slot
 * of the stack and reconciles the Agility account with what the stack declares. It revokes tokens carrying this
 * stack's marker that the code no longer declares (a construct deleted from the code has no destroy hook) and
 * recreates declared tokens revoked outside Terraform. Replaced, and so run, when the stack's manifest changes and
 * at each drift-check epoch.
 *
 * To remove the last token of a stack, keep `AgilityTokenReconciler.configure(stack)` in the code for one deploy
 * (or run `cdktf destroy`): without any token and without it, nothing is left to revoke the orphans.
 */
export class AgilityTokenReconciler extends Construct {
  /** Configures the stack's tokens; call before declaring them. */
  static configure(stack: TerraformStack, settings: AgilityTokenStackSettings = {}): AgilityTokenReconciler {
    if (stack.node.tryFindChild(RECONCILER_ID)) {
      throw new InvalidInputError(
        `AgilityTokenReconciler.configure must be called once, before the stack's first AgilityPersonalAccessToken.`,
        {},
        { constructPath: stack.node.path },
      );
    }
    return new AgilityTokenReconciler(stack, RECONCILER_ID, settings);
  }

  /** The stack's reconciler, created with default settings on first use. */
  static of(scope: IConstruct): AgilityTokenReconciler {
    const stack = TerraformStack.of(scope);
    const found = stack.node.tryFindChild(RECONCILER_ID);
    if (found === undefined) return new AgilityTokenReconciler(stack, RECONCILER_ID, {});
    if (isThisCopy(found, RECONCILER_BRAND)) return found as AgilityTokenReconciler;
    const other = brandOf(found, RECONCILER_BRAND);
    throw new ConfigError(
      other
        ? twoCopiesMessage(`${found.node.path}, the stack's reconciler,`, other)
        : `${found.node.path} is not an AgilityTokenReconciler: the id ${RECONCILER_ID} is this package's, give that construct another id.`,
      { prop: 'scope', constructPath: scope.node.path },
    );
  }

  /** The stack part of every managed name's marker, e.g. `prod~3fa9c1`. */
  readonly stackTag: string;
  readonly apiUrl: string;
  readonly credentialEnv: string;
  readonly resourceType: SlotResourceType;
  /**
   * The instant the stack is synthesized as of, read once: the cdktf context value `agility-pat:now` (ISO-8601), else
   * `AGILITY_PAT_NOW`, else the wall clock. Generations, expiries and the drift epoch are all computed from it.
   */
  readonly synthNowMs: number;
  /** The folder holding cdktf.json (the working directory when there is none): relative sink paths start here. */
  readonly projectDir: string;
  private readonly tokens: RegisteredToken[] = [];
  private readonly resource: TerraformResource;

  private constructor(stack: TerraformStack, id: string, settings: AgilityTokenStackSettings) {
    checkStackCdk(stack);
    super(stack, id);
    brand(this, RECONCILER_BRAND);
    this.projectDir = findProjectDir() ?? process.cwd();
    validatingAt(this, () => requireKnownAtSynth({ namespace: settings.namespace }));
    this.stackTag = stackTag(stack.node.id, settings.namespace ?? projectIdNamespace(this.projectDir));
    this.apiUrl = (settings.api ?? AgilityApi.fromEnvironment()).baseUrl;
    this.credentialEnv = validatingAt(this, () => validateCredentialEnv(settings.credentialEnv ?? DEFAULT_CREDENTIAL_ENV));
    this.resourceType = settings.resourceType ?? 'terraform_data';
    this.synthNowMs = synthInstant(this);
    const driftEpoch = validatingAt(this, () => driftCheckEpoch(settings.driftCheckEvery, this.synthNowMs));

    const hook = hookProgramAsset(this);
    this.resource = createHookResource(this, 'reconcile', {
      resourceType: this.resourceType,
      triggers: {
        ...escapeTerraformLiterals({
          stack_tag: this.stackTag,
          api_url: this.apiUrl,
          credential_env: this.credentialEnv,
          drift_epoch: driftEpoch,
        }),
        manifest_hash: Lazy.stringValue({ produce: () => manifestHash(this.manifest()) }),
      },
      provisioners: () => [
        {
          type: 'local-exec',
          command: hookCommand(hook, 'reconcile'),
          environment: escapeTerraformLiterals({
            [HOOK_ENV.apiUrl]: this.apiUrl,
            [HOOK_ENV.credentialEnv]: this.credentialEnv,
            [HOOK_ENV.manifest]: MANIFEST_FILE,
          }),
        },
      ],
    });

    // One lazy list for all slots, resolved once at synth: a dependable() token per slot captures a full stack trace
    // at creation and another for its fqn reference, the largest part of synth time for big stacks (`npm run bench`).
    this.resource.dependsOn = Lazy.listValue({ produce: () => this.slotAddresses() });

    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        const stackManifest = session.manifest.forStack(stack);
        const file = join(session.manifest.outdir, stackManifest.synthesizedStackPath, '..', MANIFEST_FILE);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `${JSON.stringify(this.manifest(), null, 2)}\n`);
      },
    });
    this.node.addValidation({ validate: () => this.validateApp() });
  }

  /** Adds a token's slots to the stack; the reconciler runs after them. */
  register(spec: ResolvedTokenSpec, resources: TerraformResource[], settings: { targets: readonly SinkTarget[] }): void {
    // The stack's one duplicate-name check (core's), run as each token arrives so the error points at the second one.
    validateStackTokens([...this.tokens.map((t) => t.spec), spec]);
    this.tokens.push({ spec, resources, targets: settings.targets });
  }

  /** The Terraform addresses of every slot of the stack (`terraform_data.<logical id>`), what `depends_on` lists. */
  private slotAddresses(): string[] {
    return this.tokens.flatMap((t) => t.resources.map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`));
  }

  /** What the stack declares at the synth instant: the reconciler's input, written to {@link MANIFEST_FILE}. */
  manifest(): StackManifest {
    return buildManifest({
      stackTag: this.stackTag,
      apiUrl: this.apiUrl,
      credentialEnv: this.credentialEnv,
      tokens: this.tokens.map((t) => t.spec),
    });
  }

  /** App-wide checks, once all constructs exist: Agility's 10 active tokens per user, and Terraform's version. */
  private validateApp(): string[] {
    const errors: string[] = [];
    const branded = this.node.root.node.findAll().filter((c) => brandOf(c, RECONCILER_BRAND) !== undefined);
    const reconcilers = branded.filter((c): c is AgilityTokenReconciler => isThisCopy(c, RECONCILER_BRAND));
    // Only the first reconciler of the app reports app-wide problems, so each is reported once.
    if (reconcilers[0] !== this) return errors;
    // Another copy's reconcilers hold tokens this copy cannot count: the budget check would be wrong, so refuse.
    for (const c of branded.filter((c) => !isThisCopy(c, RECONCILER_BRAND))) {
      errors.push(twoCopiesMessage(`${c.node.path}, another stack's reconciler,`, brandOf(c, RECONCILER_BRAND)!));
    }
    try {
      validateCredentialBudget(
        reconcilers.map((r) => ({ apiUrl: r.apiUrl, credentialEnv: r.credentialEnv, specs: r.tokens.map((t) => t.spec) })),
      );
    } catch (e) {
      errors.push((e as Error).message);
    }
    errors.push(...sharedSinkTargets(reconcilers.flatMap((r) => r.tokens.flatMap((t) => t.targets))));
    for (const resourceType of new Set(reconcilers.map((r) => r.resourceType))) {
      const tf = terraformVersionProblem(terraformVersionOutput(), resourceType);
      if (tf) errors.push(tf);
    }
    return errors;
  }
}

function validateCredentialEnv(name: string): string {
  if (!ENV_VAR_NAME.test(name)) {
    throw new InvalidInputError(`credentialEnv must be an environment variable name (letters, digits, underscores), got "${name}".`, {
      prop: 'credentialEnv',
      value: name,
    });
  }
  return name;
}

function synthInstant(scope: IConstruct): number {
  const fromContext: unknown = scope.node.tryGetContext(SYNTH_NOW_CONTEXT);
  if (fromContext === undefined || fromContext === '') return clockFromEnv(process.env)();
  return parseInstant(fromContext as string, `the context value ${SYNTH_NOW_CONTEXT}`);
}

function driftCheckEpoch(every: Duration | false | undefined, nowMs: number): string {
  if (every === false) return 'off';
  const period = every ?? Duration.days(1);
  if (period.toMilliseconds() < Duration.hours(1).toMilliseconds()) {
    throw new InvalidInputError(`driftCheckEvery must be at least 1 hour, got ${period.toHumanString()}.`, {
      prop: 'driftCheckEvery',
      value: period.toJSON(),
    });
  }
  return String(Math.floor(nowMs / period.toMilliseconds()));
}

let terraformVersionSaid: string | null | undefined;

/**
 * What `terraform version` prints, or null when Terraform is not on PATH at synth (`cdktf deploy` then fails with
 * Terraform's own clear message). Run once per process instead of once per resource (cdktf's `DataResource` runs it
 * for each one, about 60 ms apiece).
 */
function terraformVersionOutput(): string | null {
  if (terraformVersionSaid === undefined) {
    try {
      terraformVersionSaid = execFileSync('terraform', ['version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 30_000,
        env: process.env, // the PATH as this process sees it now (a test runner's sandbox has its own process.env)
      });
    } catch {
      terraformVersionSaid = null;
    }
  }
  return terraformVersionSaid;
}
