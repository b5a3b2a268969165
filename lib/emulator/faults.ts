import { validateFaultSpec, schema as faultSpecSchema } from '../generated/fault-spec';
import { schemaProblem, type SchemaValidator } from '../schemas/schema-problem';

/**
 * Injected faults (`POST /__emulator/faults`): how tests make the API slow, fail, throttle, drop the
 * connection, or fail AFTER doing the work (an ambiguous create that succeeded server side).
 */

/** A fault as posted to `POST /__emulator/faults`. */
export interface FaultSpec {
  /** HTTP method to match, any case. @default - every method */
  method?: string;
  /** Exact path (no query string), or a prefix ending in `*` such as `/api/v1/tokens/*`. @default - every path */
  path?: string;
  /** Status to answer with instead of the real one. @default 429 when only `retryAfter` is given */
  status?: number;
  /** Seconds for a `Retry-After` header on the fault response. */
  retryAfter?: number;
  /** Milliseconds to wait before answering (alone: then serve the real response). */
  latencyMs?: number;
  /** Destroy the connection without an answer. */
  drop?: boolean;
  /** Perform the real operation first, then answer with the fault instead of its response. */
  after?: boolean;
  /** How many matching requests the fault applies to before it is removed. @default 1 */
  times?: number;
}

/** A queued fault: its spec, normalised, with an id and the uses left. */
export interface Fault extends FaultSpec {
  id: string;
  times: number;
}

/** Checks a posted fault; returns a message saying what is wrong, or the normalised spec. */
export function parseFaultSpec(body: unknown): FaultSpec | string {
  // The schema (lib/schemas/fault-spec.schema.json) checks each field; the rules between fields follow.
  const problem = schemaProblem(validateFaultSpec as SchemaValidator, body, { document: faultSpecSchema, root: 'The fault', prefix: '' });
  if (problem?.unknownField) return `The fault field ${problem.field} ${problem.rule}.`;
  if (problem) return `${problem.field} ${problem.rule}, got ${JSON.stringify(problem.value)}.`;
  const b = body as FaultSpec;
  if (b.drop === true && b.status !== undefined) return 'drop and status are exclusive: a dropped connection sends no status.';
  const spec: FaultSpec = { ...(b as FaultSpec) };
  if (spec.status === undefined && spec.retryAfter !== undefined && !spec.drop) spec.status = 429;
  if (spec.status === undefined && !spec.drop && spec.latencyMs === undefined) {
    return 'A fault needs at least one of status, retryAfter, latencyMs or drop.';
  }
  if (spec.after && spec.status === undefined && !spec.drop) return 'after needs status or drop: it says what replaces the real response.';
  return spec;
}

/** The queue of faults; the first one matching a request applies. */
export class FaultQueue {
  private faults: Fault[] = [];
  private nextId = 1;

  /** Queues a checked spec and returns it with its id. */
  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: `fault-${this.nextId++}`, times: spec.times ?? 1 };
    this.faults.push(fault);
    return { ...fault };
  }

  /** Takes one use of the first fault matching `method` and `path` (no query string); undefined when none does. */
  take(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex((f) => matches(f, method, path));
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return { ...fault };
  }

  /** The faults still queued, in order. */
  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
  }
}

function matches(f: Fault, method: string, path: string): boolean {
  if (f.method !== undefined && f.method.toUpperCase() !== method.toUpperCase()) return false;
  if (f.path === undefined) return true;
  // Routes match case-insensitively (ASP.NET), so faults do too.
  const p = path.toLowerCase();
  const want = f.path.toLowerCase();
  return want.endsWith('*') ? p.startsWith(want.slice(0, -1)) : p === want;
}
