/**
 * Hooks are spawned per slot, so the bundled program must not pay for libsodium (about 1 MB with its WebAssembly)
 * unless a GitHub sink delivers, nor for undici (its llhttp parser is WebAssembly too) at all: the hook speaks through
 * node's http/https (lib/api/exchange.ts). For libsodium: the require sits inside the sealing function, esbuild keeps it a lazy module
 * initialiser, and scripts/bundle.js packs its source into a compressed string. Checked on dist/agility-pat.js
 * (npm run build) by counting WebAssembly compilations.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type RunningEmulator, startEmulator } from '../../lib/emulator';

const BUNDLE = resolve(__dirname, '..', '..', 'dist', 'agility-pat.js');
const PROBE = `let n = 0;
const M = WebAssembly.Module;
WebAssembly.Module = function (...a) { n++; return new M(...a); };
for (const k of ['instantiate', 'compile']) { const o = WebAssembly[k]; WebAssembly[k] = function (...a) { n++; return o.apply(this, a); }; }
process.on('exit', () => process.stderr.write('wasm compilations: ' + n + '\\n'));`;

function compilations(args: string[]): { count: number; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'agility-pat-probe-'));
  try {
    writeFileSync(join(dir, 'probe.js'), PROBE);
    const r = spawnSync(process.execPath, ['-r', join(dir, 'probe.js'), BUNDLE, ...args], { encoding: 'utf8' });
    const m = /wasm compilations: (\d+)/.exec(r.stderr);
    if (!m) throw new Error(`no probe output: ${r.stderr}`);
    return { count: Number(m[1]), stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('the bundle carries libsodium packed (test/e2e/native-sinks seals with it) and --version compiles no WebAssembly', () => {
  // Packed by scripts/bundle.js: no libsodium source to pre-parse at start-up.
  expect(readFileSync(BUNDLE, 'utf8')).not.toContain('No secure random number generator found');
  expect(readFileSync(BUNDLE, 'utf8')).toContain('brotliDecompressSync');
  const run = compilations(['--version']);
  expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  expect(run.count).toBe(0);
});

describe('a hook that calls the API', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0, now: '2026-03-01T12:00:00.000Z' });
  });
  afterAll(() => emulator.close());

  it('lists tokens without undici: no WebAssembly compiled, undici carried only packed', async () => {
    expect(readFileSync(BUNDLE, 'utf8')).not.toContain('llhttp');
    const { access_token } = await emulator.signIn();
    const dir = mkdtempSync(join(tmpdir(), 'agility-pat-probe-'));
    try {
      writeFileSync(join(dir, 'probe.js'), PROBE);
      // Asynchronous: the emulator answering the child lives in this process.
      const child = spawn(process.execPath, ['-r', join(dir, 'probe.js'), BUNDLE, 'tokens', 'list', '--json'], {
        env: { PATH: process.env.PATH, AGILITY_API_URL: emulator.url, AGILITY_ACCESS_TOKEN: access_token as string },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect({ code, stderr: stderr.replace(/wasm compilations: \d+\n/, '') }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout)).toEqual([]);
      expect(/wasm compilations: (\d+)/.exec(stderr)?.[1]).toBe('0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
