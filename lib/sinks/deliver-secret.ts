import { InvalidInputError, SinkError } from '../core/errors';
import { describeSink, validateSinkSpec, type SinkSpec } from '../core/sink-spec';
import { deliverToCommand } from './command-sink';
import type { Delivered } from './delivered';
import type { DeliverOptions, DeliveryContext } from './delivery-context';
import { DeliveryFailure } from './delivery-failure';
import { deliverToEnvFile } from './env-file-sink';
import { deliverToFile } from './file-sink';

/**
 * Delivers a token's secret to every sink, in order, all-or-nothing.
 *
 * - `file`: exactly the secret, no newline, written atomically with mode 0600; missing parents created 0700.
 * - `env-file`: one `KEY=secret` entry inserted or replaced in a dotenv file, every other byte kept; 0600.
 * - `command`: the program run without a shell, the secret on its stdin, `AGILITY_PAT_*` in its
 *   environment; it must exit 0 within its timeout.
 *
 * Every spec is checked with `validateSinkSpec` before anything is delivered. When sink k fails, the `file`
 * and `env-file` sinks before it are undone, last first, each under its file's lock: a file gets its previous content
 * and mode back (or is removed, with the directories created for it, when it did not exist), an env file gets its
 * key's previous value back (or loses the key), and only while they still hold what this delivery wrote: keys that
 * other tokens wrote meanwhile are never touched. **Command
 * sinks cannot be rolled back**: a program that already took the secret keeps it, so put command sinks last
 * when a later failure would leave them holding a secret that is about to be revoked.
 *
 * Nothing is logged. Symbolic links at a file target or its parent directory are refused.
 *
 * @param secret the token's secret; it appears in no message, argv or environment.
 * @param sinks where to deliver it; none is allowed (nothing happens).
 * @param ctx the token, for command environments and messages.
 * @throws InvalidInputError when a sink spec is invalid (nothing delivered) or the secret is empty.
 * @throws SinkError (`SINK_FAILED`) naming the token and the failed sink: `could not deliver the secret of
 *   "<managedName>" to <sink>: <why>; <what to do>`, with `details.sink` (`describeSink`), `details.index`,
 *   the fs error `code` or the program's `exitCode` / `signal` / `timeoutMs` when known, and
 *   `details.rollbackFailed` listing the sinks that could not be restored, if any.
 */
export async function deliverSecret(
  secret: string,
  sinks: readonly SinkSpec[],
  ctx: DeliveryContext,
  options: DeliverOptions = {},
): Promise<void> {
  if (typeof secret !== 'string' || secret === '') {
    throw new InvalidInputError(`the secret of "${ctx.managedName}" is empty: there is nothing to deliver; this is a bug in the caller.`, {
      token: ctx.managedName,
    });
  }
  if (!Array.isArray(sinks)) {
    throw new InvalidInputError(`sinks must be an array of sink specs, got ${typeof sinks}.`, { what: 'sinks' });
  }
  sinks.forEach((spec, i) => validateSinkSpec(spec, `sinks[${i}]`));
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;

  const done: Array<{ spec: SinkSpec } & Delivered> = [];
  for (const [index, spec] of sinks.entries()) {
    try {
      switch (spec.kind) {
        case 'file':
          done.push({ spec, ...(await deliverToFile(secret, spec, cwd)) });
          break;
        case 'env-file':
          done.push({ spec, ...(await deliverToEnvFile(secret, spec, cwd)) });
          break;
        case 'command':
          await deliverToCommand(secret, spec, ctx, { cwd, env });
          done.push({ spec });
          break;
      }
    } catch (error) {
      throw await failAndRollBack(error, spec, index, done, ctx);
    }
  }
}

async function failAndRollBack(
  error: unknown,
  spec: SinkSpec,
  index: number,
  done: ReadonlyArray<{ spec: SinkSpec } & Delivered>,
  ctx: DeliveryContext,
): Promise<SinkError> {
  const failure =
    error instanceof DeliveryFailure
      ? error
      : // Not expected (every sink throws DeliveryFailure); the message of an unknown error could hold anything, so it is not quoted.
        new DeliveryFailure('an unexpected error occurred', 'report this as a bug', {}, { cause: error });

  const rollbackFailed: string[] = [];
  const rollbackReasons: string[] = [];
  for (const earlier of [...done].reverse()) {
    if (!earlier.undo) continue;
    try {
      await earlier.undo();
    } catch (e) {
      rollbackFailed.push(describeSink(earlier.spec));
      rollbackReasons.push(`${describeSink(earlier.spec)}: ${e instanceof DeliveryFailure ? e.why : 'unexpected error'}`);
    }
  }
  const notUndone = done.filter((d) => d.spec.kind === 'command').map((d) => describeSink(d.spec));

  let message = `could not deliver the secret of "${ctx.managedName}" to ${describeSink(spec)}: ${failure.why}; ${failure.fix}.`;
  if (rollbackFailed.length > 0) {
    message += ` Rolling back the sinks before it also failed (${rollbackReasons.join('; ')}): check them by hand.`;
  } else if (done.some((d) => d.undo)) {
    message += ' The file sinks before it were restored.';
  }
  if (notUndone.length > 0) {
    message += ` Command sinks that already ran cannot be undone: ${notUndone.join(', ')}.`;
  }
  return new SinkError(
    message,
    { ...failure.details, sink: describeSink(spec), index, ...(rollbackFailed.length > 0 ? { rollbackFailed } : {}) },
    { cause: failure.cause ?? failure },
  );
}
