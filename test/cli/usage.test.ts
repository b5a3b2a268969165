/**
 * The help of each operator command against what the command really takes: every flag its help mentions is accepted
 * by the command, and every flag the command accepts is in its help. Run in process through `main`, as the program's
 * entry point runs it, with an empty environment (no command gets far enough to reach a network).
 */
import { main } from '../../lib/cli/main';
import type { CliContext } from '../../lib/cli/context';
import { AUTH_LOGIN_OPTIONS, AUTH_LOGOUT_OPTIONS, AUTH_REFRESH_OPTIONS, AUTH_STATUS_OPTIONS } from '../../lib/cli/commands/auth';
import { EMULATOR_OPTIONS } from '../../lib/cli/commands/emulator';
import { STATUS_OPTIONS } from '../../lib/cli/commands/status';
import { TOKENS_LIST_OPTIONS, TOKENS_REVOKE_OPTIONS, TOKENS_ROTATE_OPTIONS } from '../../lib/cli/commands/tokens';
import { formatUsage, type OptionTable } from '../../lib/cli/usage';
import { StopRequests } from '../../lib/cli/stop-requests';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    env: {},
    cwd: '/nonexistent-agility-pat-test',
    clock: () => Date.parse('2026-03-01T12:00:00Z'),
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stopSignal: new Promise(() => undefined),
    stops: new StopRequests(),
    stdoutIsTty: false,
  };
  const code = await main(argv, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Each command line as the user types it, the options it parses with, and whether it takes positionals. */
const COMMANDS: { argv: string[]; help: string[]; options: OptionTable; positionals: boolean }[] = [
  { argv: ['tokens', 'list'], help: ['tokens'], options: TOKENS_LIST_OPTIONS, positionals: false },
  { argv: ['tokens', 'revoke', 'some-token'], help: ['tokens'], options: TOKENS_REVOKE_OPTIONS, positionals: true },
  { argv: ['tokens', 'rotate', 'some-token'], help: ['tokens'], options: TOKENS_ROTATE_OPTIONS, positionals: true },
  { argv: ['status'], help: ['status'], options: STATUS_OPTIONS, positionals: false },
  { argv: ['auth', 'login'], help: ['auth'], options: AUTH_LOGIN_OPTIONS, positionals: false },
  { argv: ['auth', 'status'], help: ['auth'], options: AUTH_STATUS_OPTIONS, positionals: false },
  { argv: ['auth', 'logout'], help: ['auth'], options: AUTH_LOGOUT_OPTIONS, positionals: false },
  { argv: ['auth', 'refresh'], help: ['auth'], options: AUTH_REFRESH_OPTIONS, positionals: false },
  { argv: ['emulator'], help: ['emulator'], options: EMULATOR_OPTIONS, positionals: false },
];

/**
 * The flags a help text mentions: every `--long`, and a `-x` where it is written as a flag (`[-y]`, `-y, --yes`), not
 * where it is a value such as the GUID suffixes `(-u, -c, -e)`.
 */
function flagsIn(text: string): string[] {
  const long = [...text.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]);
  const short = [...text.matchAll(/(?<=[\s[])-[a-z](?=\]|, --)/g)].map((m) => m[0]);
  return [...new Set([...long, ...short])].sort();
}

/** Every spelling of every option in a table. */
function flagsOf(options: OptionTable): string[] {
  return Object.entries(options)
    .flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])])
    .sort();
}

describe.each(COMMANDS)('agility-pat $argv.0 $argv.1', ({ argv, help, options, positionals }) => {
  let text = '';
  beforeAll(async () => {
    const r = await run([...help, '--help']);
    expect(r.code).toBe(0);
    text = r.out;
  });

  it('documents every flag the command accepts on a line of its own', () => {
    const undocumented = Object.entries(options).filter(([name, o]) => {
      const label = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' [A-Z][A-Z0-9-]*' : ''}`;
      return !new RegExp(`^  ${label}  +\\S`, 'm').test(text);
    });
    expect(undocumented.map(([name]) => name)).toEqual([]);
  });

  it('accepts every flag its help mentions', async () => {
    // The help of `tokens` covers every subcommand: a flag must be accepted by one of them.
    const accepted = new Set(COMMANDS.filter((c) => c.help[0] === help[0]).flatMap((c) => flagsOf(c.options)));
    const mentioned = flagsIn(text).filter((f) => f !== '--help' && f !== '-h');
    expect(mentioned.filter((f) => !accepted.has(f))).toEqual([]);
    for (const flag of mentioned.filter((f) => flagsOf(options).includes(f))) {
      const name = flag.startsWith('--') ? flag.slice(2) : Object.keys(options).find((k) => options[k].short === flag.slice(1))!;
      const value = options[name].type === 'string' ? ['x'] : [];
      // A trailing positional stops a command that takes none right after parsing, before it reads anything.
      const r = await run([...argv, flag, ...value, ...(positionals ? [] : ['extra'])]);
      expect({ flag, err: r.err }).not.toEqual({ flag, err: expect.stringMatching(/Unknown option|ERR_PARSE_ARGS_UNKNOWN_OPTION/) });
      expect(r.code).not.toBe(0);
      if (!positionals) expect(r.err).toMatch(/Unexpected argument 'extra'/);
    }
  });
});

it('an unknown flag is refused, so the checks above can fail', async () => {
  const r = await run(['tokens', 'list', '--no-such-flag']);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/\[INVALID_INPUT\] Unknown option '--no-such-flag'/);
});

it('the generator puts short and long spellings, value placeholders and continued lines in one column', () => {
  expect(
    formatUsage({
      usage: ['agility-pat demo [-y] [--name N]', '[more]'],
      description: 'Does a demo.',
      sections: [
        { title: 'Options:', options: { yes: { type: 'boolean', short: 'y', help: 'do not ask' } } },
        { title: 'More:', options: { name: { type: 'string', value: 'N', help: 'the name\nsecond line' } } },
      ],
      epilogue: 'Exit codes: 0.',
    }),
  ).toBe(
    [
      'Usage: agility-pat demo [-y] [--name N]',
      '       [more]',
      '',
      'Does a demo.',
      '',
      'Options:',
      '  -y, --yes     do not ask',
      '',
      'More:',
      '      --name N  the name',
      '                second line',
      '',
      'Exit codes: 0.',
    ].join('\n'),
  );
});

it('tokens revoke documents -y, its short form of --yes', async () => {
  const r = await run(['tokens', '--help']);
  expect(r.out).toMatch(/^ {2}-y, --yes\s/m);
});

it('tokens and auth default to the same API URL: $AGILITY_API_URL, else the US host', async () => {
  const tokens = (await run(['tokens', '--help'])).out;
  const auth = (await run(['auth', '--help'])).out;
  const line = /^ +--api-url URL +(.*)$/m;
  expect(line.exec(tokens)?.[1]).toBe('Management API base URL (default: $AGILITY_API_URL, else https://mgmt.aglty.io)');
  expect(line.exec(auth)?.[1]).toBe(line.exec(tokens)?.[1]);
});
