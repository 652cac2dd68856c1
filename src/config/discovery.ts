// tessera.properties `discovery.*`: what mail clients are told when they look the server up
// (Thunderbird autoconfig, Microsoft autodiscover, OAuth metadata, DNS SRV records). Ports always come
// from the listeners themselves; these keys only say what the listeners cannot know: the public host
// name behind NAT or a load balancer, and the OAuth client registered for native mail apps.
import type { PropertiesReader } from './properties.js';
import type { DiscoveryConfig } from './types.js';
import { InvalidValue, parseBoolean, parseHost } from './values.js';

export function readDiscoverySettings(props: PropertiesReader): DiscoveryConfig {
  const enabled = props.parse('discovery.enabled', parseBoolean) ?? true;
  const hostname = props.parse('discovery.hostname', parseHost);
  const displayName = props.parse('discovery.displayName', (raw) => {
    if (raw.length > 100 || /[\u0000-\u001f]/.test(raw)) throw new InvalidValue('a name of at most 100 characters');
    return raw;
  });
  const clientId = props.parse('discovery.oauth2.clientId', (raw) => {
    if (!/^[\x21-\x7e]{1,200}$/.test(raw)) throw new InvalidValue('the client_id registered at the OpenID provider for native mail apps');
    return raw;
  });
  const scopes = props.parse('discovery.oauth2.scopes', (raw) => {
    const list = raw.split(/\s+/).filter((s) => s !== '');
    // RFC 6749 §3.3 scope-token: printable ASCII without space, quote or backslash.
    if (list.length === 0 || list.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
      throw new InvalidValue('space-separated OAuth scopes, e.g. openid email offline_access');
    }
    return list;
  });
  return {
    enabled,
    ...(hostname !== undefined ? { hostname } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    ...(scopes !== undefined ? { scopes } : {}),
  };
}
