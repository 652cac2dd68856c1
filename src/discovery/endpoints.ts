// The listeners a mail client may use, read from the listener configuration: enabled IMAP and POP3
// blocks, and the SMTP blocks that offer AUTH (submission; an MX listener with announce=never is not
// for clients). Only TLS listeners (implicit or STARTTLS) that accept some credential are announced:
// a client is never told to send a password in clear. Ports are those actually bound when known
// (`tessera serve`), else the configured ones (`tessera dns-srv`).
import type { DiscoveryConfig, ListenerCommon, OidcConfig, TesseraConfig } from '../config/types.js';
import type { MailEndpoint, MailProtocol } from './types.js';

/** The port a listener bound, by its name (jmxName); undefined = take the configured one. */
export type BoundPort = (listenerName: string) => number | undefined;

export type EndpointConfig = Pick<TesseraConfig, 'imap' | 'smtp' | 'pop3' | 'jmap'> & { discovery: DiscoveryConfig };

export function mailEndpoints(config: EndpointConfig, boundPort: BoundPort = () => undefined): MailEndpoint[] {
  const listeners: Array<[MailProtocol, ListenerCommon]> = [
    ...config.imap.map((l): [MailProtocol, ListenerCommon] => ['imap', l]),
    ...config.pop3.map((l): [MailProtocol, ListenerCommon] => ['pop3', l]),
    ...config.smtp.filter((l) => l.announce !== 'never' && !l.lmtp).map((l): [MailProtocol, ListenerCommon] => ['smtp', l]),
  ];
  const endpoints: MailEndpoint[] = [];
  for (const [protocol, l] of listeners) {
    if (!l.enabled || l.bind.length === 0) continue;
    const security = l.tls.socketTLS ? 'tls' : l.tls.startTLS ? 'starttls' : undefined;
    const passwords = l.auth.plainAuthEnabled;
    const oauth = l.auth.oidc !== undefined;
    if (security === undefined || (!passwords && !oauth)) continue;
    endpoints.push({ protocol, host: config.discovery.hostname ?? l.helloName, port: boundPort(l.name) ?? l.bind[0]!.port, security, passwords, oauth });
  }
  // RFC 8314 §3: implicit TLS first; otherwise configuration order.
  return endpoints.sort((a, b) => (a.security === b.security ? 0 : a.security === 'tls' ? -1 : 1));
}

/** The `oidc` block clients are pointed at: JMAP's, else the first announced listener's. */
export function announcedOidc(config: EndpointConfig): OidcConfig | undefined {
  if (config.jmap.enabled && config.jmap.auth.oidc) return config.jmap.auth.oidc;
  const blocks = [...config.imap, ...config.smtp.filter((l) => l.announce !== 'never'), ...config.pop3];
  return blocks.find((l) => l.enabled && l.auth.oidc !== undefined)?.auth.oidc;
}

const DEFAULT_SCOPES = ['openid', 'email', 'offline_access'];

export function oauthScopes(config: EndpointConfig, oidc: OidcConfig): string[] {
  if (config.discovery.scopes) return [...config.discovery.scopes];
  const configured = oidc.scope?.split(/\s+/).filter((s) => s !== '');
  return configured && configured.length > 0 ? configured : [...DEFAULT_SCOPES];
}

/** The JMAP listener's public base URL: jmap.properties url.prefix, with the bound port when it was 0. */
export function jmapBaseUrl(config: EndpointConfig, boundPort: BoundPort, jmapListenerName: string): string | undefined {
  // An empty prefix (port 0 without url.prefix): the routes take the URL the client used.
  if (!config.jmap.enabled || config.jmap.urlPrefix === '') return undefined;
  const url = new URL(config.jmap.urlPrefix);
  const bound = boundPort(jmapListenerName);
  if (url.port === '0' && bound !== undefined) url.port = String(bound);
  if (config.discovery.hostname && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]')) {
    // A loopback prefix is the default when url.prefix is unset: the public name is the better guess.
    url.hostname = config.discovery.hostname;
  }
  return url.toString().replace(/\/+$/, '');
}
