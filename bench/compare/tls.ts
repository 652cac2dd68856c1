// The comparison's TLS material: one self-signed RSA-2048 certificate for mail.compare.test, made
// with openssl for the run, used by every server under test so the handshakes cost the same.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DOMAIN } from './idp.js';

export interface TlsFiles {
  keyPath: string;
  certPath: string;
}

export async function makeCertificate(dir: string): Promise<TlsFiles> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=mail.${DOMAIN}`, '-keyout', keyPath, '-out', certPath], {
    stdio: 'ignore',
  });
  // Postfix's smtpd reads the key after dropping to its own user.
  await chmod(dir, 0o755);
  await chmod(keyPath, 0o644);
  return { keyPath, certPath };
}
