import type { ManifestLiveToken, ManifestToken } from '../core/manifest';
import type { LifecycleDeps, TokenTarget } from './types';

/*
 * What every command that acts on one declared token of a stack manifest shares (reconcile, rotate now): its deps and
 * the create target of one of its live slots (docs/design.md, "Glossary").
 */

/** The stack's deps as one token needs them: without the proof of a new token when the token says `verify: false`. */
export function tokenDeps(deps: LifecycleDeps, token: ManifestToken): LifecycleDeps {
  return token.verify ? deps : { ...deps, verify: undefined };
}

/** The create target of one live slot of a declared token, from the manifest. */
export function targetOf(token: ManifestToken, live: ManifestLiveToken): TokenTarget {
  return {
    declaredName: token.declaredName,
    managedName: live.managedName,
    generation: live.generation,
    expiryDate: live.expiryDate,
    sinks: token.sinks,
  };
}
