import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The emulator belongs to the CLI bundle and the `./testing` subpath: an app that imports the constructs must not
 * load it. Checked on the compiled package (`npm run build` first), in a fresh node process.
 */
const ROOT = join(__dirname, '..', '..');

function emulatorModulesLoadedBy(entry: string): string[] {
  const file = join(ROOT, 'dist', 'lib', entry);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first.`);
  const script = `require(${JSON.stringify(file)}); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('/emulator/'))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
}

describe("the library's entries", () => {
  it('the main entry loads no emulator module', () => {
    expect(emulatorModulesLoadedBy('index.js')).toEqual([]);
  });

  it('the testing entry does load the emulator (so the check above can see one)', () => {
    expect(emulatorModulesLoadedBy(join('testing', 'index.js'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/emulator\/server\.js$/)]),
    );
  });
});
