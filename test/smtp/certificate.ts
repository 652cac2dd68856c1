// One self-signed certificate per test process (RSA generation is slow; reuse it).
import { generate } from 'selfsigned';

let cached: Promise<{ key: Buffer; cert: Buffer }> | undefined;

export function testCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  cached ??= generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' }).then((p) => ({
    key: Buffer.from(p.private),
    cert: Buffer.from(p.cert),
  }));
  return cached;
}
