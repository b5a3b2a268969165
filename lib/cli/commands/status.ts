import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../core/errors';
import { printable } from '../../core/printable';
import { DEFAULT_UNUSED_DAYS, DEFAULT_WARN_DAYS, STATUS_NEEDS_ACTION_EXIT_CODE, buildStatusReport, type StatusReport } from '../../ops';
import { probeStackSinks } from '../../sinks/sink-probe';
import { VERDICT_TABLE, verdictHelpLines } from '../../ops/status-verdicts';
import type { CliContext, Command } from '../context';
import { formatTable } from '../table';
import { apiUrlOptions, clientFromFlags, credentialOption } from '../api-flags';
import { MANIFEST_OPTIONS, manifestFromFlags } from '../manifest-flags';
import { type CommandUsage, HELP_OPTION, type OptionTable, formatUsage } from '../usage';

/** `status`'s options. */
export const STATUS_OPTIONS = {
  ...MANIFEST_OPTIONS,
  json: {
    type: 'boolean',
    help:
      'the report as JSON: {version, generatedAt, stackTag, apiUrl, warnDays, unusedDays,\n' +
      'needsAction, tokens[], orphaned[], otherTokens[], limits} (docs/status.md)',
  },
  'warn-days': { type: 'string', value: 'N', help: `days before expiry that count as expiring (default ${DEFAULT_WARN_DAYS})` },
  'unused-days': {
    type: 'string',
    value: 'N',
    help: `days without a consumer's use that count as unused or never-used (default ${DEFAULT_UNUSED_DAYS})`,
  },
  ...apiUrlOptions("the manifest's"),
  ...credentialOption("the manifest's credential variable"),
  ...HELP_OPTION,
} as const satisfies OptionTable;

/** The verdicts that do not make `status` exit 20 by themselves. */
const quietVerdicts = VERDICT_TABLE.filter((e) => !e.needsAction)
  .map((e) => e.verdict)
  .join(' and ');

export const STATUS_USAGE: CommandUsage = {
  usage: [
    'agility-pat status (--stack DIR | --manifest FILE) [--json] [--warn-days N] [--unused-days N]',
    '                   [--api-url URL | --instance-guid GUID] [--credential-env NAME]',
  ],
  description: `Compares what a synthesized stack declares with the tokens Agility lists for the credential's user, and gives each
declared token a verdict:
${verdictHelpLines().join('\n')}
A use within 5 minutes of a token's creation may be the deploy's own check, so it is not a consumer's use.
Also lists the user's other tokens (other stacks, or none), the active tokens of Agility's 10, and the tokens
created in the last hour of Agility's 5 per hour (a lower bound: revoked tokens are not listed).

Exit codes: 0 nothing needs action; ${STATUS_NEEDS_ACTION_EXIT_CODE} some token needs action (any verdict but ${quietVerdicts},
a replacement that is due or cannot proceed, or an orphan);
other codes are errors (docs/operations.md, "Exit codes").`,
  sections: [{ title: 'Options:', options: STATUS_OPTIONS }],
};

export const STATUS_HELP = formatUsage(STATUS_USAGE);

/** `agility-pat status`: returns 0 or {@link STATUS_NEEDS_ACTION_EXIT_CODE}. */
export async function statusCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: STATUS_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  const warnDays = dayCount(values['warn-days'], '--warn-days', DEFAULT_WARN_DAYS);
  const unusedDays = dayCount(values['unused-days'], '--unused-days', DEFAULT_UNUSED_DAYS);
  const { manifest, path } = await manifestFromFlags(values, ctx, 'status');

  const client = await clientFromFlags(ctx, values, { apiUrl: manifest.apiUrl, credentialEnv: manifest.credentialEnv });
  const { tokens } = await client.listTokens();
  const nowMs = ctx.clock();
  // The destinations, read where the hooks write them (relative paths from the stack folder); no secret is used.
  const sinkChecks = await probeStackSinks(manifest, tokens, nowMs, { cwd: dirname(path), env: ctx.env });
  // The report names the API it queried (--api-url or --instance-guid when given), not the manifest's.
  const report = buildStatusReport(manifest, tokens, nowMs, { warnDays, unusedDays, apiUrl: client.baseUrl, sinkChecks });

  if (values.json) ctx.out(printable(JSON.stringify(report, null, 2), { multiline: true }));
  else printReport(report, ctx);
  return report.needsAction ? STATUS_NEEDS_ACTION_EXIT_CODE : 0;
}

function dayCount(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,5}$/.test(raw))
    throw new InvalidInputError(`${flag} must be a whole number of days (0 or more), got "${raw}".`, { prop: flag, value: raw });
  return Number(raw);
}

const day = (iso: string | null): string => (iso === null ? '-' : iso.slice(0, 10));
/** A last use as the table shows it. */
const used = (iso: string | null): string => (iso === null ? 'never' : day(iso));

function printReport(r: StatusReport, ctx: CliContext): void {
  ctx.out(printable(`Stack ${r.stackTag} at ${r.apiUrl}, as of ${r.generatedAt}`));
  ctx.out('');
  if (r.tokens.length === 0) ctx.out('The stack declares no tokens.');
  else
    ctx.out(
      formatTable(
        ['DECLARED', 'MANAGED NAME', 'GEN', 'EXPIRES', 'DAYS LEFT', 'LAST USED', 'PREV USED', 'VERDICT'],
        r.tokens.map((t) => [
          t.declaredName,
          t.managedName,
          String(t.generation),
          t.expiryDate === null ? 'default (2 years)' : day(t.expiryDate),
          t.daysLeft === null ? '-' : String(t.daysLeft),
          t.token ? used(t.lastUsedDate) : '-',
          // The previous generation kept for overlap: '-' when the token keeps none or it is no longer live.
          t.retained?.live ? used(t.retained.lastUsedDate) : '-',
          t.verdicts.join(', '),
        ]),
      ),
    );
  for (const t of r.tokens) for (const n of t.notes) ctx.out(printable(`  ${t.declaredName}: ${n}`));
  // A command cannot be asked: not worth a line. A native sink that could not be read is (its credential unset, say).
  const unchecked = r.tokens.flatMap((t) =>
    t.sinks.filter((p) => p.state === 'unchecked' && !p.sink.startsWith('command ')).map((p) => `${t.declaredName}: ${p.sink} (${p.why})`),
  );
  if (unchecked.length > 0) ctx.out(printable(`Sinks not checked: ${unchecked.join('; ')}.`));

  if (r.orphaned.length > 0) {
    ctx.out('');
    ctx.out("Orphaned (this stack's marker, not declared):");
    ctx.out(
      formatTable(
        ['NAME', 'TOKEN ID', 'CREATED', 'EXPIRES', 'LAST USED'],
        r.orphaned.map((o) => [o.name, o.tokenID, day(o.createdDate), day(o.expiryDate), used(o.lastUsedDate)]),
      ),
    );
  }
  if (r.otherTokens.length > 0) {
    ctx.out('');
    ctx.out('Other tokens of this user (not managed by this stack):');
    ctx.out(
      formatTable(
        ['NAME', 'MANAGED BY', 'CREATED', 'EXPIRES', 'LAST USED', 'NOTE'],
        r.otherTokens.map((o) => [
          o.name,
          o.managedBy ?? '-',
          day(o.createdDate),
          day(o.expiryDate),
          used(o.lastUsedDate),
          [o.replacedBy === null ? '' : `replaced by ${o.replacedBy}`, o.unused ? `unused ${r.unusedDays}+ days` : '']
            .filter((n) => n !== '')
            .join('; '),
        ]),
      ),
    );
  }
  const { activeTokens: a, creationsLastHour: c } = r.limits;
  ctx.out('');
  ctx.out(
    `Active tokens: ${a.used} of ${a.limit}. Created in the last hour: at least ${c.used} of ${c.limit} (revoked tokens are not listed).`,
  );
  ctx.out(r.needsAction ? `Needs action (exit ${STATUS_NEEDS_ACTION_EXIT_CODE}).` : 'Nothing needs action.');
}

/** `agility-pat status`, as the program's entry point loads it. */
export const command: Command = { help: STATUS_HELP, run: statusCommand };
