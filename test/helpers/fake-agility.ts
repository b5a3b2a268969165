/**
 * An in-memory Agility account for pure lifecycle tests: the token rules the lifecycle depends on (soft-deleted
 * revocation, one-time secrets, renames, disabled and expired tokens) and a script of faults per hook run, each at one
 * call of that run: 5xx before or after the server acted, 429, timeouts and dropped connections (acted or not), creates
 * that land late, a SIGKILL, a SIGTERM. Faults are given per hook run (not per global call number), so that the
 * interleaving of parallel hooks never changes which call a fault hits: a failing seed replays.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { PersonalAccessTokenCreationResponse, PersonalAccessTokenResponse } from '../../lib/api/models';
import { ApiError, NetworkError, NotFoundError, RateLimitedError, TimeoutError } from '../../lib/core/errors';
import type { TokenApi } from '../../lib/lifecycle';

/** What a fault does to the call it hits. */
export type FaultKind =
  | '5xx-before' // the server did nothing and answered 503
  | '5xx-after' // the server acted, then answered 500
  | '429' // refused: rate limited
  | 'timeout-before' // the client gave up; the server never acted
  | 'timeout-after' // the client gave up; the server acted
  | 'drop-after' // the connection dropped after the server acted
  | 'late' // a create the client gave up on lands later (after some further calls, or before the next deploy)
  | 'kill' // SIGKILL: this call and everything after it in the run does nothing
  | 'stop'; // SIGTERM arrives just before this call

/** One fault of a hook run: at its `at`-th call (API calls and deliveries, counted from 0). */
export interface Fault {
  readonly at: number;
  readonly kind: FaultKind;
}

/** Thrown for every call of a killed run: a SIGKILLed process does nothing more. */
export class Killed extends Error {
  constructor() {
    super('killed');
  }
}

interface StoredToken {
  tokenID: string;
  name: string;
  secret: string;
  expiryMs: number;
  createdMs: number;
  enabled: boolean;
  revoked: boolean;
  /** When it was revoked (the fake's clock), or null. */
  revokedMs: number | null;
  /** When the secret last authenticated a request (`lastUsedDate`); null: never. */
  lastUsedMs: number | null;
}

const DAY = 86_400_000;

/** The account: tokens of one user, the clock, and creates that are still on their way. */
export class FakeAgility {
  readonly tokens: StoredToken[] = [];
  /** Every secret ever issued, to scan for leaks. */
  readonly issued: string[] = [];
  private late: Array<{ dueAfterCalls: number; land: () => void }> = [];
  private calls = 0;

  constructor(public nowMs: number) {}

  /** The listing as the API gives it: not revoked, expired ones included. */
  list(): PersonalAccessTokenResponse[] {
    return this.tokens.filter((t) => !t.revoked).map((t) => this.view(t));
  }

  /** Tokens that authenticate now. */
  live(): StoredToken[] {
    return this.tokens.filter((t) => !t.revoked && t.enabled && t.expiryMs > this.nowMs);
  }

  /** Lands every create still on its way (a late create lands before the next deploy at the latest). */
  landAll(): void {
    for (const l of this.late.splice(0)) l.land();
  }

  /** A user's hand, outside Terraform. */
  outOfBand(action: 'revoke' | 'disable', tokenID: string): void {
    const t = this.tokens.find((x) => x.tokenID === tokenID);
    if (!t) return;
    if (action === 'revoke') this.revoke(t);
    else t.enabled = false;
  }

  /** A consumer authenticates with `secret` now: a live token's `lastUsedDate` becomes now. True when it worked. */
  use(secret: string): boolean {
    const t = this.live().find((x) => x.secret === secret);
    if (t) t.lastUsedMs = this.nowMs;
    return t !== undefined;
  }

  /** A token made by hand (e.g. to seed a test), returned with its secret. */
  seed(name: string, options: { enabled?: boolean; expiryMs?: number } = {}): StoredToken {
    const t = this.store(name, options.expiryMs ?? this.nowMs + 365 * DAY);
    t.enabled = options.enabled ?? true;
    return t;
  }

  /** A `TokenApi` for one hook run, with its faults; `run` tracks the run's call count and whether it was killed. */
  apiFor(run: HookRun): TokenApi {
    const call = <T>(kind: 'read' | 'write', act: () => T, creates = false): Promise<T> =>
      Promise.resolve().then(() => {
        this.tick();
        const fault = run.next();
        switch (fault) {
          case undefined:
            return act();
          case '429':
            throw new RateLimitedError('rate limited (fake)', { method: 'X', path: '/fake', status: 429, limit: 'unknown' });
          case '5xx-before':
            throw new ApiError('503 (fake)', { method: 'X', path: '/fake', status: 503 });
          case 'timeout-before':
            throw new TimeoutError('timed out (fake)', { method: 'X', path: '/fake', timeoutMs: 1 });
          case '5xx-after':
            act();
            throw new ApiError('500 (fake)', { method: 'X', path: '/fake', status: 500 });
          case 'timeout-after':
            act();
            throw new TimeoutError('timed out (fake)', { method: 'X', path: '/fake', timeoutMs: 1 });
          case 'drop-after':
            act();
            throw new NetworkError('connection dropped (fake)', { method: 'X', path: '/fake' });
          case 'late':
            if (creates && kind === 'write') this.late.push({ dueAfterCalls: this.calls + 1 + (this.calls % 4), land: () => void act() });
            throw new TimeoutError('timed out (fake)', { method: 'X', path: '/fake', timeoutMs: 1 });
        }
      });
    return {
      listTokens: () => call('read', () => ({ tokens: this.list(), totalCount: this.live().length })),
      createToken: (req) =>
        call(
          'write',
          (): PersonalAccessTokenCreationResponse => {
            const expiryMs = req.expiryDate ? Date.parse(String(req.expiryDate)) : this.nowMs + 730 * DAY;
            const t = this.store(req.name, expiryMs);
            return { ...this.view(t), token: t.secret, notice: 'shown once' };
          },
          true,
        ),
      updateToken: (id, req) =>
        call('write', () => {
          const t = this.find(id);
          if (typeof req.name === 'string') t.name = req.name;
          if (typeof req.enabled === 'boolean') t.enabled = req.enabled;
          return this.view(t);
        }),
      revokeToken: (id) =>
        call('write', () => {
          this.revoke(this.find(id));
        }),
    };
  }

  private tick(): void {
    this.calls++;
    const due = this.late.filter((l) => l.dueAfterCalls <= this.calls);
    this.late = this.late.filter((l) => l.dueAfterCalls > this.calls);
    for (const l of due) l.land();
  }

  private store(name: string, expiryMs: number): StoredToken {
    const t: StoredToken = {
      tokenID: randomUUID(),
      name,
      secret: `pat.${randomBytes(12).toString('base64url')}`,
      expiryMs,
      createdMs: this.nowMs,
      enabled: true,
      revoked: false,
      revokedMs: null,
      lastUsedMs: null,
    };
    this.tokens.push(t);
    this.issued.push(t.secret);
    return t;
  }

  private revoke(t: StoredToken): void {
    t.revoked = true;
    t.revokedMs = this.nowMs;
  }

  private find(id: string): StoredToken {
    const t = this.tokens.find((x) => x.tokenID === id && !x.revoked);
    if (!t) throw new NotFoundError('Token not found (fake)', { method: 'X', path: '/fake', status: 404 });
    return t;
  }

  private view(t: StoredToken): PersonalAccessTokenResponse {
    return {
      tokenID: t.tokenID,
      name: t.name,
      createdDate: new Date(t.createdMs).toISOString(),
      expiryDate: new Date(t.expiryMs).toISOString(),
      lastUsedDate: t.lastUsedMs === null ? null : new Date(t.lastUsedMs).toISOString(),
      enabled: t.enabled,
      isExpired: t.expiryMs <= this.nowMs,
      daysUntilExpiration: Math.floor((t.expiryMs - this.nowMs) / DAY),
    };
  }
}

/** One hook run: its fault script and its call counter; after a `kill` every call throws {@link Killed}. */
export class HookRun {
  private count = 0;
  killed = false;

  constructor(
    private readonly faults: readonly Fault[] = [],
    private readonly onStop: () => void = () => undefined,
  ) {}

  /** The fault for the next call, if any; throws {@link Killed} once the run is dead. */
  next(): Exclude<FaultKind, 'kill' | 'stop'> | undefined {
    if (this.killed) throw new Killed();
    const at = this.count++;
    const faults = this.faults.filter((f) => f.at === at);
    if (faults.some((f) => f.kind === 'stop')) this.onStop();
    if (faults.some((f) => f.kind === 'kill')) {
      this.killed = true;
      throw new Killed();
    }
    return faults.find((f) => f.kind !== 'stop')?.kind as Exclude<FaultKind, 'kill' | 'stop'> | undefined;
  }
}
