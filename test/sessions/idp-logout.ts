// Makes the test OpenID provider end an OP session and send its back-channel logout, through
// oidc-provider's own code path (Client#backchannelLogout, what end_session/confirm calls for each
// client of the session): the logout token is built, signed with the provider's keys and POSTed to the
// client's backchannel_logout_uri by oidc-provider itself.
//
// src/testing/oidc-provider.ts does not (yet) expose the provider object nor an end-session helper,
// and its authorization-code flow keeps the OP session cookie to itself, so this reaches the provider
// inside the harness at run time and checks the shape it finds.
//
// oidc-provider refuses to POST to loopback and private addresses (SSRF protection: its fetch uses a
// dispatcher that destroys such sockets), and the harness does not configure `fetch` to allow them, so
// during the call the provider's outgoing request to the test endpoint (and only that URL) is sent
// without that dispatcher. The dev IdP has the same limit when Tessera runs on localhost.
import type { TestIdp } from '../../src/testing/oidc-provider.js';

interface LogoutCapableClient {
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

interface ProviderWithClients {
  Client: { find(id: string): Promise<LogoutCapableClient | undefined> };
}

function isProvider(value: unknown): value is ProviderWithClients {
  const client = (value as { Client?: { find?: unknown } } | undefined)?.Client;
  return typeof client?.find === 'function';
}

export async function endSessionAtProvider(idp: TestIdp, sub: string, sid: string, logoutUrl: string): Promise<void> {
  const inner: unknown = Reflect.get(idp, 'idp');
  const provider: unknown = inner && typeof inner === 'object' ? Reflect.get(inner, 'provider') : undefined;
  if (!isProvider(provider)) throw new Error('test IdP harness changed: cannot reach its oidc-provider instance');
  const client = await provider.Client.find(idp.clientId);
  if (!client) throw new Error(`client ${idp.clientId} unknown to the provider`);
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url !== logoutUrl || !init) return realFetch(input, init);
    const { dispatcher: _ssrfGuard, ...rest } = init as RequestInit & { dispatcher?: unknown };
    return realFetch(input, rest);
  };
  try {
    await client.backchannelLogout(sub, sid);
  } finally {
    globalThis.fetch = realFetch;
  }
}
