// Gives the generated self-signed certificate to every enabled listener that turns TLS on without
// configuring key material (TlsConfig.selfSigned), and picks the names the certificate must cover.
import { isIP } from 'node:net';
import type { TesseraConfig, TlsConfig } from '../config/types.js';
import type { SelfSignedCertificate } from './context.js';

interface TlsUser {
  tls: TlsConfig;
  helloName?: string;
  hosts: string[];
}

function listenersNeedingSelfSigned(config: TesseraConfig): TlsUser[] {
  const out: TlsUser[] = [];
  const wants = (tls: TlsConfig | undefined): tls is TlsConfig => !!tls && tls.selfSigned && (tls.socketTLS || tls.startTLS);
  for (const l of [...config.imap, ...config.smtp]) {
    if (l.enabled && wants(l.tls)) out.push({ tls: l.tls, helloName: l.helloName, hosts: l.bind.map((b) => b.host) });
  }
  if (config.jmap.enabled && wants(config.jmap.tls)) {
    let host: string | undefined;
    try {
      host = new URL(config.jmap.urlPrefix).hostname.replace(/^\[|\]$/g, '');
    } catch {
      host = undefined;
    }
    out.push({ tls: config.jmap.tls, hosts: [config.jmap.bind.host, ...(host ? [host] : [])] });
  }
  return out;
}

/** Host names and addresses for the certificate, or undefined when no listener needs it. */
export function selfSignedNames(config: TesseraConfig): string[] | undefined {
  const users = listenersNeedingSelfSigned(config);
  if (users.length === 0) return undefined;
  const wildcard = new Set(['0.0.0.0', '::', '']);
  const names = users.flatMap((u) => [...(u.helloName ? [u.helloName] : []), ...u.hosts.filter((h) => !wildcard.has(h))]);
  // Hello names first (the CN), then the loopback names every local client uses.
  return [...names.filter((n) => isIP(n) === 0), 'localhost', ...names.filter((n) => isIP(n) !== 0), '127.0.0.1', '::1'];
}

export function applySelfSigned(config: TesseraConfig, cert: SelfSignedCertificate): void {
  for (const { tls } of listenersNeedingSelfSigned(config)) {
    tls.key = cert.key;
    tls.cert = cert.cert;
  }
}
