// dnsservice.xml → the DNS servers SPF, DKIM, DMARC and ARC lookups go to, and the outbound queue's
// MX, address and MTA-STS lookups. James lists them as
// `<servers><server>IP</server>…</servers>`; `<autodiscover>true</autodiscover>` adds the system's
// own (as James does). Without the file, or without servers, the system resolver answers. A server
// may carry a port (`127.0.0.1:5353`, `[::1]:5353`), which James has no use for but a local stub
// resolver (and Tessera's tests) need. James' cache and authoritative settings do not apply: the
// resolver is the system's stub, and caching is left to the recursive server it asks.
import { isIP } from 'node:net';
import type { FileContext } from './context.js';
import type { DnsConfig } from './types.js';
import { InvalidValue, parseBoolean, parsePort } from './values.js';
import { parseXmlDocument, warnUnused, XmlSection } from './xml.js';

const IGNORED: ReadonlyMap<string, string> = new Map([
  ['maxcachesize', 'answers are cached by the recursive resolver, not by Tessera'],
  ['authoritative', 'Tessera asks recursive resolvers only'],
  ['singleIPperMX', 'MX handling is the outbound delivery\'s'],
  ['negativeCacheTTL', 'answers are cached by the recursive resolver, not by Tessera'],
]);

/** One `<server>`: an IP address with an optional port, in the form node:dns `setServers` takes. */
export function parseDnsServer(raw: string): string {
  const v = raw.trim();
  if (isIP(v) !== 0) return v;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:\s]+):(\d+)$/.exec(v);
  if (m && isIP(m[1] ?? '') !== 0) {
    parsePort(m[2] ?? '');
    return v;
  }
  throw new InvalidValue('an IP address, optionally with a port: 192.0.2.53, 127.0.0.1:5353, [2001:db8::53]:53');
}

export const SYSTEM_DNS: DnsConfig = { servers: [], useSystem: true };

export function loadDnsServiceFile(ctx: FileContext, text: string | undefined): DnsConfig {
  if (text === undefined) return SYSTEM_DNS;
  const root = parseXmlDocument(ctx, text);
  if (root.name !== 'dnsservice') ctx.fail('(root)', `<${root.name}>`, 'the root element must be <dnsservice>', 'unexpected root element');
  const sec = new XmlSection(ctx, root, 'dnsservice');
  const servers = (sec.child('servers')?.children('server') ?? []).flatMap((s) => {
    const raw = s.el.text.trim();
    return raw === '' ? [] : [ctx.parse(s.key, raw, parseDnsServer)];
  });
  const auto = sec.text('autodiscover');
  const autodiscover = auto ? ctx.parse(auto.key, auto.raw, parseBoolean) : true;
  warnUnused(ctx, root, 'dnsservice', IGNORED);
  // No servers at all means the system's, whatever autodiscover says: a server must ask someone.
  return { servers, useSystem: autodiscover || servers.length === 0 };
}
