import type { PersonalAccessTokenResponse } from '../api/models';
import type { ManifestToken } from '../core/manifest';
import { findReplacedToken, replacementDue, replacementProblem } from '../core/replacement';

/**
 * What `status` says of a declared token's `replaces` (docs/design.md, "Usage-aware rotation and adoption"), from the
 * rules the reconciler applies (`lib/core/replacement.ts`).
 */
export interface ReplacementRow {
  /** The reference as declared: an exact name or a token id. */
  readonly ref: string;
  /**
   * `waiting`: the hand-made token is live and its overlap runs (or the managed token is not delivered yet);
   * `due`: its overlap has passed, and the next reconciler run revokes it; `gone`: no token matches (revoked);
   * `ambiguous`: several tokens bear that name; `managed`: it resolves to a token carrying a stack's marker. The last
   * two make the reconciler fail and revoke nothing.
   */
  readonly state: 'waiting' | 'due' | 'gone' | 'ambiguous' | 'managed';
  /** The hand-made token's id and name, when exactly one matches. */
  readonly tokenID: string | null;
  readonly name: string | null;
  /** When it is revoked: the managed token's first delivery plus the overlap; null until the managed token is delivered. */
  readonly revokeAt: string | null;
  /** One sentence: what happens next, or what to do. */
  readonly note: string;
}

/** The {@link ReplacementRow} of `m`, or null when it replaces nothing. */
export function replacementRow(m: ManifestToken, listed: readonly PersonalAccessTokenResponse[], nowMs: number): ReplacementRow | null {
  if (m.replaces === null) return null;
  const { ref } = m.replaces;
  const match = findReplacedToken(ref, listed, nowMs);
  const timing = replacementDue(m, listed, nowMs);
  const revokeAt = timing.revokeAtMs === null ? null : new Date(timing.revokeAtMs).toISOString();
  const base = { ref, tokenID: null, name: null, revokeAt };
  switch (match.kind) {
    case 'gone':
      return { ...base, state: 'gone', note: `no live token matches replaces ${JSON.stringify(ref)}: it was revoked (or has expired).` };
    case 'ambiguous':
    case 'managed':
      return { ...base, state: match.kind, note: replacementProblem(m, match) };
    case 'found': {
      const { tokenID, name } = match.token;
      const shown = `"${name}" (${tokenID})`;
      if (timing.due) {
        return {
          ...base,
          tokenID,
          name,
          state: 'due',
          note: `${shown} is being replaced and its overlap ended at ${revokeAt}: the stack's reconciler revokes it (a deploy that changes the stack, or the daily drift check).`,
        };
      }
      return {
        ...base,
        tokenID,
        name,
        state: 'waiting',
        note:
          revokeAt === null
            ? `${shown} is being replaced: it is revoked one overlap after "${m.declaredName}" is delivered, which it is not yet.`
            : `${shown} is being replaced: move its consumers to "${m.declaredName}"; it is revoked at the first deploy after ${revokeAt}.`,
      };
    }
  }
}

/** True when the row calls for someone to act: the overlap has passed, or the reference cannot be acted on. */
export function replacementNeedsAction(row: ReplacementRow | null): boolean {
  return row !== null && (row.state === 'due' || row.state === 'ambiguous' || row.state === 'managed');
}
