import type { CliContext } from '../../lib/cli/context';
import { reportError } from '../../lib/cli/main';
import { ERROR_CODES } from '../../lib/core/errors';

function capture(): { ctx: CliContext; err: string[] } {
  const err: string[] = [];
  const ctx: CliContext = {
    env: {},
    cwd: '/',
    clock: () => 0,
    out: () => undefined,
    err: (l) => err.push(l),
    stopSignal: new Promise(() => undefined),
    stdoutIsTty: false,
  };
  return { ctx, err };
}

/** What the system throws for a refused open or listen: an Error with an errno code. */
function systemError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

it.each(['EACCES', 'EPERM'])('%s is a permission problem with its own code and exit, not invalid input', (code) => {
  const { ctx, err } = capture();
  const exit = reportError(systemError(code, `${code}: permission denied, open '/etc/agility-pat/state.json'`), ctx);
  expect(exit).toBe(ERROR_CODES.PERMISSION_DENIED);
  expect(exit).not.toBe(ERROR_CODES.INVALID_INPUT);
  expect(err).toHaveLength(1);
  expect(err[0]).toMatch(/^agility-pat: error \[PERMISSION_DENIED\] .*\/etc\/agility-pat\/state\.json.*permissions/);
});

it('a port already in use stays invalid input (exit 2)', () => {
  const { ctx, err } = capture();
  expect(reportError(systemError('EADDRINUSE', 'listen EADDRINUSE: address already in use 127.0.0.1:7311'), ctx)).toBe(2);
  expect(err[0]).toMatch(/^agility-pat: error \[INVALID_INPUT\] /);
});
