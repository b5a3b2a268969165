/**
 * The README's "Deploying from CI" walks a new user through backend, credentials and destination, in that order, and
 * every command it shows is in the workflow's deploy step, which test/e2e/ci-runners.test.ts (and the pg suite) run
 * with a real `cdktf deploy`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, deployStepText } from '../helpers/ci-runners';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function section(title: string): string {
  const start = README.indexOf(`### ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "### ${title}" section`);
  const rest = README.slice(start + title.length + 5);
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

describe('README, "Deploying from CI"', () => {
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
    expect(recipe).toMatch(
      /^SecretSink\.command\(\['gh', 'secret', 'set', '[A-Z_]+', '--repo', 'owner\/repo'\](, \{ env: \['GH_TOKEN'\] \})?\);$/,
    );
    expect(readFileSync(join(ROOT, 'main.ts'), 'utf8')).toContain("SecretSink.command(['gh', 'secret', 'set', secretName, '--repo', repo]");
  });
});
