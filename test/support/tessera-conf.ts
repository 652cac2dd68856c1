// Pieces of a James-layout conf directory that the full-server tests (test/e2e, test/ldap,
// test/sessions) all write: the `<oidc>` block and the jmap.properties that point at a test
// OpenID provider, and reading back the port a listener bound when the conf said port 0.
import type { RunningServer } from '../../src/server/serve.js';
import type { ProtocolServer } from '../../src/core/protocol.js';
import type { TestIdp } from './oidc-provider.js';

/**
 * tessera.properties lines that keep the login throttle out of the way, for tests that send many
 * deliberately wrong logins from one address (throttling has its own test, test/e2e/login-throttle).
 */
export const RELAXED_LOGIN_THROTTLE: readonly string[] = [
  'auth.throttle.address.freeFailures=1000',
  'auth.throttle.address.blockAfter=100000',
  'auth.throttle.user.freeFailures=1000',
  'auth.throttle.user.blockAfter=100000',
];

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An `<oidc>` block accepting the provider's JWT access tokens; `introspect` adds RFC 7662 introspection. */
export function oidcXml(idp: TestIdp, options: { introspect?: boolean; revalidateInterval?: number } = {}): string {
  const introspection = options.introspect
    ? `
        <introspection>
          <url>${xmlEscape(idp.introspectionUrl)}</url>
          <auth>${xmlEscape(idp.clientAuthorization)}</auth>
        </introspection>`
    : '';
  const revalidate =
    options.revalidateInterval === undefined ? '' : `\n        <revalidateInterval>${options.revalidateInterval}</revalidateInterval>`;
  return `<oidc>
        <oidcConfigurationURL>${xmlEscape(idp.discoveryUrl)}</oidcConfigurationURL>
        <claim>email</claim>
        <scope>${xmlEscape(idp.scope)}</scope>
        <aud>${xmlEscape(idp.audience)}</aud>
        <clientId>${xmlEscape(idp.clientId)}</clientId>${introspection}${revalidate}
      </oidc>`;
}

/**
 * jmap.properties for plain HTTP on 127.0.0.1, port 0 (fetch has no per-request CA option, so
 * passwords are allowed without TLS here), validating tokens with the provider.
 */
export function jmapProperties(
  idp: TestIdp,
  options: { strategies: string; plainAuthEnabled: boolean; tokenExpiry?: 'ignore' | 'disconnect' },
): string {
  return [
    'enabled=true',
    'jmap.host=127.0.0.1',
    'jmap.port=0',
    'tls.enabled=false',
    `authentication.strategy.rfc8621=${options.strategies}`,
    `auth.plainAuthEnabled=${options.plainAuthEnabled}`,
    'auth.requireSSL=false',
    `oidc.oidcConfigurationURL=${idp.discoveryUrl}`,
    'oidc.claim=email',
    `oidc.scope=${idp.scope}`,
    `oidc.aud=${idp.audience}`,
    `oidc.clientId=${idp.clientId}`,
    ...(options.tokenExpiry ? [`tokenExpiry.action=${options.tokenExpiry}`] : []),
    '',
  ].join('\n');
}

/** The port a listener bound, from its describe() lines ("imaps://127.0.0.1:40123 (TLS)", "http://…/jmap"). */
export function boundPort(server: ProtocolServer): number {
  for (const line of server.describe()) {
    const m = /^[a-z][a-z0-9]*:\/\/(?:\[[^\]]+\]|[^/:\s]+):(\d+)/.exec(line);
    if (m && Number(m[1]) !== 0) return Number(m[1]);
  }
  throw new Error(`${server.name} reports no bound address: ${JSON.stringify(server.describe())}`);
}

/** The bound port of the listener named `name` in a running server. */
export function listenerPort(running: RunningServer, name: string): number {
  const server = running.servers.find((s) => s.name === name);
  if (!server) throw new Error(`no listener named ${name}; have ${running.servers.map((s) => s.name).join(', ')}`);
  return boundPort(server);
}
