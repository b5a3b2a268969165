import { MAX_ACTIVE_TOKENS_PER_USER, MAX_CREATIONS_PER_HOUR } from '../core/limits';
import { parseManagedName, pendingNameOf } from '../core/managed-name';
import type { ManifestToken, StackManifest } from '../core/manifest';
import { classifyStackTokens, managedNameState, type ManagedNameState } from '../core/token-state';
import type { PersonalAccessTokenResponse } from '../api/models';
import { daysUntil, describeListedToken, type ListedTokenInfo } from './listed-token';
import { replacementNeedsAction, replacementRow, type ReplacementRow } from './replacement-row';
import { sinkDriftNote, type SinkChecks } from './sink-check';
import { usageVerdicts, type UsageVerdict } from './usage-verdicts';
import type { SinkProbe } from '../sinks/sink-probe';

/**
 * The `agility-pat status` report: what one synthesized stack declares, set against the tokens the API
 * lists for the credential's user, at one instant. Pure: the manifest, the token list and the instant are inputs.
 */

/** What a row needs, most urgent first (the order of {@link VERDICT_ORDER}). */
export type Verdict =
  | 'missing'
  | 'undelivered'
  | 'duplicate'
  | 'sink-drift'
  | 'orphaned'
  | 'rotation-due'
  | 'expiring'
  | UsageVerdict
  | 'being-replaced'
  | 'ok';

/** Verdicts from most to least urgent: a row's `verdict` is the first of its `verdicts` in this order. */
export const VERDICT_ORDER: readonly Verdict[] = [
  'missing',
  'undelivered',
  'duplicate',
  // A destination holds something else than the live token's secret (lib/ops/sink-check.ts).
  'sink-drift',
  'orphaned',
  // A consumer holds a secret that is one rotation old: it breaks when the old generation goes.
  'stale-consumer',
  'rotation-due',
  'expiring',
  'never-used',
  'unused',
  'being-replaced',
  'ok',
];

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
  /** What each declared token's sinks hold (`checkStackSinks`); a drift is `sink-drift`. @default - sinks not checked */
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
 * Verdicts of a declared token (its current generation G), from one definition of a live token shared with the hooks
 * and the reconciler (`core/token-state`):
 * - `missing`: no live token bears the managed name of G and none is pending (revoked, deleted, disabled or expired
 *   outside Terraform, or never created). A deploy recreates it (the reconcile hook).
 * - `undelivered`: a token of G is still under its pending name: created, and its delivery never recorded (a hook
 *   killed or failed before the rename, or a create that landed after the client gave up).
 * - `duplicate`: more than one live token bears the managed name of G; the sinks hold at most one of them.
 * - `sink-drift`: `options.sinkChecks` found a sink holding something else than the live token's delivery
 *   (lib/ops/sink-check.ts); the reconciler's next run delivers a fresh token.
 * - `rotation-due`: a deploy would move to a newer generation: the manifest's next rotation instant has passed,
 *   or a token of a newer generation of the same name is listed (another deploy rotated it; this synthesized
 *   stack is behind).
 * - `expiring`: fewer than `warnDays` days left.
 * - `stale-consumer`, `never-used`, `unused`: from the tokens' last use (`usageVerdicts`, `ops/usage-verdicts`).
 * - `being-replaced`: a hand-made token this one `replaces` is still live (information while its overlap runs; it
 *   needs action once the overlap has passed, or when the reference is ambiguous or names a managed token).
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
  const active = infos.filter((t) => !t.expired);
  const isUnused = (t: ListedTokenInfo): boolean => {
    const since = Date.parse(t.lastUsedDate ?? t.createdDate);
    return nowMs - since > unusedDays * DAY_MS;
  };

  const declared = new Set(manifest.tokens.map((t) => t.declaredName));
  const { orphans, newerGenerations } = classifyStackTokens(manifest, listed, nowMs);
  const orphaned: OrphanedTokenRow[] = orphans.map((o) => {
    const t = infoOf.get(o)!;
    const parts = parseManagedName(t.name)!;
    return {
      ...t,
      declaredName: parts.declaredName,
      generation: parts.generation,
      verdict: 'orphaned',
      notes: [
        declared.has(parts.declaredName)
          ? `generation ${parts.generation} of "${parts.declaredName}" is no longer kept by the stack: a deploy revokes it (or run agility-pat tokens revoke).`
          : `"${parts.declaredName}" carries this stack's marker but is not declared: a deploy revokes it (or run agility-pat tokens revoke).`,
      ],
    };
  });

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
  const replacedBy = new Map(tokens.flatMap((r) => (r.replaces?.tokenID ? [[r.replaces.tokenID, r.declaredName] as const] : [])));
  const otherTokens: OtherTokenRow[] = [];
  for (const t of active) {
    const parts = parseManagedName(t.name);
    if (!parts || parts.stackTag !== manifest.stackTag) {
      otherTokens.push({ ...t, managedBy: parts?.stackTag ?? null, unused: isUnused(t), replacedBy: replacedBy.get(t.tokenID) ?? null });
    }
  }

  return {
    version: 1,
    generatedAt: new Date(nowMs).toISOString(),
    stackTag: manifest.stackTag,
    apiUrl: manifest.apiUrl,
    warnDays,
    unusedDays,
    needsAction: tokens.some(needsAction) || orphaned.length > 0,
    tokens,
    orphaned,
    otherTokens,
    limits: {
      activeTokens: { used: active.length, limit: MAX_ACTIVE_TOKENS_PER_USER },
      creationsLastHour: {
        used: infos.filter((t) => nowMs - Date.parse(t.createdDate) < HOUR_MS && Date.parse(t.createdDate) <= nowMs).length,
        limit: MAX_CREATIONS_PER_HOUR,
        lowerBound: true,
      },
    },
  };
}

function declaredRow(
  m: ManifestToken,
  ctx: {
    nowMs: number;
    warnDays: number;
    unusedDays: number;
    stackTag: string;
    state: (managedName: string) => ManagedNameState<PersonalAccessTokenResponse>;
    info: (t: PersonalAccessTokenResponse) => ListedTokenInfo;
    newerGeneration: number | undefined;
    replacement: ReplacementRow | null;
    sinks: readonly SinkProbe[] | undefined;
  },
): DeclaredTokenRow {
  const { nowMs } = ctx;
  const current = ctx.state(m.currentManagedName);
  const token = current.delivered[0] ? ctx.info(current.delivered[0]) : null;
  const previous = m.live.find((l) => l.role === 'retain' && l.generation === m.currentGeneration - 1);
  const previousListed = previous ? ctx.state(previous.managedName).delivered[0] : undefined;
  const previousToken = previousListed ? ctx.info(previousListed) : null;
  const expiryDate = token?.expiryDate ?? m.expiryDate;
  const daysLeft = expiryDate === null ? null : daysUntil(expiryDate, nowMs);
  const verdicts: Verdict[] = [];
  const notes: string[] = [];

  if (current.pending.length > 0) {
    verdicts.push('undelivered');
    notes.push(
      `"${m.currentManagedName}" has ${current.pending.length} token(s) under its pending name: created, but delivery to the sinks was never recorded ` +
        `(a hook killed or failed before it finished, or a create that landed after a timeout). The next run of its create hook or of the ` +
        `stack's reconciler (a deploy that changes the stack, or the daily drift check) revokes it; to do it now, agility-pat tokens revoke --stack-tag ${ctx.stackTag} "${pendingNameOf(m.currentManagedName)}".`,
    );
  } else if (!token) {
    verdicts.push('missing');
    const expiredByManifest = m.expiryDate !== null && Date.parse(m.expiryDate) <= nowMs;
    notes.push(
      expiredByManifest
        ? `"${m.currentManagedName}" expired on ${m.expiryDate}: set a later expiresAt (or rotation) and deploy.`
        : `"${m.currentManagedName}" is not live (revoked, deleted, expired or disabled outside Terraform, or never deployed): a deploy recreates it.`,
    );
  }
  if (current.delivered.length > 1) {
    verdicts.push('duplicate');
    notes.push(
      `${current.delivered.length} live tokens bear "${m.currentManagedName}" and the sinks hold at most one of them: the stack's reconciler replaces them with one fresh token (a deploy that changes the stack, or the daily drift check).`,
    );
  }

  const drift = token ? sinkDriftNote(m.currentManagedName, ctx.sinks) : null;
  if (drift !== null) {
    verdicts.push('sink-drift');
    notes.push(drift);
  }

  const rotationDueAt = m.nextRotation;
  if (ctx.newerGeneration !== undefined) {
    verdicts.push('rotation-due');
    notes.push(
      `generation ${ctx.newerGeneration} is live but this synthesized stack holds generation ${m.currentGeneration}: synth again (another deploy rotated it).`,
    );
  } else if (rotationDueAt !== null && nowMs >= Date.parse(rotationDueAt)) {
    verdicts.push('rotation-due');
    notes.push(`generation ${m.currentGeneration + 1} started by ${rotationDueAt}: run cdktf deploy to rotate.`);
  }

  if (daysLeft !== null && expiryDate !== null && Date.parse(expiryDate) - nowMs < ctx.warnDays * DAY_MS && token) {
    verdicts.push('expiring');
    notes.push(`expires on ${expiryDate} (${daysLeft} days left, warning at ${ctx.warnDays}): deploy to rotate it, or set a later expiry.`);
  }
  const usage = usageVerdicts({
    current: token,
    previous: previousToken,
    retireEarlyQuietMs: m.retireEarly?.quietMs ?? null,
    unusedDays: ctx.unusedDays,
    nowMs,
  });
  for (const u of usage) {
    verdicts.push(u.verdict);
    notes.push(u.note);
  }
  const { replacement } = ctx;
  if (replacement !== null && replacement.state !== 'gone') {
    verdicts.push('being-replaced');
    notes.push(replacement.note);
  }
  if (verdicts.length === 0) verdicts.push('ok');
  verdicts.sort((a, b) => VERDICT_ORDER.indexOf(a) - VERDICT_ORDER.indexOf(b));

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
    rotationDueAt,
    replaces: replacement,
    sinks: ctx.sinks ?? [],
    verdicts,
    verdict: verdicts[0],
    notes,
  };
}

/**
 * True when a declared row needs someone to act: any verdict but `ok` and `being-replaced`, or a replacement that
 * is due or cannot proceed (`being-replaced` alone is information while the overlap runs).
 */
function needsAction(r: DeclaredTokenRow): boolean {
  return r.verdicts.some((v) => v !== 'ok' && v !== 'being-replaced') || replacementNeedsAction(r.replaces);
}
