import type { PersonalAccessTokenCreationResponse, PersonalAccessTokenResponse } from '../api/models';
import type { Clock } from '../core/clock';
import type { ValidSinkSpec } from '../core/sink-spec';
import type { DeliveryContext } from '../sinks/delivery-context';
import type { DeliveryReceipt } from '../sinks/delivered';
import type { ProbedToken, SinkProbe } from '../sinks/sink-probe';

/** The token routes the lifecycle needs; `AgilityClient` implements it, tests may pass a fake. */
export interface TokenApi {
  listTokens(): Promise<{ tokens: PersonalAccessTokenResponse[]; totalCount: number }>;
  createToken(req: { name: string; expiryDate?: string | Date | null }): Promise<PersonalAccessTokenCreationResponse>;
  /** Renames a token: how a pending token becomes delivered (docs/design.md, "Delivery record"). */
  updateToken(tokenId: string, req: { name?: string | null; enabled?: boolean | null }): Promise<PersonalAccessTokenResponse>;
  revokeToken(tokenId: string): Promise<void>;
}

/** What a delivery needs to know about the token, besides its secret (one type with the sinks' `DeliveryContext`). */
export type DeliveryInfo = DeliveryContext;

/**
 * Delivers one secret to every sink, all-or-nothing (`lib/sinks` `deliverSecret`). Resolves to a receipt (how to take
 * it back, what cannot be) when the deliverer can give one; a writer that then loses its managed name uses it.
 */
export type Deliver = (secret: string, sinks: readonly ValidSinkSpec[], info: DeliveryInfo) => Promise<DeliveryReceipt | void>;

/** The lifecycle's collaborators: all I/O comes in through here. */
export interface LifecycleDeps {
  api: TokenApi;
  deliver: Deliver;
  clock: Clock;
  /**
   * Proves a new token authenticates as its creator before it is delivered (`verifyNewToken`); throws
   * `VERIFY_FAILED` otherwise. Absent: no check (`verify: false` on the token).
   */
  verify?: (secret: string, token: { managedName: string; tokenId: string }) => Promise<void>;
  /**
   * Reads what a token's sinks hold against its delivery, without using its secret (`probeSinks`); the reconciler
   * replaces a token whose sink holds something else (docs/design.md, "Many machines, one writer"). Absent: sinks are
   * not checked.
   */
  probeSinks?: (sinks: readonly ValidSinkSpec[], token: ProbedToken) => Promise<SinkProbe[]>;
  /** One line of progress, in plain words; never a secret. */
  log: (line: string) => void;
  /**
   * Runs `fn` holding the lock of one managed name, so that two hooks for the same name (two deploys on one machine,
   * or a rerun while the first still runs) take turns (docs/design.md, "Concurrency and locks").
   */
  lock: <T>(managedName: string, fn: () => Promise<T>) => Promise<T>;
  /**
   * Runs `fn` as a section a stop request must not cut: from a create until its token is delivered and recorded, or
   * revoked. A SIGTERM or SIGINT that arrives meanwhile takes effect at the next {@link LifecycleDeps.checkpoint}.
   */
  critical: <T>(fn: () => Promise<T>) => Promise<T>;
  /** A safe point: throws `InterruptedError` when a stop was requested. */
  checkpoint: () => void;
}

/** One token as a create hook or the reconciler sees it. */
export interface TokenTarget {
  declaredName: string;
  managedName: string;
  generation: number;
  /** ISO-8601; null: Agility's default (two years). */
  expiryDate: string | null;
  sinks: readonly ValidSinkSpec[];
}
