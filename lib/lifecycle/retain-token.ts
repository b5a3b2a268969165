import { findByManagedName } from './find-tokens';
import type { LifecycleDeps } from './types';

/**
 * The create hook of a slot whose generation is already superseded (G−1): keep the token if it is live, and never
 * create one, because nobody would use a secret that is already one rotation old.
 */
export async function retainToken(deps: LifecycleDeps, managedName: string): Promise<{ live: boolean }> {
  const found = await findByManagedName(deps, managedName);
  const live = found.some((t) => !t.isExpired);
  deps.log(
    live
      ? `kept "${managedName}" live for consumers that have not picked up the newer secret yet`
      : `"${managedName}" (previous generation) is not live; nothing to keep, and none is created`,
  );
  return { live };
}
