/**
 * The command-sink recipes of docs/recipes.md (gh, aws, vercel, netlify, kubectl), read from that page itself and run through
 * deliverSecret against stand-in programs on PATH. Each stand-in checks its arguments as the real tool expects them
 * and the secret it receives (by its SHA-256, which is all it is told), and records what it saw.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SecretSink } from '../../lib/construct/secret-sink';
import { hasErrorCode } from '../../lib/core/errors';
import { deliverSecret } from '../helpers/deliver';
import { CTX, SECRET, useTempDir } from './fixtures';

const RECIPES = readFileSync(resolve(__dirname, '..', '..', 'docs', 'recipes.md'), 'utf8');

/** `// recipe: NAME …` followed by one `SecretSink.command([...]);` statement. */
function recipes(): Map<string, SecretSink> {
  const found = new Map<string, SecretSink>();
  for (const m of RECIPES.matchAll(/\/\/ recipe: (\w+)[^\n]*\n(SecretSink\.command\(\[[\s\S]*?\]\));/g)) {
    found.set(m[1], new Function('SecretSink', `return ${m[2]};`)(SecretSink) as SecretSink);
  }
  return found;
}

/** One program for every tool; it acts by the name it was called as. Exits 1, saying why, when a check fails. */
const STAND_IN = String.raw`
const fs = require('node:fs');
const crypto = require('node:crypto');
const path = require('node:path');
const program = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
const record = (entry) => fs.appendFileSync(process.env.RECORD, JSON.stringify({ program, args, ...entry }) + '\n');
const fail = (why) => { record({ ok: false, why }); process.stderr.write(program + ': ' + why + '\n'); process.exit(1); };
const checkSecret = (value) => { if (sha(value) !== process.env.EXPECT_SHA256) fail('the secret received is not the one expected'); };
const stdin = () => fs.readFileSync(0, 'utf8');
const same = (want) => JSON.stringify(args.slice(0, want.length)) === JSON.stringify(want);
switch (program) {
  case 'gh':
    if (!same(['secret', 'set']) || args.length < 3) fail('usage: gh secret set NAME [flags]');
    if (args.some((a) => a === '--body' || a === '-b' || a.startsWith('--body='))) fail('--body puts the value in argv');
    checkSecret(stdin());
    break;
  case 'aws': {
    if (!same(['secretsmanager', 'put-secret-value'])) fail('usage: aws secretsmanager put-secret-value');
    const id = args.indexOf('--secret-id');
    const value = args.indexOf('--secret-string');
    if (id < 0 || !args[id + 1] || value < 0 || !/^file:\/\//.test(args[value + 1] ?? '')) fail('--secret-id and --secret-string file://... are required');
    checkSecret(fs.readFileSync(args[value + 1].slice('file://'.length), 'utf8'));
    break;
  }
  case 'vercel':
    if (!same(['env', 'add']) || args.length < 4) fail('usage: vercel env add NAME ENVIRONMENT');
    checkSecret(stdin());
    break;
  case 'netlify': {
    if (!same(['env:import']) || args.length !== 2) fail('usage: netlify env:import FILE');
    const lines = fs.readFileSync(args[1], 'utf8').split('\n').filter((l) => l.trim() !== '');
    if (lines.length !== 1) fail('expected one KEY=value line');
    const eq = lines[0].indexOf('=');
    record({ key: lines[0].slice(0, eq) });
    checkSecret(lines[0].slice(eq + 1));
    break;
  }
  case 'kubectl':
    if (same(['create', 'secret', 'generic'])) {
      const from = args.find((a) => a.startsWith('--from-file='));
      if (!from || !args.includes('--dry-run=client') || !same(['create', 'secret', 'generic', args[3]]) || args.indexOf('-o') < 0) fail('usage: kubectl create secret generic NAME --from-file=KEY=PATH --dry-run=client -o yaml');
      const [key, file] = from.slice('--from-file='.length).split('=');
      const data = Buffer.from(fs.readFileSync(file)).toString('base64');
      process.stdout.write('apiVersion: v1\nkind: Secret\nmetadata:\n  name: ' + args[3] + '\ndata:\n  ' + key + ': ' + data + '\n');
    } else if (same(['apply', '-f', '-'])) {
      const yaml = stdin();
      const m = /\n  token: (\S+)\n/.exec(yaml);
      if (!m || !/kind: Secret/.test(yaml)) fail('expected a Secret manifest with data.token on stdin');
      record({ name: /name: (\S+)/.exec(yaml)[1] });
      checkSecret(Buffer.from(m[1], 'base64').toString('utf8'));
    } else fail('usage: kubectl create secret generic ... | kubectl apply -f -');
    break;
  default:
    fail('unknown program');
}
record({ ok: true });
`;

interface Seen {
  program: string;
  args: string[];
  ok: boolean;
  why?: string;
  key?: string;
  name?: string;
}

describe('docs/recipes.md command-sink recipes against stand-in programs', () => {
  const tmp = useTempDir();

  function setUp(expectedSecret: string): { env: NodeJS.ProcessEnv; seen: () => Seen[] } {
    const bin = join(tmp(), 'bin');
    mkdirSync(bin);
    for (const name of ['gh', 'aws', 'vercel', 'netlify', 'kubectl']) {
      writeFileSync(join(bin, name), `#!${process.execPath}\n${STAND_IN}`);
      chmodSync(join(bin, name), 0o755);
    }
    const record = join(tmp(), 'record.jsonl');
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      RECORD: record,
      EXPECT_SHA256: createHash('sha256').update(expectedSecret).digest('hex'),
    };
    const seen = (): Seen[] =>
      existsSync(record)
        ? readFileSync(record, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as Seen)
        : [];
    return { env, seen };
  }

  it('finds the five recipes in docs/recipes.md', () => {
    expect([...recipes().keys()].sort()).toEqual(['aws', 'gh', 'kubectl', 'netlify', 'vercel']);
  });

  const expected: Record<string, (seen: Seen[]) => void> = {
    gh: (seen) => expect(seen.map((s) => s.program)).toEqual(['gh']),
    aws: (seen) => expect(seen.map((s) => s.program)).toEqual(['aws']),
    vercel: (seen) => expect(seen.map((s) => s.program)).toEqual(['vercel']),
    netlify: (seen) => expect(seen).toEqual([expect.objectContaining({ key: 'AGILITY_TOKEN' }), expect.objectContaining({ ok: true })]),
    kubectl: (seen) =>
      expect(seen).toEqual([
        expect.objectContaining({ program: 'kubectl', args: expect.arrayContaining(['create']), ok: true }),
        expect.objectContaining({ program: 'kubectl', name: 'agility-token' }),
        expect.objectContaining({ program: 'kubectl', args: ['apply', '-f', '-'], ok: true }),
      ]),
  };

  it.each(['gh', 'aws', 'vercel', 'netlify', 'kubectl'])('%s: the secret arrives on stdin and never in argv', async (name) => {
    const sink = recipes().get(name)!;
    const { env, seen } = setUp(SECRET);
    await deliverSecret(SECRET, [sink.spec], CTX, { cwd: tmp(), env });
    const all = seen();
    expect(all.filter((s) => s.ok === false)).toEqual([]);
    expected[name](all);
    for (const s of all) expect(JSON.stringify(s.args)).not.toContain(SECRET);
    if (sink.spec.kind === 'command') expect(JSON.stringify(sink.spec.argv)).not.toContain(SECRET);
  });

  it.each(['gh', 'aws', 'vercel', 'netlify', 'kubectl'])('%s: the stand-in refuses a secret it was not told about', async (name) => {
    const { env, seen } = setUp('some-other-secret-value');
    const error = await deliverSecret(SECRET, [recipes().get(name)!.spec], CTX, { cwd: tmp(), env }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect(seen().some((s) => s.why === 'the secret received is not the one expected')).toBe(true);
  });
});
