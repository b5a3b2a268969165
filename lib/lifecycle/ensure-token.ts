import type { PersonalAccessTokenCreationResponse, PersonalAccessTokenResponse } from '../api/models';
import { BadResponseError, hasErrorCode, isAgilityPatError, SupersededError } from '../core/errors';
import { pendingNameOf } from '../core/managed-name';
import { describeSink, isRestorableSink } from '../core/sink-spec';
import { createdExpiryProblem } from '../core/token-state';
import type { DeliveryReceipt } from '../sinks/delivered';
import { listManagedName, revokeAll } from './find-tokens';
import type { LifecycleDeps, TokenTarget } from './types';

/** What `ensureToken` did. */
export type EnsureOutcome =
  | { action: 'created'; tokenId: string; expiryDate: string }
  | { action: 'kept'; tokenId: string; expiryDate: string }
  | { action: 'skipped-expired'; expiryDate: string };

/** How often a rename that failed ambiguously is checked and tried again before the hook gives up. */
const RENAME_ATTEMPTS = 3;

/**
 * The create hook of a slot whose generation is current (docs/design.md, "Hooks" and "Delivery record"), holding the
 * managed name's lock:
 *
 * 1. List. Revoke what cannot be trusted: tokens under the pending name (created, never delivered) and disabled ones.
 * 2. Exactly one live token under the managed name: it was delivered (only a delivered token is renamed to it), so it
 *    is kept. This is what makes a fresh or lost Terraform state adopt tokens instead of rotating them. Several:
 *    which one the sinks hold cannot be known, so all are revoked and a fresh one replaces them.
 * 3. Otherwise create under the pending name, prove it authenticates (`deps.verify`), deliver to every sink, then
 *    rename to the managed name. If verification or delivery fails, the new token is revoked. Creation is never retried blindly: after an ambiguous failure (timeout,
 *    dropped connection, 5xx, unreadable answer) list first and revoke what the failed attempt may have created.
 *
 * Idempotent: a rerun after any failure, taint or SIGKILL converges on exactly one live, delivered token.
 */
export async function ensureToken(
  deps: LifecycleDeps,
  target: TokenTarget,
  options: {
    /** Replace the delivered token even when it is the only one, for this reason (a sink holds something else). */
    readonly replaceDelivered?: { readonly tokenId: string; readonly why: string };
  } = {},
): Promise<EnsureOutcome> {
  if (target.expiryDate !== null && Date.parse(target.expiryDate) <= deps.clock()) {
    deps.log(
      `"${target.managedName}" expired at ${target.expiryDate}: creating nothing. Set a later expiresAt (or use rotation) and deploy again.`,
    );
    return { action: 'skipped-expired', expiryDate: target.expiryDate };
  }
  const pendingName = pendingNameOf(target.managedName);
  return deps.lock(target.managedName, async () => {
    deps.checkpoint();
    const state = await listManagedName(deps, target.managedName);
    await revokeAll(deps, state.pending, 'created under its pending name and never delivered');
    await revokeAll(deps, state.disabled, 'disabled outside Terraform: its secret no longer works');
    // A pending token's writer may have written a sink that cannot be checked back (a GitHub secret, a command) after
    // the delivered token's writer did, then died: its secret, now revoked, may be what that sink holds
    // (docs/design.md, "Many machines, one writer"). Only a fresh delivery to every sink is sure to repair it.
    const unsure = state.pending.length > 0 && target.sinks.some((s) => !isRestorableSink(s));
    const drifted = options.replaceDelivered;
    let why = 'several tokens bear this name and the sinks can hold only one: a fresh one replaces them';
    if (state.delivered.length === 1) {
      const only = state.delivered[0]!;
      if (drifted !== undefined && only.tokenID === drifted.tokenId) why = drifted.why;
      else if (unsure) {
        why =
          'an undelivered token of this name may have overwritten a sink that cannot be restored: a fresh one is delivered to every sink';
      } else {
        deps.log(`"${target.managedName}" (${only.tokenID}) is live and was delivered: kept, nothing created`);
        return { action: 'kept', tokenId: only.tokenID, expiryDate: only.expiryDate };
      }
    }
    await revokeAll(deps, state.delivered, why);
    deps.checkpoint();
    return createAndDeliver(deps, target, pendingName);
  });
}

/**
 * Step 3 of {@link ensureToken}: create (pending), verify, then deliver and record the delivery by renaming. Until the
 * first sink is written a stop may cut it anywhere (the in-flight request is aborted): a token that lands anyway is
 * under the pending name, which marks it undelivered, so the next run revokes it. Delivering and recording run as one
 * critical section, to their end (each sink and each request has its own timeout, so it is bounded).
 */
async function createAndDeliver(deps: LifecycleDeps, target: TokenTarget, pendingName: string): Promise<EnsureOutcome> {
  const created = await createOnce(deps, target, pendingName).catch(async (e: unknown) => {
    if (!isAmbiguous(e)) throw e;
    deps.log(`creating "${pendingName}" failed ambiguously (${describe(e)}); checking the token list before trying once more`);
    const state = await listManagedName(deps, target.managedName);
    await revokeAll(deps, state.pending, 'created by the failed attempt, its secret never arrived');
    return createOnce(deps, target, pendingName);
  });

  try {
    // Proven before any sink sees it: a token that does not authenticate as its creator is revoked, never delivered.
    await deps.verify?.(created.secret, { managedName: target.managedName, tokenId: created.token.tokenID });
  } catch (e) {
    if (hasErrorCode(e, 'INTERRUPTED')) throw e; // stopped: the pending name marks it undelivered
    deps.log(`verifying or delivering "${target.managedName}" failed; revoking the new token so no undelivered token stays live`);
    await revokeAll(deps, [created.token], 'it was not verified and delivered');
    throw e;
  }
  return deps.critical(() => deliverAndRecord(deps, target, created));
}

/** Delivers a verified new token to every sink and renames it to its managed name (the critical section of step 3). */
async function deliverAndRecord(
  deps: LifecycleDeps,
  target: TokenTarget,
  created: { token: PersonalAccessTokenCreationResponse; secret: string },
): Promise<EnsureOutcome> {
  let receipt: DeliveryReceipt | void;
  try {
    receipt = await deps.deliver(created.secret, target.sinks, {
      declaredName: target.declaredName,
      managedName: target.managedName,
      expiryDate: created.token.expiryDate,
      generation: target.generation,
      tokenId: created.token.tokenID,
    });
  } catch (e) {
    deps.log(`verifying or delivering "${target.managedName}" failed; revoking the new token so no undelivered token stays live`);
    await revokeAll(deps, [created.token], 'it was not verified and delivered');
    throw e;
  }
  try {
    await recordDelivery(deps, created.token, target.managedName);
  } catch (e) {
    // Revoked before its delivery was recorded: another writer took the name (docs/design.md, "Many machines, one writer").
    if (hasErrorCode(e, 'NOT_FOUND')) throw await concede(deps, target, created.token, receipt, e);
    throw e;
  }
  const where = target.sinks.length === 0 ? 'no sink' : `${target.sinks.length} sink(s)`;
  deps.log(`created "${target.managedName}" (${created.token.tokenID}), expires ${created.token.expiryDate}, delivered to ${where}`);
  return { action: 'created', tokenId: created.token.tokenID, expiryDate: created.token.expiryDate };
}

async function createOnce(
  deps: LifecycleDeps,
  target: TokenTarget,
  pendingName: string,
): Promise<{ token: PersonalAccessTokenCreationResponse; secret: string }> {
  const token = await deps.api.createToken({ name: pendingName, expiryDate: target.expiryDate });
  if (typeof token.token !== 'string' || token.token.length === 0) {
    // Agility returns the secret once, at creation; a create without it leaves a token nobody can use.
    await revokeAll(deps, [token], 'the API returned no secret for it');
    throw new BadResponseError(`the Agility API created "${pendingName}" but returned no secret; it was revoked. Deploy again.`, {
      method: 'POST',
      path: '/api/v1/tokens/create',
    });
  }
  const expiryProblem = createdExpiryProblem(token.expiryDate, target.expiryDate, deps.clock());
  if (expiryProblem !== undefined) {
    // Delivering it would hand out a token that does not live as declared (or is dead already).
    await revokeAll(deps, [token], `Agility returned ${expiryProblem}`);
    throw new BadResponseError(
      `the Agility API created "${pendingName}" (${token.tokenID}) with ${expiryProblem}; it was revoked and nothing was delivered. ` +
        'Check the clock of the machine running the deploy and the expiry declared, then deploy again.',
      // `revoked`: the create's outcome is known (not ambiguous), so it is not tried again: another would do the same.
      {
        method: 'POST',
        path: '/api/v1/tokens/create',
        tokenId: token.tokenID,
        expiryDate: token.expiryDate,
        asked: target.expiryDate,
        revoked: true,
      },
    );
  }
  return { token, secret: token.token };
}

/**
 * Renames the delivered token from its pending name to its managed name: the record that its secret reached every
 * sink. A rename is idempotent, so an ambiguous failure is checked against the list and tried again (a few times).
 * When it cannot be done, the hook fails: the token stays live under its pending name, its secret in the sinks, and
 * the next deploy (or `status`) sees an undelivered token and replaces it. A 404 means another writer revoked it: the
 * caller concedes ({@link concede}).
 */
async function recordDelivery(deps: LifecycleDeps, token: PersonalAccessTokenResponse, managedName: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.api.updateToken(token.tokenID, { name: managedName });
      return;
    } catch (e) {
      if (hasErrorCode(e, 'NOT_FOUND')) throw e; // revoked meanwhile: the caller concedes
      if (!isAmbiguous(e) || attempt >= RENAME_ATTEMPTS) {
        deps.log(
          `"${managedName}" (${token.tokenID}) was delivered, but recording it (renaming the token) failed (${describe(e)}): it stays ` +
            'under its pending name (agility-pat status says undelivered), and the next run of its create hook (a deploy after this ' +
            "failure) or of the stack's reconciler replaces it",
        );
        throw e;
      }
      const now = (await deps.api.listTokens()).tokens.find((t) => t.tokenID === token.tokenID);
      if (now?.name === managedName) return;
      deps.log(`recording the delivery of "${managedName}" failed ambiguously (${describe(e)}); trying again`);
    }
  }
}

/**
 * The writer lost (docs/design.md, "Many machines, one writer"): its token was revoked before its delivery was recorded,
 * by another writer (a deploy or `tokens rotate`, maybe on another machine) that took over the managed name. It:
 * 1. takes back its restorable sinks (file, env-file, vault), each only while it still holds this writer's secret;
 * 2. when it wrote a sink that cannot be taken back (a GitHub secret, a command), that sink may now hold its dead secret
 *    whatever the other writer delivered: so it revokes the other writers' tokens still under the pending name (never
 *    delivered; their writers fail in turn at their rename) and renames a delivered one back to the pending name (its
 *    delivery is no longer whole). `status` then says `undelivered` or `missing` (exit 20), and the next create hook
 *    or reconciler run replaces it with a fresh token delivered to every sink;
 * 3. returns a `SUPERSEDED` error saying exactly that.
 */
async function concede(
  deps: LifecycleDeps,
  target: TokenTarget,
  mine: PersonalAccessTokenResponse,
  receipt: DeliveryReceipt | void,
  cause: unknown,
): Promise<SupersededError> {
  const failedUndo = receipt ? await receipt.undo() : [];
  const restorable = target.sinks.filter(isRestorableSink).map(describeSink);
  const restored = receipt ? restorable.filter((s) => !failedUndo.includes(s)) : [];
  const unrestorable = receipt ? [...receipt.unrestorable] : target.sinks.filter((s) => !isRestorableSink(s)).map(describeSink);
  const state = await listManagedName(deps, target.managedName);
  const others = { pending: state.pending.filter((t) => t.tokenID !== mine.tokenID), delivered: state.delivered };
  let marked: string[] = [];
  if (unrestorable.length > 0) {
    await revokeAll(deps, others.pending, 'undelivered, and a sink that cannot be restored may hold a revoked secret');
    marked = await markUndelivered(deps, others.delivered, target.managedName);
  }
  const name = `"${target.managedName}" (${mine.tokenID})`;
  let message =
    `${name} was revoked by another writer (a deploy or agility-pat tokens rotate, maybe on another machine) before its delivery ` +
    'was recorded: this writer lost.';
  if (restored.length > 0) message += ` Its restorable sinks were taken back wherever they still held its secret: ${restored.join(', ')}.`;
  if (failedUndo.length > 0) message += ` Could not put back: ${failedUndo.join(', ')}: check them by hand.`;
  if (unrestorable.length > 0) {
    message +=
      ` ${unrestorable.join(', ')} may now hold its revoked secret and cannot be put back` +
      (marked.length > 0 ? `, so the token the other writer delivered (${marked.join(', ')}) is marked undelivered` : '') +
      ": agility-pat status exits 20 until the next run of its create hook (a deploy after this failure) or of the stack's " +
      'reconciler (a changed stack or the drift check) delivers a fresh token to every sink; agility-pat tokens rotate does it now.';
  } else if (state.delivered.length === 1) {
    message += ` The token the other writer delivered (${state.delivered[0]!.tokenID}) is kept; nothing else to do.`;
  } else {
    message +=
      ' No token of that name is live now: agility-pat status says so (exit 20) until the next run of its create hook or of ' +
      "the stack's reconciler creates one; agility-pat tokens rotate does it now.";
  }
  deps.log(message);
  return new SupersededError(
    message,
    {
      managedName: target.managedName,
      tokenId: mine.tokenID,
      restored,
      unrestorable,
      marked,
      ...(failedUndo.length > 0 ? { undoFailed: failedUndo } : {}),
    },
    { cause },
  );
}

/** Renames delivered tokens back to the pending name: their delivery is no longer whole. Returns the ids renamed. */
async function markUndelivered(
  deps: LifecycleDeps,
  tokens: readonly PersonalAccessTokenResponse[],
  managedName: string,
): Promise<string[]> {
  const marked: string[] = [];
  for (const t of tokens) {
    try {
      await deps.api.updateToken(t.tokenID, { name: pendingNameOf(managedName) });
      marked.push(t.tokenID);
      deps.log(`"${managedName}" (${t.tokenID}) marked undelivered: a sink that cannot be restored may hold a revoked secret`);
    } catch (e) {
      if (!hasErrorCode(e, 'NOT_FOUND')) throw e;
    }
  }
  return marked;
}

/** True when a create (or rename) may have happened server-side although we got no usable answer. */
export function isAmbiguous(e: unknown): boolean {
  if (!isAgilityPatError(e) || e.details.revoked === true) return false;
  if (e.code === 'NETWORK' || e.code === 'TIMEOUT' || e.code === 'BAD_RESPONSE') return true;
  const status = e.details.status;
  return hasErrorCode(e, 'API_ERROR') && typeof status === 'number' && (status >= 500 || status === 408);
}

function describe(e: unknown): string {
  return isAgilityPatError(e) ? e.code : 'unexpected error';
}
