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
 *   deliver it again through {@link ensureToken}, which revokes pending, disabled and duplicate tokens first;
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
      if (isHealthy(state)) continue;
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

function whyUnhealthy(state: ManagedNameState<PersonalAccessTokenResponse>): string {
  if (state.delivered.length > 1) return `has ${state.delivered.length} live tokens`;
  if (state.delivered.length === 1) return 'has leftovers (undelivered or disabled tokens)';
  if (state.pending.length > 0) return 'was never delivered (only a pending token is live)';
  if (state.disabled.length > 0) return 'was disabled outside Terraform';
  return 'not live (revoked or deleted outside Terraform)';
}
