/**
 * A loopback stand-in for GitHub's Actions secrets API (test/fixtures/github-actions-secrets.json): one X25519 key
 * pair per scope (repository, environment, organization), the public key served as GitHub does, the sealed values
 * kept as received and opened only by {@link GitHubStandIn.decrypt}, for tests to compare with the issued secret.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { type Fixture, StandInServer, type StandInReply, type StandInRequest } from './stand-in-server';

const FIXTURE = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'github-actions-secrets.json'), 'utf8')) as Fixture;

interface StoredSecret {
  encrypted_value: string;
  key_id: string;
  visibility?: string;
  writes: number;
  /** As GitHub gives them: ISO-8601 to the second, `Z`. */
  created_at: string;
  updated_at: string;
}

interface Scope {
  keyId: string;
  keyPair: { publicKey: Uint8Array; privateKey: Uint8Array };
  secrets: Map<string, StoredSecret>;
}

/** GitHub's timestamps: to the second. */
const githubTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class GitHubStandIn {
  /** The stand-in's clock (`created_at`, `updated_at`): the wall clock unless a test follows a frozen emulator. */
  now: () => number = () => Date.now();

  readonly server: StandInServer;
  private readonly scopes = new Map<string, Scope>();
  private nextKeyId = 3380204578043523366n;
  /** Bearer tokens accepted besides `token`, each with its caller's latency (a machine far from GitHub). */
  private readonly callers = new Map<string, number>();

  /** @param token the one bearer token accepted. @param scopes `owner/repo`, `owner/repo#environment` or `org:<login>`. */
  constructor(
    readonly token: string,
    scopes: readonly string[],
  ) {
    for (const s of scopes) this.scopes.set(s, this.newScope());
    this.server = new StandInServer(FIXTURE, (req) => this.handle(req));
    this.server.requestLatencyMs = (_method, _path, authorization) =>
      authorization?.startsWith('Bearer ') ? (this.callers.get(authorization.slice(7)) ?? 0) : 0;
  }

  /** Accepts `token` too; each of its requests takes `latencyMs` before GitHub acts on it. */
  addCaller(token: string, latencyMs: number): void {
    this.callers.set(token, latencyMs);
  }

  static async start(token: string, scopes: readonly string[]): Promise<GitHubStandIn> {
    await sodium.ready;
    const standIn = new GitHubStandIn(token, scopes);
    await standIn.server.start();
    return standIn;
  }

  get url(): string {
    return this.server.url;
  }

  /** Opens a stored secret with the scope's private key: the plaintext the sink sent. */
  decrypt(scope: string, name: string): string | undefined {
    const s = this.scopes.get(scope);
    const stored = s?.secrets.get(name.toUpperCase());
    if (!s || !stored) return undefined;
    const sealed = sodium.from_base64(stored.encrypted_value, sodium.base64_variants.ORIGINAL);
    return sodium.to_string(sodium.crypto_box_seal_open(sealed, s.keyPair.publicKey, s.keyPair.privateKey));
  }

  /** What is stored (sealed) for a secret, or undefined. */
  stored(scope: string, name: string): StoredSecret | undefined {
    return this.scopes.get(scope)?.secrets.get(name.toUpperCase());
  }

  /** Every sealed value received, for leak scans that must not find plaintext. */
  storedValues(): string[] {
    return [...this.scopes.values()].flatMap((s) => [...s.secrets.values()].map((v) => v.encrypted_value));
  }

  /** Replaces a scope's key pair (GitHub may rotate it): a PUT with the old key_id is then refused. */
  rotateKey(scope: string): void {
    const s = this.scopes.get(scope);
    if (s) Object.assign(s, { ...this.newScope(), secrets: s.secrets });
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private newScope(): Scope {
    this.nextKeyId += 1n;
    return { keyId: String(this.nextKeyId), keyPair: sodium.crypto_box_keypair(), secrets: new Map() };
  }

  private handle(req: StandInRequest): StandInReply {
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (bearer !== this.token && (bearer === undefined || !this.callers.has(bearer))) {
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    }
    const p = req.params;
    const scopeName =
      p.org !== undefined ? `org:${p.org}` : `${p.owner}/${p.repo}${p.environment_name !== undefined ? `#${p.environment_name}` : ''}`;
    const scope = this.scopes.get(scopeName);
    if (!scope) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    if (req.method === 'GET' && !req.route.path.endsWith('/public-key')) {
      const stored = scope.secrets.get(p.secret_name.toUpperCase());
      if (!stored) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
      const reply = { name: p.secret_name.toUpperCase(), created_at: stored.created_at, updated_at: stored.updated_at };
      return { status: 200, body: p.org !== undefined ? { ...reply, visibility: stored.visibility ?? 'private' } : reply };
    }
    if (req.method === 'GET') {
      const reply = { key_id: scope.keyId, key: sodium.to_base64(scope.keyPair.publicKey, sodium.base64_variants.ORIGINAL) };
      if (!this.server.schema('actions-public-key')(reply)) throw new Error('the stand-in breaks its own fixture');
      return { status: 200, body: reply };
    }
    const body = req.body as { encrypted_value: string; key_id: string; visibility?: string };
    if (body.key_id !== scope.keyId) {
      return {
        status: 422,
        body: { message: 'Bad request - key_id is not the current public key', documentation_url: 'https://docs.github.com/rest' },
      };
    }
    const name = p.secret_name.toUpperCase();
    const existing = scope.secrets.get(name);
    const now = githubTime(this.now());
    scope.secrets.set(name, { ...body, writes: (existing?.writes ?? 0) + 1, created_at: existing?.created_at ?? now, updated_at: now });
    return existing ? { status: 204 } : { status: 201, body: {} };
  }
}
