import { listManagedName, revokeAll } from './find-tokens';
import type { LifecycleDeps } from './types';

/**
 * The create hook of a slot whose generation is already superseded (G−1): keep the token if it is live, and never
 * create one, because nobody would use a secret that is already one rotation old. Tokens of that generation that were
 * never delivered (pending) or were disabled are revoked: no consumer can be using them.
 */
export async function retainToken(deps: LifecycleDeps, managedName: string): Promise<{ live: boolean }> {
  return deps.lock(managedName, async () => {
    deps.checkpoint();
    const state = await listManagedName(deps, managedName);
    await revokeAll(deps, state.pending, 'created under its pending name and never delivered');
    await revokeAll(deps, state.disabled, 'disabled outside Terraform: its secret no longer works');
    const live = state.delivered.length > 0;
    deps.log(
      live
        ? `kept "${managedName}" live for consumers that have not picked up the newer secret yet`
        : `"${managedName}" (previous generation) is not live; nothing to keep, and none is created`,
    );
    return { live };
  });
}
