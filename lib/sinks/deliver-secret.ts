import { InvalidInputError, SinkError } from '../core/errors';
import { describeSink, isRestorableSink, type SinkSpec, type ValidSinkSpec } from '../core/sink-spec';
import { deliverToCommand } from './command-sink';
import type { Delivered, DeliveryReceipt } from './delivered';
import type { DeliverOptions, DeliveryContext } from './delivery-context';
import { DeliveryFailure } from './delivery-failure';
import { deliverToEnvFile } from './env-file-sink';
import { deliverToFile } from './file-sink';
import { deliverToGitHubActions } from './github-actions-sink';
import { deliverToVault } from './vault-sink';

/**
 * Delivers a token's secret to every sink, in order, all-or-nothing.
 *
 * - `file`: exactly the secret, no newline, written atomically with mode 0600; missing parents created 0700.
 * - `env-file`: one `KEY=secret` entry inserted or replaced in a dotenv file, every other byte kept; 0600.
 * - `command`: the program run without a shell, the secret on its stdin, an allow-listed environment with
 *   `AGILITY_PAT_*`; it must exit 0 within its timeout.
 *
 * - `vault`: one field of a Vault KV v2 secret, other fields kept, written with check-and-set.
 * - `github-actions`: a GitHub Actions secret, sealed with the scope's public key.
 *
 * Every spec was parsed at the boundary it crossed (a `ValidSinkSpec`: `validateSinkSpec`) and is not checked again. Restorable sinks (file, env-file,
 * vault) are written first, then those that cannot be restored (command, github-actions), each in declared order
 * ({@link deliveryOrder}). When a sink fails, the restorable sinks before it are undone, last first: a file gets its
 * previous content and mode back (or is removed, with the directories created for it), an env file gets its key's
 * previous value back (or loses the key), each under its file's lock and only while it still holds what this
 * delivery wrote (keys other tokens wrote meanwhile are never touched); a Vault secret gets its previous version's
 * data back with check-and-set (or the version written is deleted). A command or GitHub secret that already took the
 * secret keeps it: they only ever run after every restorable sink succeeded. A command's environment is an allow-list
 * (`commandEnvironment`): a fixed base, the `AGILITY_PAT_*` delivery variables and the names its sink lists.
 *
 * Nothing is logged. Symbolic links at a file target or its parent directory are refused.
 *
 * @param secret the token's secret; it appears in no message, argv or environment.
 * @param sinks where to deliver it; none is allowed (nothing happens).
 * @param ctx the token, for command environments and messages.
 * @throws InvalidInputError when the secret is empty or `sinks` is not an array (nothing delivered).
 * @throws SinkError (`SINK_FAILED`) naming the token and the failed sink: `could not deliver the secret of
 *   "<managedName>" to <sink>: <why>; <what to do>`, with `details.sink` (`describeSink`), `details.index`,
 *   the fs error `code` or the program's `exitCode` / `signal` / `timeoutMs` when known, and
 *   `details.rollbackFailed` listing the sinks that could not be restored, if any.
 * @returns a receipt: how to take the delivery back later, and which sinks cannot be (a writer that lost the race
 *   for its managed name uses it, docs/design.md, "Many machines, one writer").
 */
export async function deliverSecret(
  secret: string,
  sinks: readonly ValidSinkSpec[],
  ctx: DeliveryContext,
  options: DeliverOptions = {},
): Promise<DeliveryReceipt> {
  if (typeof secret !== 'string' || secret === '') {
    throw new InvalidInputError(`the secret of "${ctx.managedName}" is empty: there is nothing to deliver; this is a bug in the caller.`, {
      token: ctx.managedName,
    });
  }
  if (!Array.isArray(sinks)) {
    throw new InvalidInputError(`sinks must be an array of sink specs, got ${typeof sinks}.`, { prop: 'sinks' });
  }
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;

  const done: Done[] = [];
  for (const { index, spec } of deliveryOrder(sinks)) {
    try {
      switch (spec.kind) {
        case 'file':
          done.push({ spec, ...(await deliverToFile(secret, spec, cwd, { tokenId: ctx.tokenId, lockScope: options.lockScope })) });
          break;
        case 'env-file':
          done.push({ spec, ...(await deliverToEnvFile(secret, spec, cwd, { tokenId: ctx.tokenId, lockScope: options.lockScope })) });
          break;
        case 'command':
          await deliverToCommand(secret, spec, ctx, { cwd, env });
          done.push({ spec });
          break;
        case 'vault':
          done.push({ spec, ...(await deliverToVault(secret, spec, { env })) });
          break;
        case 'github-actions':
          done.push({ spec, ...(await deliverToGitHubActions(secret, spec, { env })) });
          break;
      }
    } catch (error) {
      throw await failAndRollBack(error, spec, index, done, ctx);
    }
  }
  return {
    undo: async () => (await undoAll(done)).failed.map((f) => f.sink),
    unrestorable: done.filter((d) => !d.undo).map((d) => describeSink(d.spec)),
  };
}

/** Undoes the restorable sinks of `done`, last first; collects the failures instead of stopping at the first. */
async function undoAll(done: readonly Done[]): Promise<{ failed: { sink: string; why: string }[] }> {
  const failed: { sink: string; why: string }[] = [];
  for (const earlier of [...done].reverse()) {
    if (!earlier.undo) continue;
    try {
      await earlier.undo();
    } catch (e) {
      failed.push({ sink: describeSink(earlier.spec), why: e instanceof DeliveryFailure ? e.why : 'unexpected error' });
    }
  }
  return { failed };
}

/** A sink that took the secret, and how to take it back (absent when it cannot be). */
type Done = { spec: SinkSpec } & Delivered;

/**
 * The order sinks are written in: the restorable ones (file, env-file, vault) first, then those whose previous value
 * cannot be put back (command, github-actions), each group in declared order. So a failure of a restorable sink
 * leaves nothing behind that cannot be undone. `index` is the declared position, for messages.
 */
export function deliveryOrder(sinks: readonly SinkSpec[]): Array<{ index: number; spec: SinkSpec }> {
  const indexed = sinks.map((spec, index) => ({ index, spec }));
  return [...indexed.filter((s) => isRestorableSink(s.spec)), ...indexed.filter((s) => !isRestorableSink(s.spec))];
}

async function failAndRollBack(
  error: unknown,
  spec: SinkSpec,
  index: number,
  done: readonly Done[],
  ctx: DeliveryContext,
): Promise<SinkError> {
  const failure =
    error instanceof DeliveryFailure
      ? error
      : // Not expected (every sink throws DeliveryFailure); the message of an unknown error could hold anything, so it is not quoted.
        new DeliveryFailure('an unexpected error occurred', 'report this as a bug', {}, { cause: error });

  const { failed } = await undoAll(done);
  const rollbackFailed = failed.map((f) => f.sink);
  const rollbackReasons = failed.map((f) => `${f.sink}: ${f.why}`);
  const notUndone = done.filter((d) => !d.undo).map((d) => describeSink(d.spec));

  let message = `could not deliver the secret of "${ctx.managedName}" to ${describeSink(spec)}: ${failure.why}; ${failure.fix}.`;
  if (rollbackFailed.length > 0) {
    message += ` Rolling back the sinks before it also failed (${rollbackReasons.join('; ')}): check them by hand.`;
  } else if (done.some((d) => d.undo)) {
    message += ' The sinks before it were restored.';
  }
  if (notUndone.length > 0) {
    message += ` Sinks that already took the secret and cannot be undone: ${notUndone.join(', ')}.`;
  }
  return new SinkError(
    message,
    { ...failure.details, sink: describeSink(spec), index, ...(rollbackFailed.length > 0 ? { rollbackFailed } : {}) },
    { cause: failure.cause ?? failure },
  );
}
