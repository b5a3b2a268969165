import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { PersonalAccessTokenResponse } from '../../api/models';
import { InvalidInputError } from '../../core/errors';
import { parseManagedName } from '../../core/managed-name';
import { printable } from '../../core/printable';
import { describeListedToken, type ListedTokenInfo } from '../../ops/listed-token';
import { selectTokensToRevoke, type StackScope } from '../../ops/revoke-selection';
import type { CliContext, Command } from '../context';
import { declaredToken, rotateNow, type RotateNowOutcome } from '../../lifecycle/rotate-now';
import {
  API_URL_FROM_ENV_HELP,
  type ApiFlags,
  apiUrlFromEnv,
  apiUrlOptions,
  baseUrlFromFlags,
  clientFromFlags,
  credentialOption,
} from '../api-flags';
import { lifecycleDeps } from '../deps';
import { MANIFEST_OPTIONS, manifestFromFlags } from '../manifest-flags';
import { type CommandUsage, HELP_OPTION, type OptionTable, formatUsage } from '../usage';
import { DEFAULT_CREDENTIAL_ENV } from '../env-inputs';
import { formatTable } from '../table';

/** Options every subcommand takes: where the API is and which credential to use (rotate: the manifest's by default). */
const TOKENS_API_OPTIONS = { ...apiUrlOptions(API_URL_FROM_ENV_HELP), ...credentialOption(DEFAULT_CREDENTIAL_ENV) };

/** `tokens list`'s own options. */
export const TOKENS_LIST_OPTIONS = {
  ...TOKENS_API_OPTIONS,
  json: { type: 'boolean', help: 'machine-readable output' },
  ...HELP_OPTION,
} as const satisfies OptionTable;

/** `tokens revoke`'s own options. */
export const TOKENS_REVOKE_OPTIONS = {
  ...TOKENS_API_OPTIONS,
  yes: { type: 'boolean', short: 'y', help: 'do not ask (required without a terminal)' },
  'stack-tag': { type: 'string', value: 'TAG', help: 'allow tokens of this stack (e.g. prod~3fa9c1)' },
  'any-stack': { type: 'boolean', help: 'allow tokens of any stack' },
  ...HELP_OPTION,
} as const satisfies OptionTable;

/** `tokens rotate`'s own options. */
export const TOKENS_ROTATE_OPTIONS = {
  ...MANIFEST_OPTIONS,
  ...TOKENS_API_OPTIONS,
  yes: TOKENS_REVOKE_OPTIONS.yes,
  ...HELP_OPTION,
} as const satisfies OptionTable;

export const TOKENS_USAGE: CommandUsage = {
  usage: [
    'agility-pat tokens list [--json] [API options]',
    'agility-pat tokens revoke <managed-name|token-id>... [-y] [--stack-tag TAG | --any-stack] [API options]',
    'agility-pat tokens rotate <declared-name> (--stack DIR | --manifest FILE) [-y] [API options]',
  ],
  description: `tokens list: lists the Personal Access Tokens of the signed-in Agility user: name, created, expiry, days left,
last used, and which stack manages it ("-" for tokens no stack manages). Never shows a secret (Agility returns it
only at creation).

tokens revoke: revokes each token (by exact name or token id) and prints what it revoked; nothing is revoked when a
reference matches no token. Asks for confirmation on a terminal (answering no revokes nothing, exit 0); without a
terminal, --yes is required. Refuses a token managed by a stack (its name carries a [cdktf:<stack tag>/g<n>] marker)
unless --stack-tag is that tag or --any-stack is given: the stack recreates a revoked current token on its next deploy.

tokens rotate: for a leaked secret. Revokes every live token of the declared token (the name given in code) in the
synthesized stack, all generations at once (no overlap: the leaked secret stops working now), then creates a fresh
token for the current generation, proves it authenticates (unless the token says verify: false) and delivers it to
the token's sinks from the manifest (relative paths from the stack folder, as the hooks do). The next deploy changes
nothing. Consumers fail until they read the new secret from their sink. If it fails halfway, run it again (status
shows the token as missing meanwhile). Refuses, revoking nothing, when a newer generation than the manifest's is live
(synth again first). Asks for confirmation on a terminal; without a terminal, --yes is required. The API options
default to the manifest's URL and credential variable.`,
  sections: [
    { title: 'API options (all):', options: TOKENS_API_OPTIONS },
    { title: 'tokens list:', options: { json: TOKENS_LIST_OPTIONS.json } },
    {
      title: 'tokens revoke:',
      options: {
        yes: TOKENS_REVOKE_OPTIONS.yes,
        'stack-tag': TOKENS_REVOKE_OPTIONS['stack-tag'],
        'any-stack': TOKENS_REVOKE_OPTIONS['any-stack'],
      },
    },
    { title: 'tokens rotate:', options: { ...MANIFEST_OPTIONS, yes: TOKENS_ROTATE_OPTIONS.yes } },
    { title: 'Options:', options: HELP_OPTION },
  ],
};

export const TOKENS_HELP = formatUsage(TOKENS_USAGE);

/** Tokens commands find the API as the construct does: $AGILITY_API_URL, else the US host. */
const tokensClient = (ctx: CliContext, values: ApiFlags) =>
  clientFromFlags(ctx, values, { apiUrl: apiUrlFromEnv(ctx.env), credentialEnv: DEFAULT_CREDENTIAL_ENV });

/** `agility-pat tokens <subcommand>`. */
export async function tokensCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'revoke') return tokensRevoke(rest, ctx);
  if (sub === 'rotate') return tokensRotate(rest, ctx);
  if (sub !== 'list')
    throw new InvalidInputError(
      `unknown tokens subcommand "${sub ?? ''}": expected "list", "revoke" or "rotate". Run agility-pat tokens --help.`,
    );
  const { values } = parseArgs({
    args: rest,
    options: TOKENS_LIST_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  const client = await tokensClient(ctx, values);
  const { tokens } = await client.listTokens();
  const rows = tokens.map((t) => describeToken(t, ctx.clock()));
  if (values.json) {
    ctx.out(printable(JSON.stringify(rows, null, 2), { multiline: true }));
    return 0;
  }
  if (rows.length === 0) {
    ctx.out('No tokens.');
    return 0;
  }
  ctx.out(
    formatTable(
      ['NAME', 'CREATED', 'EXPIRES', 'DAYS LEFT', 'LAST USED', 'MANAGED BY'],
      rows.map((r) => [
        r.name,
        r.createdDate.slice(0, 10),
        r.expiryDate.slice(0, 10),
        String(r.daysLeft),
        r.lastUsedDate?.slice(0, 10) ?? 'never',
        r.managedBy ?? '-',
      ]),
    ),
  );
  return 0;
}

/** One token as `tokens list` shows it: the listed token and the stack that manages it, or null. */
export interface TokenRow extends ListedTokenInfo {
  readonly managedBy: string | null;
}

export function describeToken(t: PersonalAccessTokenResponse, nowMs: number): TokenRow {
  const info = describeListedToken(t, nowMs);
  return { ...info, managedBy: parseManagedName(info.name)?.stackTag ?? null };
}

/** Asks a yes/no question; resolves true only for an explicit yes. */
export type Confirm = (question: string) => Promise<boolean>;

/** Asks on the terminal (prompt on stderr, answer from stdin); undefined when stdin or stderr is not a terminal. */
export function terminalConfirm(): Confirm | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    // Loaded here: only a person at a terminal needs it, and every process pays for what it loads.
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^(y|yes)$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  };
}

/**
 * `agility-pat tokens revoke <ref>... [--yes] [--stack-tag TAG | --any-stack]`: resolves every reference first
 * (nothing is revoked unless all resolve and are allowed), asks, then revokes one by one, printing each.
 * @param confirm how to ask; undefined when nobody can be asked (then --yes is required).
 */
export async function tokensRevoke(args: string[], ctx: CliContext, confirm: Confirm | undefined = terminalConfirm()): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: TOKENS_REVOKE_OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    throw new InvalidInputError('tokens revoke needs at least one managed name or token id. Run agility-pat tokens list to see them.', {
      prop: 'token',
    });
  }
  if (values['stack-tag'] !== undefined && values['any-stack']) {
    throw new InvalidInputError('pass --stack-tag TAG or --any-stack, not both.', { prop: '--stack-tag' });
  }
  requireConfirmation('tokens revoke', 'revoke', values.yes, confirm);
  const scope: StackScope = values['any-stack']
    ? { kind: 'any' }
    : values['stack-tag'] !== undefined
      ? { kind: 'stack', stackTag: values['stack-tag'] }
      : { kind: 'none' };
  const client = await tokensClient(ctx, values);
  const { tokens } = await client.listTokens();
  const targets = selectTokensToRevoke(positionals, tokens, scope);
  if (!values.yes) {
    const list = targets.map((t) => `"${printable(t.name)}" (${t.tokenID})`).join(', ');
    if (!(await confirm!(`Revoke ${targets.length} token${targets.length === 1 ? '' : 's'}: ${list}? This cannot be undone.`))) {
      ctx.err('agility-pat: nothing revoked.');
      return 0;
    }
  }
  for (const t of targets) {
    await client.revokeToken(t.tokenID);
    ctx.out(`Revoked "${printable(t.name)}" (${t.tokenID})${t.managedBy ? `, managed by stack ${t.managedBy}` : ''}.`);
  }
  return 0;
}

/** Refuses to go on when the command must ask and nobody can answer: --yes is then required. */
function requireConfirmation(command: string, verb: string, yes: boolean | undefined, confirm: Confirm | undefined): void {
  if (!yes && !confirm) {
    throw new InvalidInputError(
      `${command} asks for confirmation, and there is no terminal to ask on: pass --yes to ${verb} without asking.`,
      { prop: '--yes' },
    );
  }
}

/**
 * `agility-pat tokens rotate <declared name> (--stack DIR | --manifest FILE) [--yes]`: rotate now (docs/design.md,
 * "Usage-aware rotation and adoption"). Checks the name against the manifest, asks, then runs {@link rotateNow} with
 * the stack folder (the manifest's folder) as the sinks' working directory, as the hooks have it.
 * @param confirm how to ask; undefined when nobody can be asked (then --yes is required).
 */
export async function tokensRotate(args: string[], ctx: CliContext, confirm: Confirm | undefined = terminalConfirm()): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: TOKENS_ROTATE_OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    throw new InvalidInputError(
      `tokens rotate takes one declared token name (the name given in code, e.g. ci-deploy), got ${positionals.length}.`,
      { prop: 'declared name' },
    );
  }
  const [declaredName] = positionals as [string];
  requireConfirmation('tokens rotate', 'rotate', values.yes, confirm);
  const loaded = await manifestFromFlags(values, ctx, 'tokens rotate');
  const { manifest } = loaded;
  const token = declaredToken(manifest, declaredName);
  if (!values.yes) {
    const question =
      `Rotate "${printable(declaredName)}" of stack ${manifest.stackTag} now: revoke its live tokens at once (no overlap), ` +
      `then deliver a new one to its ${token.sinks.length} sink(s)? Consumers fail until they read the new secret.`;
    if (!(await confirm!(question))) {
      ctx.err('agility-pat: nothing rotated.');
      return 0;
    }
  }
  const stackDir = dirname(loaded.path);
  const deps = await lifecycleDeps(
    { ...ctx, cwd: stackDir },
    baseUrlFromFlags(values, manifest.apiUrl),
    values['credential-env'] ?? manifest.credentialEnv,
  );
  const outcome = await ctx.stops.interruptible(() => rotateNow(deps, manifest, declaredName));
  printRotation(outcome, token.sinks.length, ctx);
  return 0;
}

function printRotation(o: RotateNowOutcome, sinks: number, ctx: CliContext): void {
  const revoked = o.revoked.filter((r) => r.revoked > 0);
  const total = revoked.reduce((n, r) => n + r.revoked, 0);
  ctx.out(
    printable(
      total === 0
        ? `Revoked no token of "${o.declaredName}": none was live.`
        : `Revoked ${total} token${total === 1 ? '' : 's'} of "${o.declaredName}": ${revoked.map((r) => `"${r.managedName}" (${r.revoked})`).join(', ')}.`,
    ),
  );
  const c = o.current;
  if (c.action === 'created') {
    ctx.out(printable(`Created "${c.managedName}" (${c.tokenId}), expires ${c.expiryDate}, delivered to ${sinks} sink(s).`));
    ctx.out('Consumers must read the new secret from the sinks. The next deploy changes nothing.');
  } else if (c.action === 'kept') {
    ctx.out(printable(`Kept "${c.managedName}" (${c.tokenId}): another deploy created and delivered it after the revocation.`));
  } else {
    ctx.out(printable(`Created nothing: "${c.managedName}" expired at ${c.expiryDate}. Set a later expiresAt and deploy.`));
  }
}

/** `agility-pat tokens`, as the program's entry point loads it. */
export const command: Command = { help: TOKENS_HELP, run: tokensCommand };
