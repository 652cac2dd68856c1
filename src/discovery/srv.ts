// DNS SRV records for mail client discovery: RFC 6186 (_imap, _imaps, _pop3, _pop3s, _submission)
// with RFC 8314 §5.1 (_submissions; implicit TLS preferred by a lower priority number), and RFC 8620
// §2.2 (_jmap). A service Tessera does not offer is published as "not available" (target ".", RFC 6186 §4)
// so clients stop looking for it.
import type { MailEndpoint } from './types.js';

export interface SrvRecord {
  name: string;
  priority: number;
  weight: number;
  port: number;
  target: string;
}

const SERVICES: ReadonlyArray<{ label: string; protocol: MailEndpoint['protocol']; security: MailEndpoint['security'] }> = [
  { label: '_imaps', protocol: 'imap', security: 'tls' },
  { label: '_imap', protocol: 'imap', security: 'starttls' },
  { label: '_submissions', protocol: 'smtp', security: 'tls' },
  { label: '_submission', protocol: 'smtp', security: 'starttls' },
  { label: '_pop3s', protocol: 'pop3', security: 'tls' },
  { label: '_pop3', protocol: 'pop3', security: 'starttls' },
];

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** The records for `domain`, implicit TLS before STARTTLS (RFC 8314 §5.1: priority 0 vs 10). */
export function srvRecords(domain: string, endpoints: readonly MailEndpoint[], jmap?: { host: string; port: number }): SrvRecord[] {
  const zone = fqdn(domain.toLowerCase());
  const records: SrvRecord[] = [];
  for (const service of SERVICES) {
    const found = endpoints.find((e) => e.protocol === service.protocol && e.security === service.security);
    const name = `${service.label}._tcp.${zone}`;
    if (found) records.push({ name, priority: service.security === 'tls' ? 0 : 10, weight: 1, port: found.port, target: fqdn(found.host) });
    else records.push({ name, priority: 0, weight: 0, port: 0, target: '.' });
  }
  const jmapName = `_jmap._tcp.${zone}`;
  records.push(jmap ? { name: jmapName, priority: 0, weight: 1, port: jmap.port, target: fqdn(jmap.host) } : { name: jmapName, priority: 0, weight: 0, port: 0, target: '.' });
  return records;
}

/** Zone-file lines: `_imaps._tcp.example.org. 3600 IN SRV 0 1 993 mail.example.org.` */
export function formatSrvZone(records: readonly SrvRecord[], ttl = 3600): string {
  return records.map((r) => `${r.name} ${ttl} IN SRV ${r.priority} ${r.weight} ${r.port} ${r.target}`).join('\n') + '\n';
}
