/**
 * The README is the page a new user reads first: at most 300 lines, no line over 200 characters outside code blocks,
 * its sections in the order a user needs them, one table of the five sink kinds, and the reference in docs/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const lines = README.split('\n');

/** The README's lines outside fenced code blocks, with their line numbers. */
function prose(): { n: number; line: string }[] {
  let inBlock = false;
  const out: { n: number; line: string }[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('```')) inBlock = !inBlock;
    else if (!inBlock) out.push({ n: i + 1, line });
  });
  return out;
}

describe('README.md', () => {
  test('has at most 300 lines, none over 200 characters outside code blocks', () => {
    expect(lines.length).toBeLessThanOrEqual(300);
    expect(prose().filter(({ line }) => line.length > 200)).toEqual([]);
  });

  test('puts its sections in the order a user needs them', () => {
    const order = [
      '## Try it in two minutes',
      '## Use it for real',
      '## Where the secrets go',
      '## CI in your repository',
      '## Day to day',
      '## CDK Terrain',
      '## Reference',
    ].map((h) => lines.indexOf(h));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('has one table of the five sink kinds, linking docs/sinks.md', () => {
    const section = README.slice(README.indexOf('## Where the secrets go'), README.indexOf('## CI in your repository'));
    const rows = section.split('\n').filter((l) => l.startsWith('| `SecretSink.'));
    expect(rows.map((r) => /SecretSink\.(\w+)/.exec(r)![1])).toEqual(['file', 'envFile', 'command', 'githubActions', 'vault']);
    expect(section).toContain('(docs/sinks.md)');
  });

  test('installs what works today first, and runs the program with npx, never a path of this repository', () => {
    const use = README.slice(README.indexOf('## Use it for real'), README.indexOf('## Where the secrets go'));
    expect(use.indexOf('npm install ./agility-pat-cdktf-')).toBeGreaterThan(0);
    expect(use.indexOf('npm install ./agility-pat-cdktf-')).toBeLessThan(use.indexOf('npm install agility-pat-cdktf '));
    expect(README).not.toMatch(/node dist\/agility-pat\.js/);
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('npm ci && npm test');
  });

  test('keeps no reference section the docs now hold, and links them', () => {
    for (const moved of [
      '## Props reference',
      '## Failure and recovery',
      "### The emulator's admin API",
      '## Troubleshooting by error code',
    ]) {
      expect(README).not.toContain(moved);
    }
    for (const page of [
      'docs/status.md',
      'docs/operations.md',
      'docs/hooks.md',
      'docs/emulator.md',
      'docs/performance.md',
      'docs/api/README.md',
    ]) {
      expect(README).toContain(`(${page}`);
    }
  });
});
