import { parseManagedName } from '../core/managed-name';
import { liveManagedNames, type StackManifest } from '../core/manifest';
import { ensureToken } from './ensure-token';
import { revokeAll } from './find-tokens';
import type { LifecycleDeps } from './types';

/** What `reconcileStack` did. */
export interface ReconcileOutcome {
  /** Managed names revoked because the stack no longer declares them. */
  revokedOrphans: string[];
  /** Managed names created and delivered again because they had gone missing outside Terraform. */
  recreated: string[];
}

/**
 * The stack's reconciler (docs/design.md, "Hooks"), run after every slot of the stack: revoke tokens that
 * carry this stack's marker but that the manifest no longer declares (a construct deleted from the code has no
 * destroy hook), and recreate declared current tokens that were revoked or deleted outside Terraform, delivering them
 * again. Tokens without this stack's marker are never touched.
 */
export async function reconcileStack(deps: LifecycleDeps, manifest: StackManifest): Promise<ReconcileOutcome> {
  const { tokens } = await deps.api.listTokens();
  const live = liveManagedNames(manifest);
  const orphans = tokens.filter((t) => t.name !== null && !live.has(t.name) && parseManagedName(t.name)?.stackTag === manifest.stackTag);
  await revokeAll(deps, orphans, 'this stack no longer declares it');

  const present = new Set(tokens.filter((t) => !t.isExpired && t.name !== null).map((t) => t.name as string));
  const recreated: string[] = [];
  for (const token of manifest.tokens) {
    const current = token.live.find((l) => l.role === 'ensure');
    if (!current || present.has(current.managedName)) continue;
    if (current.expiryDate !== null && Date.parse(current.expiryDate) <= deps.clock()) continue;
    deps.log(`"${current.managedName}" is declared but not live (revoked or deleted outside Terraform): creating it again`);
    const outcome = await ensureToken(deps, {
      declaredName: token.declaredName,
      managedName: current.managedName,
      generation: current.generation,
      expiryDate: current.expiryDate,
      sinks: token.sinks,
    });
    if (outcome.action === 'created') recreated.push(current.managedName);
  }
  deps.log(
    `reconciled stack ${manifest.stackTag}: ${orphans.length} orphan(s) revoked, ${recreated.length} token(s) recreated, ${manifest.tokens.length} declared`,
  );
  return { revokedOrphans: orphans.map((t) => t.name as string), recreated };
}
