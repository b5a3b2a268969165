import { pendingNameOf } from '../core/managed-name';
import type { ManifestToken } from '../core/manifest';
import type { ListedTokenInfo } from './listed-token';
import type { ReplacementRow } from './replacement-row';
import { sinkDriftNote, type SinkProbe } from '../core/sink-probe';
import { neverUsedNote, staleConsumerNote, unusedNote, type UsageFacts } from './usage-verdicts';

/**
 * The verdicts of `agility-pat status`, one small pure rule each, in one table ordered once, most urgent first. The
 * table is the only home of the verdicts: the report applies its rules in its order, `status --help` lists them from it,
 * and the verdict table of the docs (docs/status-verdicts.md, between its `verdicts` markers) is rendered from it and
 * checked against it by a test (`node scripts/verdict-table.js` rewrites it).
 *
 * Adding a verdict is one entry here, where its urgency puts it (plus its name in the status report's JSON schema, which
 * a test checks, and `node scripts/verdict-table.js` for the docs).
 */

/** What a rule of a declared token reads: one row of the report before its verdicts. */
export interface DeclaredTokenFacts {
  readonly manifest: ManifestToken;
  readonly stackTag: string;
  readonly nowMs: number;
  /** `expiring` below this many days. */
  readonly warnDays: number;
  /** Live tokens under the current managed name. */
  readonly deliveredCount: number;
  /** Tokens of the current generation still under their pending name. */
  readonly pendingCount: number;
  /** The live, delivered token of the current generation; null when there is none. */
  readonly token: ListedTokenInfo | null;
  /** The live token's expiry, else the manifest's; null when Agility's default applies and no token is live. */
  readonly expiryDate: string | null;
  /** `daysUntil(expiryDate)`; null when `expiryDate` is. */
  readonly daysLeft: number | null;
  /** The newest generation of the same declared name listed above the manifest's, if any (another deploy rotated it). */
  readonly newerGeneration: number | undefined;
  /** What the usage rules read (`ops/usage-verdicts`). */
  readonly usage: UsageFacts;
  /** The hand-made token it `replaces`, or null. */
  readonly replacement: ReplacementRow | null;
  /** What its sinks hold (`probeStackSinks`, lib/sinks/sink-probe.ts), when they were checked. */
  readonly sinks?: readonly SinkProbe[];
}

/** What the rule of an orphaned token reads. */
export interface OrphanFacts {
  readonly declaredName: string;
  readonly generation: number;
  /** True when the manifest still declares the name (a generation the stack no longer keeps). */
  readonly declared: boolean;
}

/** A rule: its note (why, and what to do) when the verdict applies to the row, else undefined. */
export type VerdictRule<F> = (row: F) => string | undefined;

interface VerdictText {
  /** `status --help`: one line or more, each at most ~95 columns. */
  readonly help: readonly string[];
  /** Docs table, "meaning". */
  readonly meaning: string;
  /** Docs table, "what to do"; empty when nothing. */
  readonly action: string;
  /**
   * True when the verdict makes `status` exit 20. `being-replaced` does not by itself: it needs action only once its
   * overlap has passed or its reference is broken (`replacementNeedsAction`).
   */
  readonly needsAction: boolean;
}

/** One verdict: a rule over declared rows, the rule over orphaned rows, or the verdict of a row no rule matched. */
export type VerdictEntry =
  | (VerdictText & { readonly verdict: string; readonly of: 'declared'; readonly rule: VerdictRule<DeclaredTokenFacts> })
  | (VerdictText & { readonly verdict: string; readonly of: 'orphan'; readonly rule: (row: OrphanFacts) => string })
  | (VerdictText & { readonly verdict: string; readonly of: 'fallback' });

const DAY_MS = 86_400_000;

const missing: VerdictRule<DeclaredTokenFacts> = ({ pendingCount, token, manifest: m, nowMs }) => {
  if (pendingCount > 0 || token) return undefined;
  const expiredByManifest = m.expiryDate !== null && Date.parse(m.expiryDate) <= nowMs;
  return expiredByManifest
    ? `"${m.currentManagedName}" expired on ${m.expiryDate}: set a later expiresAt (or rotation) and deploy.`
    : `"${m.currentManagedName}" is not live (revoked, deleted, expired or disabled outside Terraform, or never deployed): a deploy recreates it.`;
};

const undelivered: VerdictRule<DeclaredTokenFacts> = ({ pendingCount, manifest: m, stackTag }) =>
  pendingCount === 0
    ? undefined
    : `"${m.currentManagedName}" has ${pendingCount} token(s) under its pending name: created, but delivery to the sinks was never recorded ` +
      `(a hook killed or failed before it finished, or a create that landed after a timeout). The next run of its create hook or of the ` +
      `stack's reconciler (a deploy that changes the stack, or the daily drift check) revokes it; to do it now, agility-pat tokens revoke --stack-tag ${stackTag} "${pendingNameOf(m.currentManagedName)}".`;

const duplicate: VerdictRule<DeclaredTokenFacts> = ({ deliveredCount, manifest: m }) =>
  deliveredCount <= 1
    ? undefined
    : `${deliveredCount} live tokens bear "${m.currentManagedName}" and the sinks hold at most one of them: the stack's reconciler replaces them with one fresh token (a deploy that changes the stack, or the daily drift check).`;

const sinkDrift: VerdictRule<DeclaredTokenFacts> = ({ token, manifest: m, sinks }) =>
  token ? (sinkDriftNote(m.currentManagedName, sinks) ?? undefined) : undefined;

const rotationDue: VerdictRule<DeclaredTokenFacts> = ({ newerGeneration, manifest: m, nowMs }) => {
  if (newerGeneration !== undefined) {
    return `generation ${newerGeneration} is live but this synthesized stack holds generation ${m.currentGeneration}: synth again (another deploy rotated it).`;
  }
  if (m.nextRotation !== null && nowMs >= Date.parse(m.nextRotation)) {
    return `generation ${m.currentGeneration + 1} started by ${m.nextRotation}: run cdktf deploy to rotate.`;
  }
  return undefined;
};

const expiring: VerdictRule<DeclaredTokenFacts> = ({ token, expiryDate, daysLeft, nowMs, warnDays }) =>
  token && expiryDate !== null && Date.parse(expiryDate) - nowMs < warnDays * DAY_MS
    ? `expires on ${expiryDate} (${daysLeft} days left, warning at ${warnDays}): deploy to rotate it, or set a later expiry.`
    : undefined;

const beingReplaced: VerdictRule<DeclaredTokenFacts> = ({ replacement }) =>
  replacement !== null && replacement.state !== 'gone' ? replacement.note : undefined;

const orphaned = ({ declaredName, generation, declared }: OrphanFacts): string =>
  declared
    ? `generation ${generation} of "${declaredName}" is no longer kept by the stack: a deploy revokes it (or run agility-pat tokens revoke).`
    : `"${declaredName}" carries this stack's marker but is not declared: a deploy revokes it (or run agility-pat tokens revoke).`;

/** Every verdict, most urgent first: a row's `verdict` is the first of its `verdicts` in this order. */
export const VERDICT_TABLE = [
  {
    verdict: 'missing',
    of: 'declared',
    rule: missing,
    needsAction: true,
    help: ['the current token is not live (revoked, deleted, expired or disabled outside Terraform): deploy'],
    meaning: "the current generation's token is not live (revoked, deleted, expired or disabled outside Terraform)",
    action: '`cdktf deploy` (the reconcile hook recreates it)',
  },
  {
    verdict: 'undelivered',
    of: 'declared',
    rule: undelivered,
    needsAction: true,
    help: [
      'a token of the current generation is still under its pending name (its delivery was never',
      'recorded): the next create hook or reconciler run revokes it',
    ],
    meaning: 'a token of the current generation is still under its pending name: its delivery was never recorded',
    action: 'the next create hook or reconciler run revokes it; or `tokens revoke` (the note names it)',
  },
  {
    verdict: 'duplicate',
    of: 'declared',
    rule: duplicate,
    needsAction: true,
    help: ['several live tokens bear the managed name: the next reconciler run replaces them with one'],
    meaning: 'more than one live token bears the managed name; the sinks hold at most one',
    action: 'the next reconciler run replaces them with one',
  },
  {
    // A destination holds something else than the live token's delivery (docs/design.md, "Many machines, one writer").
    verdict: 'sink-drift',
    of: 'declared',
    rule: sinkDrift,
    needsAction: true,
    help: [
      "a destination holds something else than the live token's delivery (a file or env key changed or",
      'gone, a GitHub secret written by someone else): the next reconciler run delivers a fresh token',
    ],
    meaning:
      "a sink holds something else than the live token's delivery: a file or env key changed, gone or without its delivery record, a GitHub secret gone or written by someone else, a Vault field gone or older than the token",
    action:
      'the next reconciler run (a changed stack or the drift check) delivers a fresh token to every sink; `agility-pat tokens rotate` does it now',
  },
  {
    verdict: 'orphaned',
    of: 'orphan',
    rule: orphaned,
    needsAction: true,
    help: ["a token carrying the stack's marker that it does not declare (listed apart): a deploy revokes it"],
    meaning: "carries this stack's marker, not declared (a construct removed from the code)",
    action: '`cdktf deploy` revokes it, or `agility-pat tokens revoke`',
  },
  {
    // A consumer holds a secret that is one rotation old: it breaks when the old generation goes.
    verdict: 'stale-consumer',
    of: 'declared',
    rule: (row) => staleConsumerNote(row.usage),
    needsAction: true,
    help: [
      'the previous secret is still used a quiet time (retireEarly.quietFor, else 1 day) after the',
      'current one was created, and the current one is in use: a consumer never picked up the new secret',
    ],
    meaning:
      "the current token is in use, and the previous generation's secret was still used more than the quiet time (`retireEarly.quietFor`, else 1 day) after the current one was created: a consumer never picked up the new secret",
    action:
      "find the consumer (it reads one of the token's sinks) and make it read the sink again; the old secret stops working when its overlap ends",
  },
  {
    verdict: 'rotation-due',
    of: 'declared',
    rule: rotationDue,
    needsAction: true,
    help: [
      "the manifest's next rotation has passed, or a newer generation of the token is already live",
      '(another deploy rotated it): deploy (or synth again)',
    ],
    meaning: 'a newer generation has started, or is already live (another machine deployed)',
    action: '`cdktf deploy` (or synth again)',
  },
  {
    verdict: 'expiring',
    of: 'declared',
    rule: expiring,
    needsAction: true,
    help: ['fewer than --warn-days days left'],
    meaning: 'fewer than `--warn-days` days left',
    action: 'deploy to rotate, or set a later expiry',
  },
  {
    verdict: 'never-used',
    of: 'declared',
    rule: (row) => neverUsedNote(row.usage),
    needsAction: true,
    help: ['a delivered generation (current or previous) no consumer has used, created over --unused-days ago'],
    meaning:
      'a delivered generation (the current one, or the previous one kept for overlap) that no consumer has used, created more than `--unused-days` days ago',
    action: 'remove it from the code if nothing needs it; otherwise check that its consumer reads the sink',
  },
  {
    verdict: 'unused',
    of: 'declared',
    rule: (row) => unusedNote(row.usage),
    needsAction: true,
    help: ["the current token's last consumer use is over --unused-days days ago"],
    meaning: "the current token's last consumer use is more than `--unused-days` days ago",
    action: 'remove it from the code if nothing needs it',
  },
  {
    verdict: 'being-replaced',
    of: 'declared',
    rule: beingReplaced,
    needsAction: false,
    help: [
      'a token made by hand that it replaces (replaces prop) is still live: move its consumers;',
      'the first deploy after its overlap revokes it (needs action only once that is due)',
    ],
    meaning: 'a token made by hand that it `replaces` is still live',
    action: 'move its consumers; the first deploy after its overlap revokes it',
  },
  {
    verdict: 'ok',
    of: 'fallback',
    needsAction: false,
    help: ['nothing to do'],
    meaning: 'nothing to do (no other verdict applies)',
    action: '',
  },
] as const satisfies readonly VerdictEntry[];

/** What a row needs, most urgent first (the order of {@link VERDICT_TABLE}). */
export type Verdict = (typeof VERDICT_TABLE)[number]['verdict'];

/** Verdicts from most to least urgent. */
export const VERDICT_ORDER: readonly Verdict[] = VERDICT_TABLE.map((e) => e.verdict);

/** The verdict of a row no rule matched. */
export const FALLBACK_VERDICT: Verdict = VERDICT_TABLE.find((e) => e.of === 'fallback')!.verdict;

/** The verdict of a token carrying the stack's marker that it does not declare. */
export const ORPHAN_VERDICT = VERDICT_TABLE.find((e) => e.of === 'orphan')!;

/** The verdicts of a declared row and one note per verdict but the fallback, both most urgent first. */
export function declaredVerdicts(row: DeclaredTokenFacts): { verdicts: Verdict[]; notes: string[] } {
  const verdicts: Verdict[] = [];
  const notes: string[] = [];
  for (const entry of VERDICT_TABLE) {
    if (entry.of !== 'declared') continue;
    const note = entry.rule(row);
    if (note === undefined) continue;
    verdicts.push(entry.verdict);
    notes.push(note);
  }
  return { verdicts: verdicts.length > 0 ? verdicts : [FALLBACK_VERDICT], notes };
}

/** True when the verdict by itself makes `status` exit 20. */
export function verdictNeedsAction(verdict: Verdict): boolean {
  return VERDICT_TABLE.find((e) => e.verdict === verdict)!.needsAction;
}

const HELP_NAME_WIDTH = Math.max(...VERDICT_TABLE.map((e) => e.verdict.length)) + 2;

/** The verdict list of `status --help`: one entry per verdict, in the table's order. */
export function verdictHelpLines(): string[] {
  return VERDICT_TABLE.flatMap((e) => e.help.map((line, i) => `  ${(i === 0 ? e.verdict : '').padEnd(HELP_NAME_WIDTH)}${line}`));
}

/** The docs' verdict table (Markdown): verdict, meaning, what to do, in the table's order. */
export function verdictMarkdownRows(): string[][] {
  return [['verdict', 'meaning', 'what to do'], ...VERDICT_TABLE.map((e) => [`\`${e.verdict}\``, e.meaning, e.action])];
}

/** Where the docs' verdict table sits in a Markdown file. */
export const VERDICT_DOC_MARKERS = { start: '<!-- verdicts:start -->', end: '<!-- verdicts:end -->' } as const;

/** The docs' verdict table as Markdown (unpadded; prettier pads it). */
export function verdictMarkdownTable(): string {
  const [head, ...rows] = verdictMarkdownRows();
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head!), line(head!.map(() => '---')), ...rows.map(line)].join('\n');
}
