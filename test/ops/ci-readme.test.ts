/**
 * docs/ci.md's "Deploying from CI" walks a new user through backend, credentials and destination, in that order, and
 * every command it shows is in the workflow's deploy step, which test/e2e/ci-runners.test.ts (and the pg suite) run
 * with a real `cdktf deploy`. The README's "CI in your repository" shows the same step as a user's repository runs
 * it: `npx agility-pat`, never this repository's `node dist/...`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, deployStepText } from '../helpers/ci-runners';

const CI_DOC = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function section(title: string, text = CI_DOC, level = '###'): string {
  const start = text.indexOf(`${level} ${title}\n`);
  if (start < 0) throw new Error(`no "${level} ${title}" section`);
  const rest = text.slice(start + title.length + level.length + 2);
  const end = rest.search(/^#{2,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The lines of the fenced blocks of `lang` in `text`, trimmed, blank lines left out. */
function fencedLines(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].flatMap((m) =>
    m[1]
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

describe('docs/ci.md, "Deploying from CI"', () => {
  const text = section('Deploying from CI');

  test('walks through backend, then credentials, then destination', () => {
    const steps = ['**1. Backend', '**2. Credentials', '**3. Destination'].map((s) => text.indexOf(s));
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(text).toContain('**A fresh state adopts delivered tokens.**');
    expect(text).toContain('[agility-pat:ephemeral-sink]');
  });

  test('every shell command and workflow setting it shows is in the deploy step the tests run', () => {
    const step = new Set(
      deployStepText()
        .split('\n')
        .map((l) => l.trim()),
    );
    const shown = [...fencedLines(text, 'sh'), ...fencedLines(text, 'yaml')];
    expect(shown.length).toBeGreaterThanOrEqual(10);
    expect(shown.filter((l) => !step.has(l))).toEqual([]);
  });

  test('its command-sink recipe is the one main.ts uses with AGILITY_PAT_GITHUB_REPO', () => {
    const [recipe] = fencedLines(text, 'ts');
    expect(recipe).toMatch(/^SecretSink\.command\(\['gh', 'secret', 'set', '[A-Z_]+', '--repo', 'owner\/repo'\]\);$/);
    expect(readFileSync(join(ROOT, 'main.ts'), 'utf8')).toContain("SecretSink.command(['gh', 'secret', 'set', secretName, '--repo', repo]");
  });
});

describe('README, "CI in your repository"', () => {
  const text = section('CI in your repository', README, '##');
  const shell = fencedLines(text, 'sh');

  test('runs the installed program with npx, never a path of this repository', () => {
    expect(text).not.toMatch(/dist\/agility-pat/);
    expect(shell.filter((l) => /agility-pat /.test(l)).every((l) => /npx agility-pat /.test(l))).toBe(true);
    expect(shell).toContain('npx agility-pat auth login --refresh-token-file refresh-token.txt');
  });

  test('its deploy step is the workflow step, with npx agility-pat for node dist/agility-pat.js', () => {
    const step = new Set(
      deployStepText()
        .split('\n')
        .map((l) => l.trim().replaceAll('node dist/agility-pat.js', 'npx agility-pat')),
    );
    // The README's step names the runner's file and repository directly where the workflow uses variables.
    const asInWorkflow = (l: string) =>
      l
        .replaceAll('"$RUNNER_TEMP/agility-refresh-token"', '"$refresh_file"')
        .replaceAll('"$GITHUB_REPOSITORY"', '"$AGILITY_PAT_GITHUB_REPO"')
        .replaceAll('agility-tokens --auto-approve', '"$STACK" --auto-approve')
        .replaceAll('cdktf.out/stacks/agility-tokens', '"cdktf.out/stacks/$STACK"');
    const deploy = shell.slice(shell.indexOf('umask 077'));
    expect(deploy.length).toBeGreaterThanOrEqual(7);
    expect(deploy.map(asInWorkflow).filter((l) => !step.has(l))).toEqual([]);
  });

  test('recommends the native githubActions sink, with the gh recipe as the alternative', () => {
    expect(fencedLines(text, 'ts')[0]).toMatch(/^sinks: \[SecretSink\.githubActions\(\{ repository: '[^']+', name: '[A-Z_]+' \}\)\],$/);
    expect(text.indexOf('githubActions')).toBeLessThan(text.indexOf("SecretSink.command(['gh'"));
  });
});
