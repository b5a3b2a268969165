import { createHmac } from 'node:crypto';
import { createSecretMinter, decodeJwtClaims, hashSecret, signJwt } from '../../lib/emulator/jwt';

describe('emulator JWTs', () => {
  const key = Buffer.alloc(32, 7);

  it('signs header.payload with HMAC-SHA256 over base64url parts', () => {
    const jwt = signJwt({ sub: '1', jti: 'j', iat: 10, exp: 20, kind: 'pat', iss: 'i' }, key);
    const [header, payload, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({
      sub: '1',
      jti: 'j',
      iat: 10,
      exp: 20,
      kind: 'pat',
      iss: 'i',
    });
    expect(signature).toBe(createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url'));
  });

  it('decodes claims, and gives undefined for values that are not JWT-shaped', () => {
    expect(decodeJwtClaims(signJwt({ sub: '2', jti: 'x', iat: 1, exp: 2, kind: 'oauth', iss: 'i' }, key))).toMatchObject({
      sub: '2',
      kind: 'oauth',
    });
    expect(decodeJwtClaims('opaque')).toBeUndefined();
    expect(decodeJwtClaims('a.!!!.c')).toBeUndefined();
  });

  it('hashes secrets with SHA-256, hex', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('remembers every secret it mints, in order, with seconds for iat and exp', () => {
    const minter = createSecretMinter(key);
    const pat = minter.pat(5, 'tok', 1_000_999, 2_000_000);
    const access = minter.accessToken(5, 0, 3_600_000);
    const refresh = minter.refreshToken();
    expect(minter.issued()).toEqual([pat, access, refresh]);
    expect(decodeJwtClaims(pat)).toMatchObject({ sub: '5', jti: 'tok', iat: 1000, exp: 2000, kind: 'pat' });
    expect(decodeJwtClaims(access)).toMatchObject({ exp: 3600, kind: 'oauth' });
    expect(refresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(minter.accessToken(5, 0, 1)).not.toBe(access);
  });
});
