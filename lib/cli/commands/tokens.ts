import { parseArgs } from 'node:util';
import { AgilityClient, resolveBaseUrl } from '../../api';
import type { PersonalAccessTokenResponse } from '../../api/models';
import { InvalidInputError } from '../../core/errors';
import { parseManagedName } from '../../core/managed-name';
import type { CliContext } from '../context';
import { DEFAULT_CREDENTIAL_ENV, readCredential } from '../env-inputs';
import { formatTable } from '../table';

export const TOKENS_HELP = `Usage: agility-pat tokens list [--json] [--api-url URL | --instance-guid GUID] [--credential-env NAME]

Lists the Personal Access Tokens of the signed-in Agility user: name, created, expiry, days left, last used, and
which stack manages it ("-" for tokens no stack manages). Never shows a secret (Agility returns it only at creation).

Options:
  --api-url URL          Management API base URL (default: $AGILITY_API_URL, else from --instance-guid)
  --instance-guid GUID   pick the regional host from the instance GUID's suffix (-u, -us2, -c, -e, -a, -d)
  --credential-env NAME  environment variable holding an OAuth access token (default ${DEFAULT_CREDENTIAL_ENV})
  --json                 machine-readable output
  -h, --help             this help`;

/** Options every command that talks to the API shares. */
export const API_OPTIONS = {
  'api-url': { type: 'string' },
  'instance-guid': { type: 'string' },
  'credential-env': { type: 'string' },
} as const;

/** A client for commands run by a person: URL from flags or AGILITY_API_URL, credential from the named variable. */
export function clientFromFlags(ctx: CliContext, values: { 'api-url'?: string; 'instance-guid'?: string; 'credential-env'?: string }): AgilityClient {
  const baseUrl = resolveBaseUrl({ baseUrl: values['api-url'] ?? (values['instance-guid'] ? undefined : ctx.env.AGILITY_API_URL), instanceGuid: values['instance-guid'] });
  return new AgilityClient({ baseUrl, accessToken: readCredential(ctx.env, values['credential-env'] ?? DEFAULT_CREDENTIAL_ENV), clock: ctx.clock });
}

/** `agility-pat tokens <subcommand>`. */
export async function tokensCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list') throw new InvalidInputError(`unknown tokens subcommand "${sub ?? ''}": expected "list".\n${TOKENS_HELP}`);
  const { values } = parseArgs({ args: rest, options: { ...API_OPTIONS, json: { type: 'boolean' } }, strict: true, allowPositionals: false });
  const client = clientFromFlags(ctx, values);
  const { tokens } = await client.listTokens();
  const rows = tokens.map((t) => describeToken(t, ctx.clock()));
  if (values.json) {
    ctx.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    ctx.out('No tokens.');
    return 0;
  }
  ctx.out(
    formatTable(
      ['NAME', 'CREATED', 'EXPIRES', 'DAYS LEFT', 'LAST USED', 'MANAGED BY'],
      rows.map((r) => [r.name, r.createdDate.slice(0, 10), r.expiryDate.slice(0, 10), String(r.daysLeft), r.lastUsedDate?.slice(0, 10) ?? 'never', r.managedBy ?? '-']),
    ),
  );
  return 0;
}

/** One token as `tokens list` shows it. */
export interface TokenRow {
  tokenID: string;
  name: string;
  createdDate: string;
  expiryDate: string;
  daysLeft: number;
  lastUsedDate: string | null;
  enabled: boolean;
  expired: boolean;
  /** The stack tag of the stack that manages it, or null. */
  managedBy: string | null;
}

export function describeToken(t: PersonalAccessTokenResponse, nowMs: number): TokenRow {
  const name = t.name ?? '';
  return {
    tokenID: t.tokenID,
    name,
    createdDate: t.createdDate,
    expiryDate: t.expiryDate,
    daysLeft: Math.floor((Date.parse(t.expiryDate) - nowMs) / 86_400_000),
    lastUsedDate: t.lastUsedDate,
    enabled: t.enabled,
    expired: t.isExpired,
    managedBy: parseManagedName(name)?.stackTag ?? null,
  };
}
