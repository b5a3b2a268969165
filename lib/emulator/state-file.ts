import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors';
import { writeFileAtomic } from '../fs/write-file-atomic';
import { validateEmulatorState, schema as stateSchema } from '../generated/emulator-state';
import { schemaProblem, type SchemaValidator } from '../schemas/schema-problem';
import type { StateSnapshot } from './state';

/**
 * The emulator's optional state file: JSON (lib/schemas/emulator-state.schema.json), read once at start,
 * rewritten after every change. It holds hashes of secrets, never a secret.
 */

/** Reads a state file; undefined when it does not exist. Throws ConfigError when it exists but is unusable. */
export function readStateFile(path: string): StateSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      `cannot read the emulator state file ${path}: ${(e as Error).message}. Check its permissions or pass another --state path.`,
      {
        path,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`the emulator state file ${path} is not valid JSON (${(e as Error).message}). Delete it to start empty.`, {
      path,
    });
  }
  const problem = schemaProblem(validateEmulatorState as SchemaValidator, parsed, { document: stateSchema, root: 'the state', prefix: '' });
  if (problem) {
    const got = problem.value === undefined ? 'nothing' : JSON.stringify(problem.value).slice(0, 80);
    throw new ConfigError(
      `the emulator state file ${path} is not a version 1 emulator state: ${problem.field} ${problem.rule}, got ${got}. Delete it to start empty.`,
      { path, prop: problem.field },
    );
  }
  return parsed as StateSnapshot;
}

/**
 * Writes the state file after each change, atomically (lib/fs/write-file-atomic.ts), one write at a time and in
 * the order of the changes: each write's snapshot is taken when it is asked for, so the file always holds a state
 * the emulator had, and the last one wins.
 */
export class StateFileWriter {
  #last: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  /** Queues a write of `snapshot`; resolves when it is on disk, rejects when that write failed (later ones still run). */
  write(snapshot: StateSnapshot): Promise<void> {
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    const done = this.#last.then(() => writeFileAtomic(this.path, text));
    this.#last = done.catch(() => undefined);
    return done;
  }

  /** Resolves when every queued write has ended. */
  flushed(): Promise<void> {
    return this.#last;
  }
}
