import { MAX_ACTIVE_TOKENS_PER_USER, MAX_CREATIONS_PER_HOUR } from '../core/limits';
import { parseManagedName } from '../core/managed-name';
import type { ManifestToken, StackManifest } from '../core/manifest';
import { classifyStackTokens, managedNameState, type ManagedNameState } from '../core/token-state';
import type { PersonalAccessTokenResponse } from '../api/models';
import { daysUntil, describeListedToken, type ListedTokenInfo } from './listed-token';
import { replacementNeedsAction, replacementRow, type ReplacementRow } from './replacement-row';
import type { SinkChecks, SinkProbe } from '../core/sink-probe';
import { declaredVerdicts, ORPHAN_VERDICT, verdictNeedsAction, type Verdict } from './status-verdicts';

/**
 * The `agility-pat status` report: what one synthesized stack declares, set against the tokens the API
 * lists for the credential's user, at one instant. Pure: the manifest, the token list and the instant are inputs.
 */

export { VERDICT_ORDER, VERDICT_TABLE, type Verdict } from './status-verdicts';

/** Exit code of `agility-pat status` when some row needs action (anything but `ok`). */
export const STATUS_NEEDS_ACTION_EXIT_CODE = 20;

/** Defaults of `--warn-days` and `--unused-days`. */
export const DEFAULT_WARN_DAYS = 14;
export const DEFAULT_UNUSED_DAYS = 30;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Thresholds of the verdicts. */
export interface StatusOptions {
  /** `expiring` when the token expires in fewer than this many days. @default 14 */
  readonly warnDays?: number;
  /** `unused` when no consumer has used the token for this many days; `never-used` when none ever has and it was created that long ago. @default 30 */
  readonly unusedDays?: number;
  /** The API the tokens were listed from (`status --api-url`), which the report names. @default - the manifest's `apiUrl` */
  readonly apiUrl?: string;
  /** What each declared token's sinks hold (`probeStackSinks`, lib/sinks/sink-probe.ts); a drift is `sink-drift`. @default - sinks not checked */
  readonly sinkChecks?: SinkChecks;
}

/** One declared token of the stack: its current generation, and the verdicts. */
export interface DeclaredTokenRow {
  readonly declaredName: string;
  readonly constructPath: string;
  readonly managedName: string;
  readonly generation: number;
  /** The live, delivered token of the current generation; null when there is none (missing, disabled, expired or only pending). */
  readonly token: ListedTokenInfo | null;
  /** Live tokens under the managed name (more than 1: `duplicate`). */
  readonly deliveredCount: number;
  /** Tokens of the current generation still under their pending name: created, never delivered (`undelivered`). */
  readonly pendingCount: number;
  /** Expiry: the live token's, else the manifest's; null when Agility's 2-year default applies and no token is live. */
  readonly expiryDate: string | null;
  readonly daysLeft: number | null;
  readonly lastUsedDate: string | null;
  /** The previous generation the stack keeps alive during overlap, when it has one; its token's fields are null when not live. */
  readonly retained: {
    readonly managedName: string;
    readonly generation: number;
    readonly live: boolean;
    readonly tokenID: string | null;
    readonly createdDate: string | null;
    readonly lastUsedDate: string | null;
  } | null;
  /** The instant the next generation starts, when known or inferred; null otherwise. */
  readonly rotationDueAt: string | null;
  /** The hand-made token this one replaces (`replaces`); null when it replaces none. */
  readonly replaces: ReplacementRow | null;
  /** What each sink holds, when they were checked (`status` reads them; empty when not checked). */
  readonly sinks: readonly SinkProbe[];
  /** Every verdict that applies; `['ok']` when none does. */
  readonly verdicts: readonly Verdict[];
  /** The most urgent of `verdicts`. */
  readonly verdict: Verdict;
  /** One sentence per verdict other than ok: why, and what to do. */
  readonly notes: readonly string[];
}

/** A live token that carries this stack's marker but is not declared by the manifest. */
export interface OrphanedTokenRow extends ListedTokenInfo {
  readonly declaredName: string;
  readonly generation: number;
  readonly verdict: 'orphaned';
  readonly notes: readonly string[];
}

/** A live token of the same user that this stack does not manage. */
export interface OtherTokenRow extends ListedTokenInfo {
  /** The stack tag of the stack that manages it, or null when no stack does. */
  readonly managedBy: string | null;
  /** Not used for `unusedDays` (information only: tokens of other stacks or of no stack do not change the exit code). */
  readonly unused: boolean;
  /** The declared name of this stack's token that replaces it (`replaces`), or null. */
  readonly replacedBy: string | null;
}

/** The whole report; `--json` prints it as is. */
export interface StatusReport {
  /** Shape version of this JSON. */
  readonly version: 1;
  readonly generatedAt: string;
  readonly stackTag: string;
  readonly apiUrl: string;
  readonly warnDays: number;
  readonly unusedDays: number;
  /** True when any declared or orphaned row needs action; the command then exits {@link STATUS_NEEDS_ACTION_EXIT_CODE}. */
  readonly needsAction: boolean;
  /** One row per declared token, sorted by declared name. */
  readonly tokens: readonly DeclaredTokenRow[];
  readonly orphaned: readonly OrphanedTokenRow[];
  /** Live tokens of other stacks (`managedBy` set) and of no stack (`managedBy` null). */
  readonly otherTokens: readonly OtherTokenRow[];
  readonly limits: {
    /** Listed tokens that have not expired, of Agility's 10 per user. */
    readonly activeTokens: { readonly used: number; readonly limit: number };
    /**
     * Listed tokens created within the last hour, of Agility's 5 creations per hour. A lower bound: revoked tokens
     * are not listed, and the API does not report the count itself.
     */
    readonly creationsLastHour: { readonly used: number; readonly limit: number; readonly lowerBound: true };
  };
}

/**
 * Builds the status report.
 *
 * The verdicts of a declared token (its current generation G) are the rules of the verdict table
 * (`ops/status-verdicts`), read from one definition of a live token shared with the hooks and the reconciler
 * (`core/token-state`).
 *
 * Orphaned: listed, not expired, carries this stack's tag, not among the manifest's live names (a construct removed
 * from the code, or a generation the stack no longer keeps), except newer generations of a declared name (they mean
 * rotation-due). Expired tokens are never orphaned: they authenticate nothing and count toward no limit.
 */
export function buildStatusReport(
  manifest: StackManifest,
  listed: readonly PersonalAccessTokenResponse[],
  nowMs: number,
  options: StatusOptions = {},
): StatusReport {
  const warnDays = options.warnDays ?? DEFAULT_WARN_DAYS;
  const unusedDays = options.unusedDays ?? DEFAULT_UNUSED_DAYS;
  // Each listed token described once; the rows below look theirs up.
  const infoOf = new Map(listed.map((t) => [t, describeListedToken(t, nowMs)]));
  const infos = [...infoOf.values()];
  const { orphans, newerGenerations } = classifyStackTokens(manifest, listed, nowMs);
  const orphaned = orphans.map((o) => orphanedRow(infoOf.get(o)!, manifest));
  const tokens = manifest.tokens.map((m) =>
    declaredRow(m, {
      nowMs,
      warnDays,
      unusedDays,
      stackTag: manifest.stackTag,
      state: (name) => managedNameState(listed, name, nowMs),
      info: (t) => infoOf.get(t)!,
      newerGeneration: newerGenerations.get(m.declaredName),
      replacement: replacementRow(m, listed, nowMs),
      sinks: options.sinkChecks?.get(m.declaredName),
    }),
  );
  return {
    version: 1,
    generatedAt: new Date(nowMs).toISOString(),
    stackTag: manifest.stackTag,
    apiUrl: options.apiUrl ?? manifest.apiUrl,
    warnDays,
    unusedDays,
    needsAction: tokens.some(needsAction) || orphaned.length > 0,
    tokens,
    orphaned,
    otherTokens: otherTokenRows(infos, tokens, manifest.stackTag, nowMs, unusedDays),
    limits: limitsOf(infos, nowMs),
  };
}

/** The row of a token carrying this stack's marker that the manifest does not keep. */
function orphanedRow(t: ListedTokenInfo, manifest: StackManifest): OrphanedTokenRow {
  const parts = parseManagedName(t.name)!;
  const declared = manifest.tokens.some((m) => m.declaredName === parts.declaredName);
  return {
    ...t,
    declaredName: parts.declaredName,
    generation: parts.generation,
    verdict: ORPHAN_VERDICT.verdict,
    notes: [ORPHAN_VERDICT.rule({ declaredName: parts.declaredName, generation: parts.generation, declared })],
  };
}

/** The live tokens of other stacks and of none, each with whether it is unused and which declared token replaces it. */
function otherTokenRows(
  infos: readonly ListedTokenInfo[],
  tokens: readonly DeclaredTokenRow[],
  stackTag: string,
  nowMs: number,
  unusedDays: number,
): OtherTokenRow[] {
  const replacedBy = new Map(tokens.flatMap((r) => (r.replaces?.tokenID ? [[r.replaces.tokenID, r.declaredName] as const] : [])));
  const isUnused = (t: ListedTokenInfo): boolean => nowMs - Date.parse(t.lastUsedDate ?? t.createdDate ?? '') > unusedDays * DAY_MS;
  return infos.flatMap((t) => {
    if (t.expired) return [];
    const parts = parseManagedName(t.name);
    if (parts && parts.stackTag === stackTag) return [];
    return [{ ...t, managedBy: parts?.stackTag ?? null, unused: isUnused(t), replacedBy: replacedBy.get(t.tokenID) ?? null }];
  });
}

/** The user's place against Agility's limits, from the listed tokens. */
function limitsOf(infos: readonly ListedTokenInfo[], nowMs: number): StatusReport['limits'] {
  const createdLastHour = (t: ListedTokenInfo): boolean => {
    const created = Date.parse(t.createdDate ?? '');
    return nowMs - created < HOUR_MS && created <= nowMs;
  };
  return {
    activeTokens: { used: infos.filter((t) => !t.expired).length, limit: MAX_ACTIVE_TOKENS_PER_USER },
    creationsLastHour: { used: infos.filter(createdLastHour).length, limit: MAX_CREATIONS_PER_HOUR, lowerBound: true },
  };
}

/** What {@link declaredRow} reads besides the manifest entry. */
interface DeclaredRowContext {
  nowMs: number;
  warnDays: number;
  unusedDays: number;
  stackTag: string;
  state: (managedName: string) => ManagedNameState<PersonalAccessTokenResponse>;
  info: (t: PersonalAccessTokenResponse) => ListedTokenInfo;
  newerGeneration: number | undefined;
  replacement: ReplacementRow | null;
  /** What its sinks hold, when they were checked. */
  sinks: readonly SinkProbe[] | undefined;
}

/** The row of one declared token: its facts, then the verdicts the rules give them. */
function declaredRow(m: ManifestToken, ctx: DeclaredRowContext): DeclaredTokenRow {
  const { nowMs } = ctx;
  const current = ctx.state(m.currentManagedName);
  const token = current.delivered[0] ? ctx.info(current.delivered[0]) : null;
  const previous = m.live.find((l) => l.role === 'retain' && l.generation === m.currentGeneration - 1);
  const previousListed = previous ? ctx.state(previous.managedName).delivered[0] : undefined;
  const previousToken = previousListed ? ctx.info(previousListed) : null;
  const expiryDate = token?.expiryDate ?? m.expiryDate;
  const daysLeft = expiryDate === null ? null : daysUntil(expiryDate, nowMs);
  const { verdicts, notes } = declaredVerdicts({
    manifest: m,
    stackTag: ctx.stackTag,
    nowMs,
    warnDays: ctx.warnDays,
    deliveredCount: current.delivered.length,
    pendingCount: current.pending.length,
    token,
    expiryDate,
    daysLeft,
    newerGeneration: ctx.newerGeneration,
    usage: {
      current: token,
      previous: previousToken,
      retireEarlyQuietMs: m.retireEarly?.quietMs ?? null,
      unusedDays: ctx.unusedDays,
      nowMs,
    },
    replacement: ctx.replacement,
    sinks: ctx.sinks,
  });
  return {
    declaredName: m.declaredName,
    constructPath: m.constructPath,
    managedName: m.currentManagedName,
    generation: m.currentGeneration,
    token,
    deliveredCount: current.delivered.length,
    pendingCount: current.pending.length,
    expiryDate,
    daysLeft,
    lastUsedDate: token?.lastUsedDate ?? null,
    retained: previous
      ? {
          managedName: previous.managedName,
          generation: previous.generation,
          live: previousToken !== null,
          tokenID: previousToken?.tokenID ?? null,
          createdDate: previousToken?.createdDate ?? null,
          lastUsedDate: previousToken?.lastUsedDate ?? null,
        }
      : null,
    rotationDueAt: m.nextRotation,
    replaces: ctx.replacement,
    sinks: ctx.sinks ?? [],
    verdicts,
    verdict: verdicts[0]!,
    notes,
  };
}

/**
 * True when a declared row needs someone to act: a verdict that needs action by itself (the table's `needsAction`),
 * or a replacement that is due or cannot proceed (`being-replaced` alone is information while the overlap runs).
 */
function needsAction(r: DeclaredTokenRow): boolean {
  return r.verdicts.some(verdictNeedsAction) || replacementNeedsAction(r.replaces);
}
