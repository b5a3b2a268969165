/**
 * A throwaway PostgreSQL server for the pg-backend suite: Debian's `postgresql` package (server programs in
 * /usr/lib/postgresql/<version>/bin, or on PATH), a cluster made by initdb in a temporary folder, listening on a free
 * loopback port with password authentication. PostgreSQL refuses to run as root, so as root (CI) the server runs as
 * `nobody` through setpriv. `stop()` ends the server this module started, by its pid, and removes the folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './e2e';

const NOBODY = 65534;

/** The folder holding initdb, postgres, pg_isready and psql. */
export function postgresBinDir(): string {
  // Debian keeps them out of PATH; a link on PATH leads to the real folder, which also holds pg_isready and psql.
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  const linked = onPath ? dirname(realpathSync(onPath)) : '';
  if (linked && ['postgres', 'pg_isready', 'psql'].every((p) => existsSync(join(linked, p)))) return linked;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => ['initdb', 'postgres', 'pg_isready', 'psql'].every((p) => existsSync(join(root, v, 'bin', p))))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL server programs (initdb, postgres) were not found on PATH or in /usr/lib/postgresql/*/bin: ' +
        'install them with `apt-get install -y postgresql` (.ci/run does), then run `npm run test:pg` again.',
    );
  }
  return join(root, versions[0], 'bin');
}

export interface RunningPostgres {
  readonly port: number;
  /** The superuser's password (every test database's connection string carries it). */
  readonly password: string;
  /** A postgres:// URL for database `db`, with the password. */
  connStr(db: string): string;
  /** Runs SQL in `db` with psql and returns its unaligned, tuples-only output. */
  psql(db: string, sql: string): string;
  stop(): Promise<void>;
}

/** Starts the server and waits until it accepts connections. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'agility-pat-pg-'));
  const password = randomBytes(12).toString('hex');
  const asRoot = process.getuid?.() === 0;
  // Run a PostgreSQL program as the user that owns the cluster.
  const command = (program: string, args: string[]): [string, string[]] =>
    asRoot
      ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', join(bin, program), ...args]]
      : [join(bin, program), args];
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    chownSync(dir, NOBODY, NOBODY);
    chownSync(pwfile, NOBODY, NOBODY);
  }
  const data = join(dir, 'data');
  const init = spawnSync(
    ...command('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync']),
    { encoding: 'utf8', cwd: dir },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status}): ${init.stderr || init.error?.message}`);
  }
  rmSync(pwfile);

  const port = await freePort();
  const [program, args] = command('postgres', [
    '-D',
    data,
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'fsync=off',
    '-c',
    'max_connections=40',
  ]);
  const server: ChildProcess = spawn(program, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (d) => (log += d));
  let exited = false;
  const exit = new Promise<void>((resolvePromise) =>
    server.on('exit', () => {
      exited = true;
      resolvePromise();
    }),
  );

  const env = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q'], { env });
    if (ready.status === 0) break;
    if (exited || Date.now() > deadline) {
      server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    port,
    password,
    connStr: (db) => `postgres://postgres:${password}@127.0.0.1:${port}/${db}?sslmode=disable`,
    psql: (db, sql) => {
      const r = spawnSync(
        join(bin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql],
        { env, encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`psql failed (exit ${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    stop: async () => {
      if (!exited) {
        server.kill('SIGINT'); // fast shutdown
        await exit;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
