import { ConfigError, InvalidInputError, hasErrorCode, withConstructPath } from '../../lib/core/errors';

describe('withConstructPath', () => {
  it('puts the construct path in front of an INVALID_INPUT message and in its details, keeping the rest', () => {
    const original = new InvalidInputError('rotation.every must be at least 1 day, got 4 hours.', {
      prop: 'rotation.every',
      value: 'PT4H',
    });
    const e = withConstructPath(original, 'prod/CiDeploy');
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    if (!hasErrorCode(e, 'INVALID_INPUT')) return;
    expect(e.message).toBe('prod/CiDeploy: rotation.every must be at least 1 day, got 4 hours.');
    expect(e.details).toEqual({ prop: 'rotation.every', value: 'PT4H', constructPath: 'prod/CiDeploy' });
    expect((e as InvalidInputError).constructPath).toBe('prod/CiDeploy');
    expect(e.cause).toBe(original);
    expect(e.exitCode).toBe(original.exitCode);
  });

  it('leaves an error that already names its construct as it is, so the path is added once', () => {
    const named = new InvalidInputError('the token name "a" is already used by prod/A.', {}, { constructPath: 'prod/B' });
    expect(named.message).toBe('prod/B: the token name "a" is already used by prod/A.');
    expect(withConstructPath(named, 'prod/Outer')).toBe(named);
  });

  it('leaves other errors as they are', () => {
    const config = new ConfigError('manifest unreadable');
    const plain = new Error('boom');
    expect(withConstructPath(config, 'prod/CiDeploy')).toBe(config);
    expect(withConstructPath(plain, 'prod/CiDeploy')).toBe(plain);
  });
});
