/**
 * A model of what `terraform apply` does with one stack's slots (docs/design.md, "Generations and slots" and "Hooks"),
 * driving the real lifecycle functions, the real sinks (a file and a shared env file per token) and the real locks
 * against a {@link FakeAgility} account:
 * - a slot whose managed name changed is replaced: its destroy hook runs, then its create hook;
 * - a slot whose create hook failed is not in state (tainted) and runs again on the next apply;
 * - slots of different tokens run in parallel; the reconciler runs after all of them when the manifest changed since
 *   its last success, or when a drift check is due;
 * - `agility-pat tokens rotate` (rotate now) is one more hook-like run, with the manifest of generation G, and
 *   `agility-pat tokens revoke` of the current token one more (no lock: it lists and revokes);
 * - machines (docs/design.md, "Many machines, one writer"): every run names the machine it runs on; each machine has
 *   its own lock folder (the name locks and the sink files' locks), and shares the account and the project's files
 *   (a shared folder) with the others.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StopRequests } from '../../lib/cli/stop-requests';
import { isAgilityPatError, SinkError } from '../../lib/core/errors';
import { formatManagedName, parseManagedName, pendingNameOf } from '../../lib/core/managed-name';
import { manifestHash, type ManifestToken, type StackManifest } from '../../lib/core/manifest';
import { slotGenerations, slotRole } from '../../lib/core/rotation';
import type { ValidSinkSpec } from '../../lib/core/sink-spec';
import { readEnvValueText } from '../../lib/sinks/env-file-format';
import { ensureToken, reconcileStack, retainToken, revokeToken, rotateNow, type LifecycleDeps } from '../../lib/lifecycle';
import { lockFileFor, withFileLock } from '../../lib/locks/file-lock';
import { deliverSecret } from '../../lib/sinks';
import { validSinks } from '../helpers/deliver';
import { buildStatusReport } from '../../lib/ops/status-report';

import { revokeAll } from '../../lib/lifecycle/find-tokens';
import { probeSinks, probeStackSinks } from '../../lib/sinks/sink-probe';
import { FakeAgility, HookRun, Killed, type Fault } from '../helpers/fake-agility';

export const TAG = 'prod~abcdef';
const ENV_FILE = '.env';

/** One declared token of the modelled stack. */
export interface ModelToken {
  readonly index: number;
  readonly overlap: boolean;
  /** A token made by hand that this one takes over (`replaces`): its reference and overlap. */
  readonly replaces?: { readonly ref: string; readonly afterMs: number };
  /** `rotation.retireEarly.quietFor` in ms (only with overlap); null when off. */
  readonly retireEarlyQuietMs?: number | null;
}

/** Terraform state of one working copy: each slot's managed name, and the manifest hash the reconciler last ran for. */
export interface TerraformState {
  slots: Map<string, string>;
  reconciledHash: string | null;
}

export function emptyState(): TerraformState {
  return { slots: new Map(), reconciledHash: null };
}

/** Faults of one apply, per hook run: `slot:<token>:<slot>:create|destroy` and `reconcile`. */
export type ApplyFaults = ReadonlyMap<string, readonly Fault[]>;

/** Where a run happens: a CI runner, or the operator's laptop; each has its own lock folder. */
export type MachineName = 'ci' | 'ci-2' | 'laptop';

/** The world one schedule runs in: the account, the project folder (sinks), the log. */
export class World {
  readonly log: string[] = [];
  readonly lockSalt = `${Math.random()}`;

  /** The lock namespace of a machine (its own lock folder). */
  lockScope(machine: MachineName): string {
    return `${this.lockSalt}/${machine}`;
  }

  constructor(
    readonly api: FakeAgility,
    readonly dir: string,
    readonly tokens: readonly ModelToken[],
  ) {}

  declaredName(i: number): string {
    return `t${i}`;
  }

  sinks(i: number): ValidSinkSpec[] {
    return validSinks([
      { kind: 'file', path: `tokens/t${i}.pat` },
      { kind: 'env-file', path: ENV_FILE, key: `T${i}` },
    ]);
  }

  managedName(i: number, g: number): string {
    return formatManagedName({ declaredName: this.declaredName(i), stackTag: TAG, generation: g });
  }

  manifest(G: number): StackManifest {
    const tokens: ManifestToken[] = this.tokens.map((t) => {
      const live = slotGenerations(G, t.overlap)
        .filter((g) => slotRole(g, G) !== 'none')
        .map((g) => ({
          managedName: this.managedName(t.index, g),
          generation: g,
          role: slotRole(g, G) as 'ensure' | 'retain',
          expiryDate: null,
        }));
      return {
        declaredName: this.declaredName(t.index),
        constructPath: `prod/t${t.index}`,
        currentGeneration: G,
        currentManagedName: this.managedName(t.index, G),
        expiryDate: null,
        nextRotation: null,
        live,
        sinks: this.sinks(t.index),
        verify: true,
        retireEarly: t.overlap && t.retireEarlyQuietMs ? { quietMs: t.retireEarlyQuietMs } : null,
        replaces: t.replaces ?? null,
      };
    });
    return { version: 1, stackTag: TAG, apiUrl: 'https://fake.example', credentialEnv: 'X', tokens };
  }

  /** Lifecycle collaborators for one hook run on `machine`: its faults, a stop switch, the real sinks, probes and locks. */
  deps(run: HookRun, stops: StopRequests, machine: MachineName): LifecycleDeps {
    const lockScope = this.lockScope(machine);
    return {
      api: this.api.apiFor(run),
      clock: () => this.api.nowMs,
      log: (line) => this.log.push(line),
      deliver: async (secret, sinks, info) => {
        const fault = run.next();
        if (fault !== undefined) throw new SinkError(`could not deliver (fake ${fault})`, { sink: 'fake' });
        return deliverSecret(secret, sinks, info, { cwd: this.dir, env: {}, lockScope });
      },
      probeSinks: (sinks, token) => probeSinks(sinks, token, { cwd: this.dir, env: {} }),
      lock: (name, fn) => withFileLock(lockFileFor('name', `${lockScope}\n${name}`), fn, { waitMs: 20_000, what: name }),
      critical: (fn) => stops.critical(fn),
      checkpoint: () => stops.checkpoint(),
    };
  }

  /**
   * Runs one hook as the program would: a SIGTERM stops it at the next safe point and the process exits (the run is
   * then dead: nothing it left running has any effect). Resolves to true when the hook exited 0.
   */
  async hook(
    faults: readonly Fault[] | undefined,
    body: (deps: LifecycleDeps) => Promise<unknown>,
    machine: MachineName = 'ci',
  ): Promise<boolean> {
    const stops = new StopRequests();
    const run = new HookRun(faults, () => stops.request('SIGTERM'));
    try {
      await stops.interruptible(() => body(this.deps(run, stops, machine)));
      return true;
    } catch (e) {
      run.killed = true; // the process has exited (error, signal or SIGKILL)
      if (e instanceof Killed || isAgilityPatError(e)) return false;
      throw e; // anything else is a bug in the lifecycle
    }
  }

  /** One `terraform apply` at generation G with `state`; resolves to true when every hook succeeded. */
  async apply(
    G: number,
    state: TerraformState,
    faults: ApplyFaults,
    options: { driftCheck?: boolean; machine?: MachineName } = {},
  ): Promise<boolean> {
    const machine = options.machine ?? 'ci';
    const slotResults = await Promise.all(
      this.tokens.flatMap((t) => slotGenerations(G, t.overlap).map((g, slot) => this.applySlot(t, slot, g, G, state, faults, machine))),
    );
    if (slotResults.includes(false)) return false; // the reconciler depends on every slot
    const manifest = this.manifest(G);
    const hash = manifestHash(manifest);
    if (hash === state.reconciledHash && !options.driftCheck) return true;
    const ok = await this.hook(faults.get('reconcile'), (deps) => reconcileStack(deps, manifest), machine);
    if (ok) state.reconciledHash = hash;
    return ok;
  }

  /**
   * `agility-pat tokens rotate t<i>` with the manifest of generation G and this run's faults; resolves to true when it
   * exited 0.
   */
  rotateNow(G: number, i: number, faults: readonly Fault[], machine: MachineName = 'ci'): Promise<boolean> {
    return this.hook(faults, (deps) => rotateNow(deps, this.manifest(G), this.declaredName(i)), machine);
  }

  /**
   * `agility-pat tokens revoke --stack-tag <tag> "<managed name of t<i> at G>" "<its pending name>"` on `machine`, with
   * its faults: it lists and revokes, without any lock. Resolves to true when it exited 0.
   */
  revokeNow(G: number, i: number, faults: readonly Fault[], machine: MachineName): Promise<boolean> {
    const name = this.managedName(i, G);
    return this.hook(
      faults,
      async (deps) => {
        const { tokens } = await deps.api.listTokens();
        await revokeAll(
          deps,
          tokens.filter((t) => t.name === name || t.name === pendingNameOf(name)),
          'tokens revoke',
        );
      },
      machine,
    );
  }

  /** The secrets of every live token of declared token `i` in this stack (any generation, delivered or pending). */
  liveSecretsOf(i: number): string[] {
    return (
      this.api
        .live()
        // This stack's tokens of that declared name only: another stack's token of the same name is never ours to rotate.
        .filter((t) => t.name.startsWith(`${this.declaredName(i)} [cdktf:${TAG}/`))
        .map((t) => t.secret)
    );
  }

  private async applySlot(
    t: ModelToken,
    slot: number,
    g: number,
    G: number,
    state: TerraformState,
    faults: ApplyFaults,
    machine: MachineName,
  ): Promise<boolean> {
    const key = `slot:${t.index}:${slot}`;
    const role = slotRole(g, G);
    const wanted = g >= 0 ? this.managedName(t.index, g) : null;
    const held = state.slots.get(key);
    if (held !== undefined && held === wanted) return true;
    if (held !== undefined) {
      const destroyed = await this.hook(faults.get(`${key}:destroy`), (deps) => revokeToken(deps, held), machine);
      if (!destroyed) return false;
      state.slots.delete(key);
    }
    if (wanted === null) return true;
    const created = await this.hook(
      faults.get(`${key}:create`),
      (deps) =>
        role === 'ensure'
          ? ensureToken(deps, {
              declaredName: this.declaredName(t.index),
              managedName: wanted,
              generation: g,
              expiryDate: null,
              sinks: this.sinks(t.index),
            })
          : role === 'retain'
            ? retainToken(deps, wanted)
            : Promise.resolve(),
      machine,
    );
    if (created) state.slots.set(key, wanted);
    return created;
  }

  /**
   * The problems `status` reports for generation G (verdicts that mean the invariant does not hold, and orphans), the
   * sinks read as `status` reads them (`probeStackSinks`).
   */
  async statusProblems(G: number): Promise<string[]> {
    const manifest = this.manifest(G);
    const listed = this.api.list();
    const sinkChecks = await probeStackSinks(manifest, listed, this.api.nowMs, { cwd: this.dir, env: {} });
    const report = buildStatusReport(manifest, listed, this.api.nowMs, { sinkChecks });
    const bad = new Set(['missing', 'undelivered', 'duplicate', 'sink-drift']);
    return [
      ...report.tokens.flatMap((r) => r.verdicts.filter((v) => bad.has(v)).map((v) => `${r.declaredName}: ${v}`)),
      ...report.orphaned.map((o) => `orphaned: ${o.name}`),
    ];
  }

  /**
   * Why the invariant fails at generation G, or [] when it holds: every declared name has exactly one live token (under
   * its managed name; none pending) and both of its sinks hold that token's secret.
   */
  invariantViolations(G: number): string[] {
    const problems: string[] = [];
    const live = this.api.live();
    for (const t of this.tokens) {
      const name = this.managedName(t.index, G);
      const delivered = live.filter((x) => x.name === name);
      const pending = live.filter((x) => x.name === pendingNameOf(name));
      if (delivered.length !== 1 || pending.length !== 0) {
        problems.push(`t${t.index}: ${delivered.length} live under its managed name, ${pending.length} pending`);
        continue;
      }
      const secret = delivered[0]!.secret;
      if (readOrNull(join(this.dir, 'tokens', `t${t.index}.pat`)) !== secret)
        problems.push(`t${t.index}: the file sink does not hold its secret`);
      const env = readOrNull(join(this.dir, ENV_FILE)) ?? '';
      if (readEnvValueText(env, `T${t.index}`) !== secret) problems.push(`t${t.index}: the env file does not hold its secret`);
    }
    return problems;
  }

  /**
   * The destinations that hold a secret that does not authenticate (or nothing): "no destination holds a dead secret
   * while status says ok" (docs/design.md, "Many machines, one writer").
   */
  deadDestinations(): string[] {
    const live = new Set(this.api.live().map((t) => t.secret));
    const env = readOrNull(join(this.dir, ENV_FILE)) ?? '';
    return this.tokens.flatMap((t) => {
      const dead: string[] = [];
      const file = readOrNull(join(this.dir, 'tokens', `t${t.index}.pat`));
      if (file === null || !live.has(file)) dead.push(`t${t.index}: its file sink holds ${file === null ? 'nothing' : 'a dead secret'}`);
      const value = readEnvValueText(env, `T${t.index}`);
      if (value === undefined || !live.has(value))
        dead.push(`t${t.index}: its env key holds ${value === undefined ? 'nothing' : 'a dead secret'}`);
      return dead;
    });
  }

  /**
   * Why `replaces` was broken, or []: a token made by hand (`handMade`, by the declared token's index) revoked before
   * one overlap after the first delivery of its replacement (a token renamed to one of its managed names), and any
   * token of another stack (`foreign`) revoked at all.
   */
  replacementViolations(handMade: ReadonlyMap<number, { tokenID: string }>, foreign: readonly { tokenID: string }[]): string[] {
    const problems: string[] = [];
    const stored = (id: string) => this.api.tokens.find((x) => x.tokenID === id)!;
    for (const [index, { tokenID }] of handMade) {
      const hand = stored(tokenID);
      if (!hand.revoked) continue;
      const delivered = this.api.tokens.filter(
        (x) => parseManagedName(x.name)?.declaredName === this.declaredName(index) && !parseManagedName(x.name)?.pending,
      );
      const first = Math.min(...delivered.map((x) => x.createdMs));
      const afterMs = this.tokens[index]!.replaces!.afterMs;
      if (!(hand.revokedMs! >= first + afterMs)) {
        problems.push(
          `t${index}: the hand-made token was revoked at ${hand.revokedMs}, before ${first} + ${afterMs} (first delivery + overlap)`,
        );
      }
    }
    for (const { tokenID } of foreign) if (stored(tokenID).revoked) problems.push(`another stack's token ${tokenID} was revoked`);
    return problems;
  }

  /**
   * Consumers authenticate now: with the secret a token's file sink holds (consumers that read the sink), or with the
   * previous generation's secret (a consumer that never picked up the new one). A secret that no longer works is a no-op.
   */
  consume(G: number, uses: readonly { readonly token: number; readonly previous: boolean }[]): void {
    for (const u of uses) {
      if (u.token >= this.tokens.length) continue;
      const secret = u.previous
        ? this.api.live().find((x) => x.name === this.managedName(u.token, G - 1))?.secret
        : readOrNull(join(this.dir, 'tokens', `t${u.token}.pat`));
      if (secret) this.api.use(secret);
    }
  }

  /** The live tokens of each overlapping token's previous generation at G (what only retireEarly may revoke). */
  retainedLive(G: number): Map<number, FakeAgility['tokens'][number][]> {
    // Without overlap the stack keeps no previous generation (its slot's destroy hook revokes it at rotation).
    return new Map(
      this.tokens
        .filter((t) => t.overlap)
        .map((t) => [t.index, this.api.live().filter((x) => x.name === this.managedName(t.index, G - 1))]),
    );
  }

  /**
   * Why an apply at G broke the promise of retireEarly, or []: a previous generation that was live before the apply
   * and is revoked after it must have a token with retireEarly, and no use within its quiet time (docs/design.md,
   * "Usage-aware rotation and adoption"). Nothing else revokes a live previous generation the manifest keeps.
   */
  earlyRetirementViolations(before: Map<number, FakeAgility['tokens'][number][]>): string[] {
    const problems: string[] = [];
    for (const t of this.tokens) {
      for (const x of before.get(t.index) ?? []) {
        if (!x.revoked) continue;
        const quietMs = t.retireEarlyQuietMs ?? null;
        if (quietMs === null) problems.push(`t${t.index}: "${x.name}" revoked although the token has no retireEarly`);
        else if (this.api.nowMs - (x.lastUsedMs ?? x.createdMs) < quietMs)
          problems.push(`t${t.index}: "${x.name}" revoked although used ${this.api.nowMs - (x.lastUsedMs ?? x.createdMs)} ms ago`);
      }
    }
    return problems;
  }

  /** Indices of issued secrets that appear in the hooks' log (none may). */
  leakedSecrets(): number[] {
    const text = this.log.join('\n');
    return this.api.issued.flatMap((s, i) => (text.includes(s) ? [i] : []));
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
