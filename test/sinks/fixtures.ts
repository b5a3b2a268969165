import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryContext } from '../../lib/sinks';

/** A JWT-shaped fake secret (Agility PATs are JWTs). */
export const SECRET = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzaW5rLXRlc3QifQ.c2lnbmF0dXJlLW5vdC1yZWFs';

export const CTX: DeliveryContext = {
  declaredName: 'ci-deploy',
  managedName: 'ci-deploy [cdktf:prod~3fa9c1/g2931]',
  expiryDate: '2027-01-31T00:00:00.000Z',
  generation: 2931,
  tokenId: 'tok-42',
};

/** A fresh temporary directory per test, removed afterwards. */
export function useTempDir(): () => string {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agility-pat-sinks-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** The permission bits of a mode. */
export const perms = (mode: number): number => mode & 0o777;
