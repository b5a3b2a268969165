/**
 * The verdict table of `status` (lib/ops/status-verdicts.ts): every verdict has a rule, the table is the one order,
 * each rule is tested on its own table of rows, and the docs' table, `status --help` and the JSON schema are what the
 * table says.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_HELP } from '../../lib/cli/commands/status';
import type { ManifestToken } from '../../lib/core/manifest';
import type { ListedTokenInfo } from '../../lib/ops/listed-token';
import type { ReplacementRow } from '../../lib/ops/replacement-row';
import {
  type DeclaredTokenFacts,
  VERDICT_DOC_MARKERS,
  VERDICT_ORDER,
  VERDICT_TABLE,
  type Verdict,
  declaredVerdicts,
  verdictMarkdownRows,
} from '../../lib/ops/status-verdicts';

const ROOT = join(__dirname, '..', '..');
const NOW = Date.parse('2027-03-01T00:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const info = (name: string, over: Partial<ListedTokenInfo> = {}): ListedTokenInfo => ({
  tokenID: `id-${name}`,
  name,
  createdDate: iso(NOW - 10 * DAY),
  expiryDate: iso(NOW + 80 * DAY),
  daysLeft: 80,
  lastUsedDate: iso(NOW - DAY),
  enabled: true,
  expired: false,
  ...over,
});

const manifestToken: ManifestToken = {
  declaredName: 'ci',
  constructPath: 'prod/ci',
  currentGeneration: 5,
  currentManagedName: 'ci [cdktf:prod~abcdef/g5]',
  expiryDate: iso(NOW + 80 * DAY),
  nextRotation: iso(NOW + 20 * DAY),
  live: [],
  sinks: [],
  verify: true,
  retireEarly: null,
  replaces: null,
};

/** A healthy row: one delivered token, used yesterday, no previous generation, nothing replaced. */
function row(over: Partial<DeclaredTokenFacts> = {}, usage: Partial<DeclaredTokenFacts['usage']> = {}): DeclaredTokenFacts {
  const token = over.token === undefined ? info('g5') : over.token;
  return {
    manifest: manifestToken,
    stackTag: 'prod~abcdef',
    nowMs: NOW,
    warnDays: 14,
    deliveredCount: 1,
    pendingCount: 0,
    token,
    expiryDate: iso(NOW + 80 * DAY),
    daysLeft: 80,
    newerGeneration: undefined,
    replacement: null,
    ...over,
    usage: { current: token, previous: null, retireEarlyQuietMs: null, unusedDays: 30, nowMs: NOW, ...usage },
  };
}

const replacement = (state: ReplacementRow['state']): ReplacementRow => ({
  ref: 'hand-made',
  state,
  tokenID: null,
  name: null,
  revokeAt: null,
  note: `replacement ${state}`,
});
const G5 = info('g5', { createdDate: iso(NOW - 10 * DAY), lastUsedDate: iso(NOW - HOUR) });

type DeclaredVerdict = Extract<(typeof VERDICT_TABLE)[number], { of: 'declared' }>['verdict'];

/** Each rule of a declared row on its own rows: [what, row, applies]. Typed so a new rule cannot come without its rows. */
const RULE_ROWS: Record<DeclaredVerdict, [string, DeclaredTokenFacts, boolean][]> = {
  missing: [
    ['no delivered token, none pending', row({ token: null, deliveredCount: 0 }), true],
    ['a pending token is undelivered, not missing', row({ token: null, deliveredCount: 0, pendingCount: 1 }), false],
    ['a delivered token', row(), false],
  ],
  undelivered: [
    ['one token under the pending name', row({ pendingCount: 1 }), true],
    ['none pending', row(), false],
  ],
  duplicate: [
    ['two live tokens under the managed name', row({ deliveredCount: 2 }), true],
    ['one', row({ deliveredCount: 1 }), false],
  ],
  'sink-drift': [
    ['a sink holds something else', row({ sinks: [{ sink: 'file /srv/ci.pat', state: 'drift', why: 'changed since' }] }), true],
    ['every sink holds it, or cannot be checked', row({ sinks: [{ sink: 'command x', state: 'unchecked', why: '-' }] }), false],
    ['sinks not checked', row(), false],
    [
      'no live token: missing says it',
      row({ token: null, deliveredCount: 0, sinks: [{ sink: 'file /srv/ci.pat', state: 'drift', why: 'changed since' }] }),
      false,
    ],
  ],
  'stale-consumer': [
    [
      'previous used 1 day and 1 ms after the current was created',
      row({ token: G5 }, { previous: info('g4', { lastUsedDate: iso(NOW - 9 * DAY + 1) }) }),
      true,
    ],
    ['previous used exactly 1 day after', row({ token: G5 }, { previous: info('g4', { lastUsedDate: iso(NOW - 9 * DAY) }) }), false],
    [
      'the current never used: no consumer moved yet',
      row({ token: info('g5', { lastUsedDate: null }) }, { previous: info('g4', { lastUsedDate: iso(NOW - HOUR) }) }),
      false,
    ],
  ],
  'rotation-due': [
    ['a newer generation is live', row({ newerGeneration: 6 }), true],
    ['the next rotation instant has passed', row({ manifest: { ...manifestToken, nextRotation: iso(NOW) } }), true],
    ['the next rotation is ahead', row(), false],
    ['a token that never rotates', row({ manifest: { ...manifestToken, nextRotation: null } }), false],
  ],
  expiring: [
    ['13 days left of 14', row({ expiryDate: iso(NOW + 13 * DAY), daysLeft: 13 }), true],
    ['exactly 14 days left', row({ expiryDate: iso(NOW + 14 * DAY), daysLeft: 14 }), false],
    ['no live token (then it is missing)', row({ token: null, expiryDate: iso(NOW + DAY), daysLeft: 1 }), false],
  ],
  'never-used': [
    [
      'the current, created 31 days ago, never used',
      row({ token: info('g5', { createdDate: iso(NOW - 31 * DAY), lastUsedDate: null }) }),
      true,
    ],
    [
      'the current, created 30 days ago, never used',
      row({ token: info('g5', { createdDate: iso(NOW - 30 * DAY), lastUsedDate: null }) }),
      false,
    ],
    ['used', row(), false],
  ],
  unused: [
    ['last used 31 days ago', row({ token: info('g5', { createdDate: iso(NOW - 40 * DAY), lastUsedDate: iso(NOW - 31 * DAY) }) }), true],
    ['last used yesterday', row(), false],
  ],
  'being-replaced': [
    ['the hand-made token waits for its overlap', row({ replacement: replacement('waiting') }), true],
    ['the hand-made token is due', row({ replacement: replacement('due') }), true],
    ['the hand-made token is gone', row({ replacement: replacement('gone') }), false],
    ['it replaces nothing', row(), false],
  ],
};

describe('the verdict table', () => {
  it('has one entry per verdict, a rule for each but the fallback, one orphan rule, and the fallback last', () => {
    expect(new Set(VERDICT_ORDER).size).toBe(VERDICT_TABLE.length);
    for (const entry of VERDICT_TABLE) {
      if (entry.of !== 'fallback') expect(typeof entry.rule).toBe('function');
      expect(entry.help.length).toBeGreaterThan(0);
      expect(entry.meaning).not.toBe('');
    }
    expect(VERDICT_TABLE.filter((e) => e.of === 'fallback').map((e) => e.verdict)).toEqual(['ok']);
    expect(VERDICT_TABLE.filter((e) => e.of === 'orphan').map((e) => e.verdict)).toEqual(['orphaned']);
    expect(VERDICT_TABLE.at(-1)!.of).toBe('fallback');
  });

  it('is the one order of urgency', () => {
    expect(VERDICT_ORDER).toEqual<Verdict[]>([
      'missing',
      'undelivered',
      'duplicate',
      'sink-drift',
      'orphaned',
      'stale-consumer',
      'rotation-due',
      'expiring',
      'never-used',
      'unused',
      'being-replaced',
      'ok',
    ]);
  });

  it('has rows for every rule of a declared row, each rule applying to some and not to others', () => {
    const declared = VERDICT_TABLE.filter((e) => e.of === 'declared').map((e) => e.verdict);
    expect(Object.keys(RULE_ROWS).sort()).toEqual([...declared].sort());
    for (const rows of Object.values(RULE_ROWS)) {
      expect(rows.some((r) => r[2])).toBe(true);
      expect(rows.some((r) => !r[2])).toBe(true);
    }
  });

  describe.each(VERDICT_TABLE.filter((e) => e.of === 'declared'))('rule $verdict', (entry) => {
    it.each(RULE_ROWS[entry.verdict])('%s', (_, facts, applies) => {
      const note = entry.rule(facts);
      expect(note !== undefined).toBe(applies);
      if (note !== undefined) expect(note).toMatch(/^\S/);
    });
  });

  it('orders the verdicts and their notes of a row as the table does, ok when no rule applies', () => {
    const all = row({
      pendingCount: 1,
      deliveredCount: 2,
      newerGeneration: 6,
      expiryDate: iso(NOW + DAY),
      daysLeft: 1,
      replacement: replacement('waiting'),
    });
    const { verdicts, notes } = declaredVerdicts(all);
    expect(verdicts).toEqual(['undelivered', 'duplicate', 'rotation-due', 'expiring', 'being-replaced']);
    expect(notes).toHaveLength(verdicts.length);
    expect(notes[2]).toMatch(/^generation 6 is live/);
    expect(notes[4]).toBe('replacement waiting');
    expect(declaredVerdicts(row())).toEqual({ verdicts: ['ok'], notes: [] });
  });

  it('the orphan rule tells a generation no longer kept from a name no longer declared', () => {
    const orphan = VERDICT_TABLE.find((e) => e.of === 'orphan')!;
    expect(orphan.rule({ declaredName: 'ci', generation: 3, declared: true })).toMatch(/^generation 3 of "ci" is no longer kept/);
    expect(orphan.rule({ declaredName: 'gone', generation: 0, declared: false })).toMatch(
      /^"gone" carries this stack's marker but is not declared/,
    );
  });
});

/** The cells of the Markdown table between the verdict markers of `text`, or null when it has none. */
function docTableCells(text: string): string[][] | null {
  const start = text.indexOf(VERDICT_DOC_MARKERS.start);
  if (start < 0) return null;
  const end = text.indexOf(VERDICT_DOC_MARKERS.end, start);
  expect(end).toBeGreaterThan(start);
  return text
    .slice(start + VERDICT_DOC_MARKERS.start.length, end)
    .split('\n')
    .filter((l) => l.trim().startsWith('|'))
    .map((l) =>
      l
        .trim()
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    )
    .filter((cells) => !cells.every((c) => /^:?-+:?$/.test(c)));
}

describe('what the verdict table drives', () => {
  const markdownFiles = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const withBlock = markdownFiles.filter((f) => readFileSync(join(ROOT, f), 'utf8').includes(VERDICT_DOC_MARKERS.start));

  it('docs/status-verdicts.md holds the table', () => {
    expect(withBlock).toContain('docs/status-verdicts.md');
  });

  it.each(withBlock)('the table in %s is the one rendered from the rules (node dist/scripts/verdict-table.js rewrites it)', (file) => {
    const rendered = verdictMarkdownRows();
    expect(rendered.flat().every((c) => !c.includes('|'))).toBe(true);
    expect(docTableCells(readFileSync(join(ROOT, file), 'utf8'))).toEqual(rendered);
  });

  it('status --help lists every verdict, in the table order, with its help', () => {
    const listed = STATUS_HELP.split('\n').flatMap((l) => {
      const m = /^ {2}([a-z-]+) {2,}\S/.exec(l);
      return m && (VERDICT_ORDER as readonly string[]).includes(m[1]!) ? [m[1]!] : [];
    });
    expect(listed).toEqual(VERDICT_ORDER);
    for (const entry of VERDICT_TABLE) for (const line of entry.help) expect(STATUS_HELP).toContain(line);
  });

  it('the JSON schema of the report names the same verdicts', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'lib/schemas/status-report.schema.json'), 'utf8')) as {
      definitions: { verdict: { enum: string[] } };
    };
    expect(schema.definitions.verdict.enum).toEqual(VERDICT_ORDER);
  });
});
