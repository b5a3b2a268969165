import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as errors from '../../lib/core/errors';
import { AgilityPatError, ERROR_CODES, type ErrorCode, hasErrorCode, isAgilityPatError } from '../../lib/core/errors';
import { writtenErrorMessages } from '../helpers/error-messages';

type ErrorsModule = typeof errors;
const http = { method: 'GET', path: '/api/v1/tokens', status: 500 };

/** Every error class with the code it carries and how to build one (docs/design.md, "Errors"). */
const TABLE: ReadonlyArray<[name: string, code: ErrorCode, make: (m: ErrorsModule) => AgilityPatError]> = [
  ['InternalError', 'INTERNAL', (m) => new m.InternalError('boom (this is a bug)')],
  ['InvalidInputError', 'INVALID_INPUT', (m) => new m.InvalidInputError('name must not be empty.', { prop: 'name' })],
  ['ConfigError', 'CONFIG', (m) => new m.ConfigError('set AGILITY_ACCESS_TOKEN.', { prop: 'AGILITY_ACCESS_TOKEN' })],
  ['AuthFailedError', 'AUTH_FAILED', (m) => new m.AuthFailedError('sign in again.', http)],
  ['PatNotAllowedError', 'PAT_NOT_ALLOWED', (m) => new m.PatNotAllowedError('use an OAuth session.', http)],
  ['ForbiddenError', 'FORBIDDEN', (m) => new m.ForbiddenError('ask for permission.', http)],
  ['NotFoundError', 'NOT_FOUND', (m) => new m.NotFoundError('list the tokens.', http)],
  ['RateLimitedError', 'RATE_LIMITED', (m) => new m.RateLimitedError('wait an hour.', { ...http, limit: 'creations-per-hour' })],
  ['ApiError', 'API_ERROR', (m) => new m.ApiError('retry later.', http)],
  ['NetworkError', 'NETWORK', (m) => new m.NetworkError('check the network.', http)],
  ['TimeoutError', 'TIMEOUT', (m) => new m.TimeoutError('retry later.', { ...http, timeoutMs: 1000 })],
  ['BadResponseError', 'BAD_RESPONSE', (m) => new m.BadResponseError('report it.', http)],
  ['SinkError', 'SINK_FAILED', (m) => new m.SinkError('make the folder writable.', { sink: 'file' })],
  ['LockTimeoutError', 'LOCK_TIMEOUT', (m) => new m.LockTimeoutError('wait and deploy again.', { lock: '/tmp/x.lock' })],
  ['PermissionDeniedError', 'PERMISSION_DENIED', (m) => new m.PermissionDeniedError('check the permissions.')],
  ['VerifyFailedError', 'VERIFY_FAILED', (m) => new m.VerifyFailedError('deploy again.', { tokenId: '1' })],
  [
    'SupersededError',
    'SUPERSEDED',
    (m) => new m.SupersededError('deploy again.', { managedName: 'ci [cdktf:prod~abcdef/g1]', tokenId: '1' }),
  ],
  ['InterruptedError', 'INTERRUPTED', (m) => new m.InterruptedError('rerun to carry on.', { signal: 'SIGINT' })],
];

/** The module's exported classes that extend AgilityPatError (the base class itself excluded). */
function errorClasses(m: ErrorsModule): string[] {
  return Object.entries(m)
    .filter(([name, v]) => typeof v === 'function' && v.prototype instanceof m.AgilityPatError && name !== 'AgilityPatError')
    .map(([name]) => name);
}

/** A second copy of lib/core/errors, as a duplicate install of the package or another jest realm would load it. */
function secondCopy(): ErrorsModule {
  let copy: ErrorsModule | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    copy = require('../../lib/core/errors') as ErrorsModule;
  });
  if (copy === undefined || copy === errors) throw new Error('jest.isolateModules did not load a second copy');
  return copy;
}

describe('the error table', () => {
  it('has one row per code and one per class, and every code has its own exit code', () => {
    expect(TABLE.map(([, code]) => code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    expect(TABLE.map(([name]) => name).sort()).toEqual(errorClasses(errors).sort());
    const exits = Object.values(ERROR_CODES);
    expect(new Set(exits).size).toBe(exits.length);
    expect(exits).not.toContain(0);
  });

  const other = secondCopy();

  it.each(TABLE)('%s carries %s, its exit code, and is recognised across copies of the module', (name, code, make) => {
    const e = make(errors);
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(AgilityPatError);
    expect(e.name).toBe(name);
    expect(e.constructor.name).toBe(name);
    expect(e.code).toBe(code);
    expect(e.exitCode).toBe(ERROR_CODES[code]);
    expect(isAgilityPatError(e)).toBe(true);
    expect(hasErrorCode(e, code)).toBe(true);

    // A copy of the class from another load of the module is a different class, so bare instanceof fails;
    // the brand (Symbol.for) recognises it either way.
    const foreign = make(other);
    expect(foreign).not.toBeInstanceOf(AgilityPatError);
    expect(isAgilityPatError(foreign)).toBe(true);
    expect(hasErrorCode(foreign, code)).toBe(true);
    expect(foreign.exitCode).toBe(ERROR_CODES[code]);
    expect(other.isAgilityPatError(e)).toBe(true);
    expect(other.hasErrorCode(e, code)).toBe(true);
  });

  it('does not take plain errors or look-alikes for ours', () => {
    expect(isAgilityPatError(new Error('x'))).toBe(false);
    expect(isAgilityPatError({ code: 'CONFIG', message: 'x' })).toBe(false);
    expect(isAgilityPatError(undefined)).toBe(false);
    expect(hasErrorCode(new errors.ConfigError('x'), 'INVALID_INPUT')).toBe(false);
  });
});

/**
 * The rows of the exit-codes table of docs/operations.md ("Exit codes"), as [code, exit] pairs; a row may hold
 * several codes and exits, `A` / `B`, paired in order.
 */
function documentedExitCodes(): [string, number][] {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Exit codes\n'), doc.indexOf('\n## ', doc.indexOf('\n## Exit codes\n') + 1));
  return section
    .split('\n')
    .filter((line) => /^\| `/.test(line))
    .flatMap((line) => {
      const [codes, exits] = line.split('|').slice(1, 3);
      const names = [...codes.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
      const numbers = exits.split('/').map((n) => Number(n.trim()));
      if (names.length !== numbers.length) throw new Error(`docs/operations.md: ${names.length} codes, ${numbers.length} exits in ${line}`);
      return names.map((name, i): [string, number] => [name, numbers[i]]);
    });
}

describe('docs/operations.md, "Exit codes"', () => {
  it('lists every error code once, with the exit code the program uses', () => {
    const rows = documentedExitCodes();
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map(([code]) => code)).size).toBe(rows.length);
    expect(Object.fromEntries(rows)).toEqual(ERROR_CODES);
  });
});

describe('one message style over every message written in lib/', () => {
  const written = writtenErrorMessages(new Set(['AgilityPatError', ...errorClasses(errors)]));

  it('finds the messages (the scan itself works)', () => {
    expect(written.length).toBeGreaterThan(100);
    expect(written.some((w) => w.errorClass === 'InvalidInputError' && w.detailKeys.includes('prop'))).toBe(true);
  });

  /**
   * A message starts with a lower-case word: it follows `agility-pat: error [CODE] ` or a construct path. A first
   * word that is code (an HTTP method and path, `Class.member`) keeps its case.
   */
  const startsRight = (head: string): boolean =>
    /^[^A-Z]/.test(head) || /^(GET|POST|PUT|PATCH|DELETE) \//.test(head) || /^[A-Z]\w*\.\w/.test(head);

  it('every message starts lower-case (or with code)', () => {
    const wrong = written.filter((w) => w.head !== '' && !startsRight(w.head)).map((w) => `${w.file}:${w.line} ${w.head}`);
    expect(wrong).toEqual([]);
  });

  it('details name the offending input prop, never what, input, variable or field', () => {
    const others = ['what', 'input', 'variable', 'field'];
    const wrong = written
      .filter((w) => w.detailKeys.some((k) => others.includes(k)))
      .map((w) => `${w.file}:${w.line} ${w.detailKeys.join(',')}`);
    expect(wrong).toEqual([]);
  });

  it('the style check catches an upper-case message', () => {
    expect(startsRight('The stack manifest is not valid')).toBe(false);
    expect(startsRight('the stack manifest is not valid')).toBe(true);
    expect(startsRight('POST /oauth/refresh answered')).toBe(true);
  });
});
