import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A key and self-signed certificate for 127.0.0.1 and localhost, made when asked, and the file a client trusts it by. */
export interface LoopbackCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate written to `dir`, for `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string;
}

/**
 * Makes a fresh loopback certificate (EC P-256, valid one day) and writes it to `dir/loopback-ca.pem`. Node's crypto
 * makes keys but cannot sign an X.509 certificate, hence the `selfsigned` package (a dev dependency: only the bench
 * and the tests serve TLS).
 */
export async function makeLoopbackCertificate(dir: string): Promise<LoopbackCertificate> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const selfsigned = require('selfsigned') as typeof import('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'agility-pat loopback' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const caFile = join(dir, 'loopback-ca.pem');
  writeFileSync(caFile, pems.cert);
  return { key: pems.private, cert: pems.cert, caFile };
}
