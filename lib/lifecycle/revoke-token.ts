import { findByManagedName, revokeAll } from './find-tokens';
import type { LifecycleDeps } from './types';

/**
 * The destroy hook (docs/design.md, "Hooks"): find by managed name and delete. A token that is missing,
 * already revoked or expired is success: the goal, no live token under this name, holds.
 */
export async function revokeToken(deps: LifecycleDeps, managedName: string): Promise<{ revoked: number }> {
  const found = await findByManagedName(deps, managedName);
  if (found.length === 0) {
    deps.log(`"${managedName}" is not live (missing, revoked or expired): nothing to revoke`);
    return { revoked: 0 };
  }
  const revoked = await revokeAll(deps, found, 'its slot was destroyed');
  return { revoked };
}
