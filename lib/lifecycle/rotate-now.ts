import { ConfigError, InvalidInputError } from '../core/errors';
import { deliveredNameOf, parseManagedName } from '../core/managed-name';
import type { ManifestToken, StackManifest } from '../core/manifest';
import { classifyStackTokens } from '../core/token-state';
import { targetOf, tokenDeps } from './declared-token';
import { ensureToken, type EnsureOutcome } from './ensure-token';
import { revokeToken } from './revoke-token';
import type { LifecycleDeps } from './types';

/** What {@link rotateNow} did. */
export interface RotateNowOutcome {
  readonly declaredName: string;
  /** Each managed name of the declared token, current first, with how many of its tokens were revoked (0: none was live). */
  readonly revoked: readonly { readonly managedName: string; readonly revoked: number }[];
  /** The current generation's fresh token (`kept` only when another deploy created one meanwhile). */
  readonly current: EnsureOutcome & { readonly managedName: string };
}

/** Why each token is revoked, as the log says it. */
const WHY = 'rotate now: its secret is to be replaced at once';

/**
 * Rotate now (docs/design.md, "Usage-aware rotation and adoption"), for a leaked secret: revoke every live token of
 * the declared token in this stack, then create, verify, deliver and rename a fresh token for the manifest's current
 * generation through {@link ensureToken}. No overlap: the leaked secret and the previous generation stop working at
 * once, and consumers must read their sinks again.
 *
 * Revoked: the tokens (delivered, pending, disabled) of every generation the manifest keeps for that name and of any
 * older generation still listed (an orphan the next deploy would revoke anyway), each name under its lock. Terraform
 * state holds no token id, so the next deploy plans no change.
 *
 * Nothing is revoked when the name is not declared, when the current generation's fixed expiry has passed (nothing
 * could be created), or when a newer generation than the manifest's is listed (the manifest is behind: synth again).
 * A failure after the revocations leaves the current name missing (`status` says so); running it again repairs it.
 */
export async function rotateNow(deps: LifecycleDeps, manifest: StackManifest, declaredName: string): Promise<RotateNowOutcome> {
  const token = declaredToken(manifest, declaredName);
  const current = token.live.find((l) => l.role === 'ensure');
  if (current === undefined) {
    throw new ConfigError(
      `the stack manifest keeps no current token for ${JSON.stringify(declaredName)}: nothing was revoked. Run cdktf synth again.`,
      { declaredName },
    );
  }
  if (current.expiryDate !== null && Date.parse(current.expiryDate) <= deps.clock()) {
    throw new ConfigError(
      `"${current.managedName}" expired at ${current.expiryDate} (its fixed expiresAt): its secret authenticates nothing any more, ` +
        'and a token past its expiry cannot be created. Nothing was revoked. Set a later expiresAt and deploy.',
      { declaredName, expiryDate: current.expiryDate },
    );
  }

  deps.checkpoint();
  const { tokens } = await deps.api.listTokens();
  const { orphans, newerGenerations } = classifyStackTokens(manifest, tokens, deps.clock());
  const newer = newerGenerations.get(declaredName);
  if (newer !== undefined) {
    throw new ConfigError(
      `generation ${newer} of ${JSON.stringify(declaredName)} is live, newer than the manifest's ${token.currentGeneration}: ` +
        'another deploy rotated it and this manifest is behind. Nothing was revoked. Run cdktf synth again, then rotate.',
      { declaredName, generation: newer, manifestGeneration: token.currentGeneration },
    );
  }
  const older = orphans
    .filter((t) => parseManagedName(t.name as string)?.declaredName === declaredName)
    .map((t) => deliveredNameOf(t.name as string));
  const names = [...new Set([current.managedName, ...token.live.map((l) => l.managedName), ...older])];

  const revoked: { managedName: string; revoked: number }[] = [];
  for (const managedName of names) revoked.push({ managedName, ...(await revokeToken(deps, managedName, WHY)) });
  const outcome = await ensureToken(tokenDeps(deps, token), targetOf(token, current));
  return { declaredName, revoked, current: { ...outcome, managedName: current.managedName } };
}

/**
 * The token `declaredName` in the manifest.
 * @throws InvalidInputError naming the declared tokens when the stack declares none by that name.
 */
export function declaredToken(manifest: StackManifest, declaredName: string): ManifestToken {
  const token = manifest.tokens.find((t) => t.declaredName === declaredName);
  if (token !== undefined) return token;
  const declared = manifest.tokens.map((t) => JSON.stringify(t.declaredName)).join(', ') || 'none';
  throw new InvalidInputError(
    `stack ${manifest.stackTag} declares no token named ${JSON.stringify(declaredName)} (declared: ${declared}): nothing was revoked. ` +
      'Pass the name given in code (the part of the managed name before " [cdktf:").',
    { prop: 'declared name', value: declaredName },
  );
}
