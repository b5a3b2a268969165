import type { ManifestToken } from '../core/manifest';
import type { StackManifest } from '../core/manifest';
import { classifyStackTokens, isHealthy, managedNameState, type ManagedNameState } from '../core/token-state';
import type { PersonalAccessTokenResponse } from '../api/models';
import { targetOf, tokenDeps } from './declared-token';
import { ensureToken } from './ensure-token';
import { revokeAll } from './find-tokens';
import { replaceHandMadeTokens } from './replace-hand-made';
import { retainToken } from './retain-token';
import { retireEarlyStep } from './retire-early';
import type { LifecycleDeps } from './types';

/** What `reconcileStack` did. */
export interface ReconcileOutcome {
  /** Names of the tokens revoked because the stack no longer declares them. */
  revokedOrphans: string[];
  /** Managed names created and delivered again (they were missing, disabled, undelivered or duplicated). */
  recreated: string[];
  /** Managed names whose leftovers (pending or disabled tokens of a kept generation) were revoked. */
  cleaned: string[];
  /** Hand-made tokens (`name (id)`) revoked because a declared token replaces them and its overlap has passed. */
  replacedHandMade: string[];
  /** Previous generations revoked before their period ended (`rotation.retireEarly`). */
  retiredEarly: string[];
}

/**
 * The stack's reconciler (docs/design.md, "Hooks"), run after every slot of the stack. From one listing:
 * - revoke tokens that carry this stack's marker but that the manifest no longer keeps (a construct deleted from the
 *   code has no destroy hook); a generation newer than the manifest's is never one of them;
 * - for each current token that is not healthy (exactly one live, delivered token and nothing else): create and
 *   deliver it again through {@link ensureToken}, which revokes pending, disabled and duplicate tokens first; and
 *   for a healthy one whose sink holds something else (`deps.probeSinks`, the drift check of the destinations):
 *   replace it with a fresh token delivered to every sink;
 * - for each previous generation the stack keeps: revoke its pending or disabled tokens, never create one;
 * - then, for each token with `rotation.retireEarly`: revoke its previous generation when the rule says it is due
 *   ({@link retireEarlyStep}, checked again under that name's lock on a fresh listing).
 * - revoke the hand-made tokens that declared tokens replace, once due ({@link replaceHandMadeTokens}).
 * Tokens without this stack's marker are never touched, except a hand-made token a declared token `replaces`.
 */
export async function reconcileStack(deps: LifecycleDeps, manifest: StackManifest): Promise<ReconcileOutcome> {
  deps.checkpoint();
  const { tokens } = await deps.api.listTokens();
  const nowMs = deps.clock();
  const { orphans } = classifyStackTokens(manifest, tokens, nowMs);
  await revokeAll(deps, orphans, 'this stack no longer declares it');

  const recreated: string[] = [];
  const cleaned: string[] = [];
  for (const token of manifest.tokens) {
    for (const live of token.live) {
      deps.checkpoint();
      const state = managedNameState(tokens, live.managedName, nowMs);
      if (isHealthy(state)) {
        if (live.role !== 'ensure') continue;
        const drift = await sinkDrift(deps, token, state.delivered[0]!);
        if (drift === null) continue;
        deps.log(`"${live.managedName}" is live, but ${drift}: creating and delivering a fresh one to every sink`);
        const replaced = await ensureToken(tokenDeps(deps, token), targetOf(token, live), {
          replaceDelivered: { tokenId: state.delivered[0]!.tokenID, why: `a sink holds something else (${drift})` },
        });
        if (replaced.action === 'created') recreated.push(live.managedName);
        continue;
      }
      if (live.role === 'retain') {
        if (state.pending.length + state.disabled.length === 0) continue;
        await retainToken(deps, live.managedName);
        cleaned.push(live.managedName);
        continue;
      }
      if (live.expiryDate !== null && Date.parse(live.expiryDate) <= nowMs) continue;
      deps.log(`"${live.managedName}" is declared but ${whyUnhealthy(state)}: creating and delivering it again`);
      const outcome = await ensureToken(tokenDeps(deps, token), targetOf(token, live));
      if (outcome.action === 'created') recreated.push(live.managedName);
      else cleaned.push(live.managedName);
    }
  }
  const retiredEarly = await retireEarlyStep(deps, manifest.tokens, tokens, nowMs);
  const { revoked: replacedHandMade } = await replaceHandMadeTokens(deps, manifest.tokens);
  deps.log(
    `reconciled stack ${manifest.stackTag}: ${orphans.length} orphan(s) revoked, ${recreated.length} token(s) recreated, ` +
      `${cleaned.length} cleaned up, ${retiredEarly.length} retired early, ${replacedHandMade.length} replaced token(s) revoked, ` +
      `${manifest.tokens.length} declared`,
  );
  return { revokedOrphans: orphans.map((t) => t.name as string), recreated, cleaned, retiredEarly, replacedHandMade };
}

/**
 * What a healthy token's sinks hold, read through `deps.probeSinks` (docs/design.md, "Many machines, one writer"):
 * null when every sink holds its delivery (or cannot be checked), else why not. Never uses the secret.
 */
async function sinkDrift(deps: LifecycleDeps, token: ManifestToken, delivered: PersonalAccessTokenResponse): Promise<string | null> {
  if (!deps.probeSinks || token.sinks.length === 0) return null;
  const drifted = (await deps.probeSinks(token.sinks, delivered)).filter((p) => p.state === 'drift');
  return drifted.length === 0 ? null : drifted.map((p) => `${p.sink}: ${p.why}`).join('; ');
}

function whyUnhealthy(state: ManagedNameState<PersonalAccessTokenResponse>): string {
  if (state.delivered.length > 1) return `has ${state.delivered.length} live tokens`;
  if (state.delivered.length === 1) return 'has leftovers (undelivered or disabled tokens)';
  if (state.pending.length > 0) return 'was never delivered (only a pending token is live)';
  if (state.disabled.length > 0) return 'was disabled outside Terraform';
  return 'not live (revoked or deleted outside Terraform)';
}
