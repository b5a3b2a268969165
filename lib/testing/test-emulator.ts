import type { PersonalAccessTokenListResponse, PersonalAccessTokenResponse } from '../api/models';
import { Duration } from '../core/duration';
import { DEFAULT_CREDENTIAL_ENV, HOOK_ENV, SYNTH_NOW_CONTEXT } from '../core/hook-contract';
import { parseInstant } from '../core/validation';
import { DEFAULT_USER_EMAIL, startEmulator, type Fault, type FaultSpec, type RequestLogEntry, type RunningEmulator } from '../emulator';

/**
 * The testing kit's emulator (`agility-pat-cdktf/testing`, docs/testing.md): the built-in Agility
 * Management API emulator started in-process on a free loopback port, with its admin API (`/__emulator/...`) as
 * typed methods. Synth and hooks follow its clock: {@link TestEmulator.synthContext} is the cdktf context that
 * synthesizes as of it, and {@link TestEmulator.env} carries `AGILITY_PAT_NOW` to the hooks, so a test steps both
 * sides over a rotation together. The kit never changes the test process's own environment. Access tokens expire after one hour of emulator time: {@link TestEmulator.env}
 * signs in afresh on every call, so a deploy after a clock jump never carries an expired one.
 */

/** How to start a {@link TestEmulator}. */
export interface TestEmulatorOptions {
  /**
   * Where the emulator's clock starts (ISO-8601 with a time zone, or a Date); it stays frozen there until moved.
   * @default - real time
   */
  now?: string | Date;
  /** The Agility user that {@link TestEmulator.signIn} and {@link TestEmulator.liveTokens} use when given none. @default 'developer@example.com' */
  email?: string;
  /** The variable {@link TestEmulator.env} puts the access token in: your stack's `credentialEnv`. @default 'AGILITY_ACCESS_TOKEN' */
  credentialEnv?: string;
}

/** A started emulator with its admin API; `close()` it when the test ends. */
export class TestEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`: give it to `AgilityApi.url(...)`. */
  readonly url: string;
  private readonly email: string;
  private readonly credentialEnv: string;
  private readonly initialNow: string | undefined;
  /** The instant the clock was last set to, ISO-8601; undefined while it follows real time. */
  private setAt: string | undefined;

  /**
   * Wraps an emulator started with `startEmulator` ({@link startTestEmulator} starts one for you); `options.now`
   * is the instant its clock was started at, if any.
   */
  constructor(
    readonly emulator: RunningEmulator,
    options: TestEmulatorOptions = {},
  ) {
    this.url = emulator.url;
    this.email = options.email ?? DEFAULT_USER_EMAIL;
    this.credentialEnv = options.credentialEnv ?? DEFAULT_CREDENTIAL_ENV;
    this.initialNow = options.now === undefined ? undefined : isoInstant(options.now);
    this.setAt = this.initialNow;
  }

  /** A fresh OAuth access token for `email` (created on first sign-in), valid for one hour of emulator time. */
  async signIn(email: string = this.email): Promise<string> {
    return (await this.emulator.signIn(email)).access_token as string;
  }

  /**
   * What a `cdktf deploy` or `terraform apply` child process needs against this emulator: `AGILITY_API_URL`, a
   * freshly signed-in access token in the credential variable, and `AGILITY_PAT_NOW` when the clock was set.
   * Merge it into the child's environment.
   */
  async env(email: string = this.email): Promise<Record<string, string>> {
    const env: Record<string, string> = { AGILITY_API_URL: this.url, [this.credentialEnv]: await this.signIn(email) };
    if (this.setAt !== undefined) env[HOOK_ENV.now] = this.setAt;
    return env;
  }

  /**
   * The cdktf context that synthesizes a stack as of the emulator's clock: `{ 'agility-pat:now': <instant> }` once the
   * clock was set, `{}` while it follows real time. Give it to the app made after the clock moved:
   * `new App({ context: emulator.synthContext() })` or `Testing.app({ context: emulator.synthContext() })`.
   */
  synthContext(): Record<string, string> {
    return this.setAt === undefined ? {} : { [SYNTH_NOW_CONTEXT]: this.setAt };
  }

  /** The emulator's clock, ISO-8601. */
  async now(): Promise<string> {
    return ((await this.admin('GET', '/clock')) as { now: string }).now;
  }

  /** Freezes the emulator's clock at `instant` (and {@link synthContext} and {@link env} with it); returns the instant, ISO-8601. */
  async setNow(instant: string | Date): Promise<string> {
    const { now } = (await this.admin('POST', '/clock', { now: isoInstant(instant) })) as { now: string };
    return this.followClock(now);
  }

  /** Moves the emulator's clock by `by` (seconds, or a Duration), and {@link synthContext} and {@link env} with it; returns the new instant. */
  async advance(by: number | Duration): Promise<string> {
    const advanceSeconds = Duration.isDuration(by) ? by.toMilliseconds() / 1000 : by;
    const { now } = (await this.admin('POST', '/clock', { advanceSeconds })) as { now: string };
    return this.followClock(now);
  }

  /** Every API and OAuth request since the start or the last {@link clearRequests}, oldest first (no secret, header or body). */
  async requests(): Promise<RequestLogEntry[]> {
    return (await this.admin('GET', '/requests')) as RequestLogEntry[];
  }

  /** Empties the request log. */
  async clearRequests(): Promise<void> {
    await this.admin('DELETE', '/requests');
  }

  /** The token-route requests of the log as `METHOD path status`, token ids replaced by `{id}`: easy to assert on. */
  async tokenCalls(): Promise<string[]> {
    return (await this.requests())
      .filter((r) => r.path.startsWith('/api/v1/tokens'))
      .map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/i, '{id}')} ${r.status}`);
  }

  /**
   * The user's tokens that work now (enabled, not expired; revoked tokens are never listed), as Agility lists them.
   * This makes one `GET /api/v1/tokens/list`, which appears in the request log.
   */
  async liveTokens(email: string = this.email): Promise<PersonalAccessTokenResponse[]> {
    const res = await fetch(`${this.url}/api/v1/tokens/list`, { headers: { authorization: `Bearer ${await this.signIn(email)}` } });
    if (!res.ok) throw new Error(`listing the tokens of ${email} failed: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as PersonalAccessTokenListResponse;
    return (body.tokens ?? []).filter((t) => t.enabled && !t.isExpired);
  }

  /** True when `secret` (a delivered PAT) authenticates `GET /api/v1/users/me` now. Logged like any request. */
  async authenticates(secret: string): Promise<boolean> {
    const res = await fetch(`${this.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${secret}` } });
    await res.arrayBuffer();
    return res.status === 200;
  }

  /** Queues a fault (docs/emulator.md); the first queued fault matching a request applies. */
  async injectFault(spec: FaultSpec): Promise<Fault> {
    return (await this.admin('POST', '/faults', spec)) as Fault;
  }

  /** The faults still queued. */
  async faults(): Promise<Fault[]> {
    return (await this.admin('GET', '/faults')) as Fault[];
  }

  /** Removes every queued fault. */
  async clearFaults(): Promise<void> {
    await this.admin('DELETE', '/faults');
  }

  /** Forgets every user, token, session, fault and log entry, and puts the clock back where it started. */
  async reset(): Promise<void> {
    await this.admin('POST', '/reset');
    this.setAt = this.initialNow;
  }

  /** Every PAT secret, access and refresh token this emulator issued: scan your outputs for them. */
  issuedSecrets(): string[] {
    return this.emulator.issuedSecrets();
  }

  /** Stops the emulator. */
  async close(): Promise<void> {
    await this.emulator.close();
  }

  private followClock(iso: string): string {
    this.setAt = iso;
    return iso;
  }

  private async admin(method: string, route: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}/__emulator${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator ${method} /__emulator${route} failed: HTTP ${res.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }
}

/**
 * Starts the emulator in this process on a free port of 127.0.0.1, with fresh in-memory state. Close it when the
 * test ends (`afterAll(() => emulator.close())`).
 */
export async function startTestEmulator(options: TestEmulatorOptions = {}): Promise<TestEmulator> {
  const now = options.now === undefined ? undefined : isoInstant(options.now);
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0, now });
  return new TestEmulator(emulator, options);
}

function isoInstant(instant: string | Date): string {
  return new Date(parseInstant(instant, 'now')).toISOString();
}
