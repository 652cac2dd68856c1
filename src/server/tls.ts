// TLS material `tessera serve` prepares before the listeners start: the generated self-signed
// certificate for every enabled listener that turns TLS on without configuring key material
// (TlsConfig.selfSigned), and the names such a certificate must cover; and, for a TLS reload,
// each listener block's settings by the block's source.
import { isIP } from 'node:net';
import type { TesseraConfig, TlsConfig } from '../config/types.js';
import type { SelfSignedCertificate } from './context.js';

export interface TlsUser {
  /** Listener name, for logs. */
  name: string;
  tls: TlsConfig;
  helloName?: string;
  hosts: string[];
}

/** Every enabled listener with TLS on whose TLS settings match `wants`. */
export function tlsUsers(config: TesseraConfig, wants: (tls: TlsConfig) => boolean): TlsUser[] {
  const out: TlsUser[] = [];
  const on = (tls: TlsConfig | undefined): tls is TlsConfig => !!tls && (tls.socketTLS || tls.startTLS) && wants(tls);
  for (const l of [...config.imap, ...config.smtp, ...config.pop3, ...config.managesieve]) {
    if (l.enabled && on(l.tls)) out.push({ name: l.name, tls: l.tls, helloName: l.helloName, hosts: l.bind.map((b) => b.host) });
  }
  if (config.jmap.enabled && on(config.jmap.tls)) {
    let host: string | undefined;
    try {
      host = new URL(config.jmap.urlPrefix).hostname.replace(/^\[|\]$/g, '');
    } catch {
      host = undefined;
    }
    out.push({ name: 'jmap', tls: config.jmap.tls, hosts: [config.jmap.bind.host, ...(host ? [host] : [])] });
  }
  return out;
}

/** Host names and addresses a certificate for `users` should cover. */
export function certificateNames(users: TlsUser[]): string[] {
  const wildcard = new Set(['0.0.0.0', '::', '']);
  const names = users.flatMap((u) => [...(u.helloName ? [u.helloName] : []), ...u.hosts.filter((h) => !wildcard.has(h))]);
  // Hello names first (the CN), then the loopback names every local client uses.
  return [...names.filter((n) => isIP(n) === 0), 'localhost', ...names.filter((n) => isIP(n) !== 0), '127.0.0.1', '::1'];
}

const needsSelfSigned = (tls: TlsConfig): boolean => tls.selfSigned;

/** Host names and addresses for the certificate, or undefined when no listener needs it. */
export function selfSignedNames(config: TesseraConfig): string[] | undefined {
  const users = tlsUsers(config, needsSelfSigned);
  return users.length === 0 ? undefined : certificateNames(users);
}

export function applySelfSigned(config: TesseraConfig, cert: SelfSignedCertificate): void {
  for (const { tls } of tlsUsers(config, needsSelfSigned)) {
    tls.key = cert.key;
    tls.cert = cert.cert;
  }
}

/** Every listener block's TLS settings by its `source` (ListenerCommon.source), for a TLS reload. */
export function tlsBySource(config: TesseraConfig): Map<string, TlsConfig> {
  const out = new Map<string, TlsConfig>();
  for (const l of [...config.imap, ...config.smtp, ...config.lmtp, ...config.pop3, ...config.managesieve]) out.set(l.source, l.tls);
  if (config.jmap.tls) out.set(config.jmap.source, config.jmap.tls);
  if (config.webadmin.tls) out.set(config.webadmin.source, config.webadmin.tls);
  return out;
}
