import { ApiError } from '../../lib/core/errors';
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
