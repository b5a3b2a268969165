import { ConfigError } from '../core/errors';
import type { ManifestToken } from '../core/manifest';
import { findReplacedToken, replacementDue, replacementProblem } from '../core/replacement';
import { revokeAll } from './find-tokens';
import type { LifecycleDeps } from './types';

/**
 * `replaces`: a managed token takes over a token made by hand (docs/design.md, "Usage-aware rotation and adoption").
 * The rules are pure and shared with `status` (`lib/core/replacement.ts`); this is the reconciler's step.
 */

/** What {@link replaceHandMadeTokens} did. */
export interface ReplaceOutcome {
  /** `name (id)` of each hand-made token revoked. */
  readonly revoked: string[];
}

/**
 * The reconciler's step for `replaces`, from a fresh listing (the ensure step before it may just have delivered the
 * managed token): revoke each hand-made token whose replacement is due. A reference that resolves to several tokens,
 * or to a token carrying a stack's marker, revokes nothing and fails the run once every other token was handled.
 *
 * @throws ConfigError naming the construct, the reference and the tokens it matched (ids, never secrets).
 */
export async function replaceHandMadeTokens(deps: LifecycleDeps, tokens: readonly ManifestToken[]): Promise<ReplaceOutcome> {
  const replacing = tokens.filter((t) => t.replaces !== null);
  if (replacing.length === 0) return { revoked: [] };
  deps.checkpoint();
  const { tokens: listed } = await deps.api.listTokens();
  const nowMs = deps.clock();
  const revoked: string[] = [];
  const problems: string[] = [];
  for (const token of replacing) {
    const ref = token.replaces!.ref;
    const match = findReplacedToken(ref, listed, nowMs);
    if (match.kind === 'gone') continue;
    if (match.kind !== 'found') {
      problems.push(replacementProblem(token, match));
      continue;
    }
    const timing = replacementDue(token, listed, nowMs);
    if (!timing.due) {
      deps.log(
        timing.revokeAtMs === null
          ? `"${match.token.name}" (${match.token.tokenID}) is replaced by "${token.declaredName}", which is not delivered yet: kept`
          : `"${match.token.name}" (${match.token.tokenID}) is replaced by "${token.declaredName}": kept until ${new Date(timing.revokeAtMs).toISOString()}`,
      );
      continue;
    }
    deps.checkpoint();
    await revokeAll(
      deps,
      [match.token],
      `made by hand and replaced by "${token.declaredName}", delivered since ${new Date(timing.firstDeliveredMs!).toISOString()}`,
    );
    revoked.push(`${match.token.name} (${match.token.tokenID})`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`${problems.join(' ')} Nothing was revoked for ${problems.length === 1 ? 'it' : 'them'}.`, {
      constructPaths: replacing.map((t) => t.constructPath),
    });
  }
  return { revoked };
}
