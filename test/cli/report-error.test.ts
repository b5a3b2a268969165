import { ApiError, ERROR_CODES } from '../../lib/core/errors';
import type { CliContext } from '../../lib/cli/context';
import { reportError } from '../../lib/cli/main';
import { StopRequests } from '../../lib/cli/stop-requests';

/** A context that records what would reach stderr. */
function recording(): { ctx: CliContext; err: string[] } {
  const err: string[] = [];
  const ctx: CliContext = {
    env: {},
    cwd: '/',
    clock: () => 0,
    out: () => undefined,
    err: (line) => err.push(line),
    stopSignal: new Promise<void>(() => undefined),
    stops: new StopRequests(),
    stdoutIsTty: false,
  };
  return { ctx, err };
}

describe('reportError prints outside text inert, on one line', () => {
  it.each<[string, unknown, string]>([
    [
      'a typed error quoting a hostile token name',
      new ApiError('no token named "x\u001b[2J\u001b]0;owned\u0007\nagility-pat: done" was found', { method: 'GET', path: '/' }),
      'agility-pat: error [API_ERROR] no token named "x\\u001b[2J\\u001b]0;owned\\u0007\\u000aagility-pat: done" was found',
    ],
    [
      'an unexpected error',
      new Error('boom \u009b31m \u202Eevil'),
      'agility-pat: error [INTERNAL] boom \\u009b31m \\u202eevil (this is a bug; rerun with AGILITY_PAT_DEBUG=1 for details)',
    ],
    [
      'a usage error from the argument parser',
      Object.assign(new Error("Unknown option '--\u001b[31mx'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }),
      "agility-pat: error [INVALID_INPUT] Unknown option '--\\u001b[31mx'",
    ],
  ])('%s', (_what, error, line) => {
    const { ctx, err } = recording();
    reportError(error, ctx);
    expect(err).toEqual([line]);
  });
});

/** What the system throws for a refused open or listen: an Error with an errno code. */
function systemError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

it.each(['EACCES', 'EPERM'])('%s is a permission problem with its own code and exit, not invalid input', (code) => {
  const { ctx, err } = recording();
  const exit = reportError(systemError(code, `${code}: permission denied, open '/etc/agility-pat/state.json'`), ctx);
  expect(exit).toBe(ERROR_CODES.PERMISSION_DENIED);
  expect(exit).not.toBe(ERROR_CODES.INVALID_INPUT);
  expect(err).toHaveLength(1);
  expect(err[0]).toMatch(/^agility-pat: error \[PERMISSION_DENIED\] .*\/etc\/agility-pat\/state\.json.*permissions/);
});

it('a port already in use stays invalid input (exit 2)', () => {
  const { ctx, err } = recording();
  expect(reportError(systemError('EADDRINUSE', 'listen EADDRINUSE: address already in use 127.0.0.1:7311'), ctx)).toBe(2);
  expect(err[0]).toMatch(/^agility-pat: error \[INVALID_INPUT\] /);
});
