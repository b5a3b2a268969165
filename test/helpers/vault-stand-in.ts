/**
 * A loopback stand-in for a Vault KV version 2 engine (test/fixtures/vault-kv-v2.json): versions, check-and-set,
 * soft-deleted versions, and the token check, as Vault documents them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Fixture, StandInServer, type StandInReply, type StandInRequest } from './stand-in-server';

const FIXTURE = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'vault-kv-v2.json'), 'utf8')) as Fixture;

interface Version {
  data: Record<string, unknown>;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

export class VaultStandIn {
  /** The stand-in's clock (versions' `created_time`): the wall clock unless a test follows a frozen emulator. */
  now: () => number = () => Date.now();

  readonly server: StandInServer;
  /** `mount/path` → versions, index 0 is version 1. */
  private readonly secrets = new Map<string, Version[]>();

  constructor(
    readonly token: string,
    readonly mounts: readonly string[] = ['secret'],
  ) {
    this.server = new StandInServer(FIXTURE, (req) => this.handle(req));
  }

  static async start(token: string, mounts?: readonly string[]): Promise<VaultStandIn> {
    const standIn = new VaultStandIn(token, mounts);
    await standIn.server.start();
    return standIn;
  }

  get url(): string {
    return this.server.url;
  }

  /** Writes a version as another client would (not logged). */
  seed(mount: string, path: string, data: Record<string, unknown>): void {
    const versions = this.secrets.get(`${mount}/${path}`) ?? [];
    versions.push({ data, created_time: new Date(this.now()).toISOString(), deletion_time: '', destroyed: false });
    this.secrets.set(`${mount}/${path}`, versions);
  }

  /** The latest version's data, or undefined when there is none or it is deleted. */
  read(mount: string, path: string): Record<string, unknown> | undefined {
    const latest = this.secrets.get(`${mount}/${path}`)?.at(-1);
    return latest && latest.deletion_time === '' ? latest.data : undefined;
  }

  /** How many versions the secret has. */
  versionCount(mount: string, path: string): number {
    return this.secrets.get(`${mount}/${path}`)?.length ?? 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(req: StandInRequest): StandInReply {
    if (req.headers['x-vault-token'] !== this.token) return { status: 403, body: { errors: ['permission denied'] } };
    const { mount, path } = req.params;
    if (!this.mounts.includes(mount))
      return { status: 404, body: { errors: [`no handler for route "${mount}/data/${path}". route entry not found.`] } };
    const key = `${mount}/${path}`;
    const versions = this.secrets.get(key) ?? [];
    const isDelete = req.segments[2] === 'delete';
    if (req.method === 'GET') {
      const latest = versions.at(-1);
      if (!latest) return { status: 404, body: { errors: [] } };
      const metadata = {
        created_time: latest.created_time,
        custom_metadata: null,
        deletion_time: latest.deletion_time,
        destroyed: latest.destroyed,
        version: versions.length,
      };
      if (latest.deletion_time !== '') return { status: 404, body: { data: { data: null, metadata } } };
      const reply = { data: { data: latest.data, metadata } };
      if (!this.server.schema('read-response')(reply)) throw new Error('the stand-in breaks its own fixture');
      return { status: 200, body: reply };
    }
    if (isDelete) {
      for (const v of (req.body as { versions: number[] }).versions) {
        const version = versions[v - 1];
        if (version && version.deletion_time === '') version.deletion_time = new Date(this.now()).toISOString();
      }
      return { status: 204 };
    }
    const body = req.body as { options?: { cas?: number }; data: Record<string, unknown> };
    if (body.options?.cas !== undefined && body.options.cas !== versions.length) {
      return { status: 400, body: { errors: ['check-and-set parameter did not match the current version'] } };
    }
    const created = { data: body.data, created_time: new Date(this.now()).toISOString(), deletion_time: '', destroyed: false };
    versions.push(created);
    this.secrets.set(key, versions);
    const reply = {
      data: { created_time: created.created_time, custom_metadata: null, deletion_time: '', destroyed: false, version: versions.length },
    };
    if (!this.server.schema('write-response')(reply)) throw new Error('the stand-in breaks its own fixture');
    return { status: 200, body: reply };
  }
}
