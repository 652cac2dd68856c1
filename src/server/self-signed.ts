// The certificate used by listeners that enable TLS without configuring key material. It is kept in
// <dataDir>/tls/ and reused across restarts, so a client that pinned (or trusted) it keeps working;
// it is regenerated only when missing, unreadable, mismatched or about to expire.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { Logger } from '../log/logger.js';
import type { SelfSignedCertificate } from './context.js';

const VALIDITY_DAYS = 3650;
/** Regenerate when less than this is left, rather than fail clients a day later. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

export function selfSignedPaths(dataDir: string): { dir: string; keyPath: string; certPath: string } {
  const dir = join(dataDir, 'tls');
  return { dir, keyPath: join(dir, 'self-signed.key'), certPath: join(dir, 'self-signed.crt') };
}

async function readExisting(keyPath: string, certPath: string): Promise<{ key: Buffer; cert: Buffer; x509: X509Certificate } | string> {
  let key: Buffer;
  let cert: Buffer;
  try {
    [key, cert] = await Promise.all([readFile(keyPath), readFile(certPath)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return `unreadable (${(err as Error).message})`;
  }
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return 'its key does not match';
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return `it expires ${x509.validTo}`;
    return { key, cert, x509 };
  } catch (err) {
    return `unparsable (${(err as Error).message})`;
  }
}

async function writeAtomically(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

/**
 * A new RSA key and self-signed server certificate (PEM) for `names`: host names and addresses,
 * lower-cased and deduplicated; the first host name is the CN, every name a subjectAltName.
 */
export async function generateSelfSignedPem(names: string[]): Promise<{ names: string[]; key: string; cert: string }> {
  const unique = [...new Set(names.map((n) => n.trim().toLowerCase()).filter(Boolean))];
  const commonName = unique.find((n) => isIP(n) === 0) ?? 'localhost';
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Tessera self-signed' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: unique.map((n) => (isIP(n) !== 0 ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
      },
    ],
  });
  return { names: unique, key: pems.private, cert: pems.cert };
}

/**
 * Returns the persisted self-signed certificate, generating it first if needed. `names` are the
 * host names and addresses clients use (helloName, localhost, 127.0.0.1); the first is the CN.
 */
export async function ensureSelfSignedCertificate(dataDir: string, names: string[], logger: Logger): Promise<SelfSignedCertificate> {
  const { dir, keyPath, certPath } = selfSignedPaths(dataDir);
  const existing = await readExisting(keyPath, certPath);
  if (typeof existing !== 'string') {
    logger.info({ certPath, fingerprint256: existing.x509.fingerprint256 }, `using self-signed certificate at ${certPath}`);
    return { key: existing.key, cert: existing.cert, keyPath, certPath, fingerprint256: existing.x509.fingerprint256 };
  }
  if (existing !== 'missing') logger.warn({ certPath }, `regenerating the self-signed certificate: ${existing}`);

  const { names: unique, key: privatePem, cert: certPem } = await generateSelfSignedPem(names);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first: a crash in between leaves a mismatched pair, which the next start detects and redoes.
  await writeAtomically(keyPath, privatePem, 0o600);
  await writeAtomically(certPath, certPem, 0o644);
  const x509 = new X509Certificate(certPem);
  logger.info({ certPath, keyPath, names: unique, fingerprint256: x509.fingerprint256 }, `generated self-signed certificate at ${certPath}`);
  return {
    key: Buffer.from(privatePem),
    cert: Buffer.from(certPem),
    keyPath,
    certPath,
    fingerprint256: x509.fingerprint256,
  };
}
