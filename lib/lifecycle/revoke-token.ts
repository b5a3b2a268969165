import { listManagedName, revokeAll } from './find-tokens';
import type { LifecycleDeps } from './types';

/**
 * The destroy hook (docs/design.md, "Hooks"): under the name's lock, revoke every token under the managed name or its
 * pending name. One that is missing, already revoked or expired is success: the goal, no live token under this name,
 * holds. Expired tokens are left alone: they authenticate nothing and count toward no limit. `why` is logged with each
 * revocation.
 */
export async function revokeToken(deps: LifecycleDeps, managedName: string, why = 'its slot was destroyed'): Promise<{ revoked: number }> {
  return deps.lock(managedName, async () => {
    deps.checkpoint();
    const state = await listManagedName(deps, managedName);
    const found = [...state.delivered, ...state.disabled, ...state.pending];
    if (found.length === 0) {
      deps.log(`"${managedName}" is not live (missing, revoked or expired): nothing to revoke`);
      return { revoked: 0 };
    }
    return { revoked: await revokeAll(deps, found, why) };
  });
}
