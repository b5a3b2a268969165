/**
 * The env-file writer against the `dotenv` package's own parser as the oracle, on generated dotenv files (quoted
 * values spanning lines, some holding `KEY=` lines, `export` prefixes, comments, CRLF, unclosed quotes): the key gets
 * the secret as dotenv reads it, every other entry reads as before, every other byte is kept; and concurrent writers
 * of one file, some of which undo their write, lose no key and leave the file 0600.
 */
import * as dotenv from 'dotenv';
import fc from 'fast-check';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SinkSpec } from '../../lib/core/sink-spec';
import { deliverSecret } from '../helpers/deliver';
import {
  envValues,
  formatEnvValue,
  formatEnvValues,
  readEnvValueText,
  removeEnvLine,
  restoreEnvValue,
  setEnvValue,
  upsertEnvLine,
} from '../../lib/sinks/env-file-format';
import { CTX, perms, useTempDir } from './fixtures';

const KEYS = ['TARGET', 'A', 'B_2', 'export_x', 'LONG_NAME'];
const key = fc.constantFrom(...KEYS);
const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '#', '=', '$', '\\', '"', "'", '`', '-', 'é', '\t'), maxLength: 12 });
const bare = fc.stringMatching(/^[A-Za-z0-9._-]{0,10}$/);

/** One logical piece of a dotenv file, without its final line ending. */
const piece = fc.oneof(
  fc.constant(''),
  text.map((t) => `# ${t}`),
  fc.tuple(key, bare).map(([k, v]) => `${k}=${v}`),
  fc.tuple(key, bare, text).map(([k, v, c]) => `export ${k} = ${v} # ${c.replace(/['"`]/g, '')}`),
  fc.tuple(key, text).map(([k, v]) => `  ${k}: '${v.replace(/'/g, '')}'`),
  // A quoted value spanning lines, whose inner lines look like entries (a PEM key, a bundle).
  fc
    .tuple(
      key,
      fc.constantFrom('"', "'", '`'),
      fc.array(
        fc.oneof(
          text,
          fc.tuple(key, bare).map(([k, v]) => `${k}=${v}`),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([k, q, lines]) => `${k}=${q}${lines.map((l) => l.split(q).join('')).join('\n')}${q}`),
  // An unclosed quote: dotenv reads it as a bare one-line value.
  fc.tuple(key, text).map(([k, v]) => `${k}="${v.replace(/"/g, '')}`),
);

/** A whole file: pieces joined with \n or \r\n (a CRLF file turns every inner line break of a piece into \r\n). */
const envFile = fc.tuple(fc.array(piece, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([pieces, eol, finalEol]) => {
  const body = pieces.map((p) => p.split('\n').join(eol)).join(eol);
  return body === '' ? '' : body + (finalEol ? eol : '');
});

/** Secrets, JWT-like or odd (spaces, quotes, `#`, line breaks), that the writer can express so dotenv reads them back. */
const secret = fc
  .oneof(
    fc.stringMatching(/^[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{4,12}$/),
    fc.string({ unit: fc.constantFrom('a', 'B', '1', ' ', '#', '"', "'", '`', '\\', '\n', '=', 'é'), minLength: 1, maxLength: 12 }),
  )
  .filter((s) => s.trim() === s && s !== '' && formatEnvValue(s) !== undefined);

const parse = (t: string): Record<string, string> => dotenv.parse(Buffer.from(t, 'utf8'));

describe('the env-file writer against dotenv as the oracle', () => {
  it('reads every generated file exactly as dotenv does', () => {
    fc.assert(
      fc.property(envFile, (t) => {
        expect(envValues(t)).toEqual(parse(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('sets the key as dotenv reads it, leaves every other entry and every other byte as it was', () => {
    let refused = 0;
    fc.assert(
      fc.property(envFile, secret, (before, value) => {
        const expected = { ...parse(before), TARGET: value };
        const set = setEnvValue(before, 'TARGET', value);
        if (set === undefined) {
          // Refused only when dotenv would misread every form of the value in this file.
          refused++;
          for (const form of formatEnvValues(value)) expect(parse(upsertEnvLine(before, 'TARGET', form))).not.toEqual(expected);
          return;
        }
        expect(parse(set.text)).toEqual(expected);
        // Every byte outside the key's entries is kept (appending may add the line break the text lacked).
        const eol = /^[^\n]*\r\n/.test(before) ? '\r\n' : '\n';
        const appended = readEnvValueText(before, 'TARGET') === undefined;
        const lead = appended && before !== '' && !/[\r\n]$/.test(before) ? eol : '';
        expect(removeEnvLine(set.text, 'TARGET')).toBe(removeEnvLine(before, 'TARGET') + lead);
      }),
      { numRuns: 2000 },
    );
    expect(refused).toBeLessThan(200);
  });

  it('an undo gives back what dotenv read before, even when other keys changed in between', () => {
    let refused = 0;
    fc.assert(
      fc.property(envFile, secret, fc.option(secret), (before, value, other) => {
        const set = setEnvValue(before, 'TARGET', value);
        fc.pre(set !== undefined);
        // Another token sets its own key meanwhile.
        const meanwhile = other === null ? set!.text : setEnvValue(set!.text, 'OTHER', other)?.text;
        fc.pre(meanwhile !== undefined);
        const text = readEnvValueText(before, 'TARGET');
        const previous = text === undefined ? undefined : { text, value: parse(before).TARGET! };
        const undone = restoreEnvValue(meanwhile!, 'TARGET', previous);
        const expected = { ...parse(before), ...(other === null ? {} : { OTHER: other }) };
        if (undone === undefined) {
          // Refused only when dotenv would misread every way of putting the previous reading back.
          refused++;
          const tries =
            previous === undefined
              ? [removeEnvLine(meanwhile!, 'TARGET')]
              : [previous.text, ...formatEnvValues(previous.value)].map((form) => upsertEnvLine(meanwhile!, 'TARGET', form));
          for (const t of tries) expect(parse(t)).not.toEqual(expected);
          return;
        }
        expect(parse(undone)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
    expect(refused).toBeLessThan(100);
  });
});

describe('concurrent writers of one env file, some undoing their write', () => {
  const tmp = useTempDir();

  it('lose no key, change no other entry, and leave the file 0600', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(envFile.filter((t) => !/\b(?:W\d)\b/.test(t))),
        fc.array(fc.tuple(secret, fc.boolean()), { minLength: 2, maxLength: 4 }),
        async (existing, writers) => {
          const dir = await mkdtemp(join(tmp(), 'run-'));
          const path = join(dir, '.env');
          if (existing !== null) await writeFile(path, existing, { mode: 0o600 });
          // A sink that always fails after the env file was written: its parent is a file.
          await writeFile(join(dir, 'blocker'), 'x');
          const failing: SinkSpec = { kind: 'file', path: join(dir, 'blocker', 'token') };
          const outcomes = await Promise.allSettled(
            writers.map(([value, fails], i) =>
              deliverSecret(value, [{ kind: 'env-file', path, key: `W${i}` }, ...(fails ? [failing] : [])], {
                ...CTX,
                managedName: `w${i} [cdktf:prod~3fa9c1/g1]`,
              }),
            ),
          );
          const expected: Record<string, string> = { ...parse(existing ?? '') };
          writers.forEach(([value, fails], i) => {
            const outcome = outcomes[i]!;
            if (fails) expect(outcome.status).toBe('rejected');
            // A writer may be refused, naming why, when a quote in the file is never closed; then it wrote nothing.
            else if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/so that dotenv reads it back/);
            else expected[`W${i}`] = value;
          });
          let content = '';
          try {
            content = await readFile(path, 'utf8');
          } catch {
            // Every writer undid its write of a file none of them found: it is gone again.
            expect(existing).toBeNull();
            expect(writers.every(([, fails]) => fails)).toBe(true);
            return;
          }
          expect(parse(content)).toEqual(expected);
          expect(perms((await stat(path)).mode)).toBe(0o600);
        },
      ),
      { numRuns: 40 },
    );
  });
});
