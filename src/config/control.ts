// tessera.properties `control.http.*`: the small HTTP listener for what the cores serve over HTTP
// themselves (today OpenID Connect back-channel logout), so it works whatever protocols are
// enabled. With JMAP on, the JMAP server serves those routes too and this listener is only started
// when asked for; with JMAP off it starts by itself as soon as a listener takes OIDC tokens.
// Loopback by default: a provider on another host reaches it through a TLS reverse proxy.
import type { PropertiesReader } from './properties.js';
import type { ControlConfig, TesseraConfig } from './types.js';
import { parseEnum, parseHostPort } from './values.js';

export const DEFAULT_CONTROL_HTTP_BIND = { host: '127.0.0.1', port: 8001 } as const;

export function readControlSettings(props: PropertiesReader): ControlConfig {
  const bind = props.parse('control.http.bind', parseHostPort);
  const enabled = props.parse('control.http.enabled', (raw) => parseEnum(raw.toLowerCase(), ['auto', 'true', 'false'] as const));
  return {
    http: {
      // An address given on purpose means the listener is wanted, unless turned off outright.
      enabled: enabled === 'true' ? true : enabled === 'false' ? false : bind !== undefined ? true : 'auto',
      bind: bind ?? { ...DEFAULT_CONTROL_HTTP_BIND },
    },
  };
}

/** Whether `tessera serve` starts the control listener for this configuration. */
export function controlHttpActive(config: Pick<TesseraConfig, 'control' | 'jmap' | 'imap' | 'smtp' | 'pop3' | 'managesieve'>): boolean {
  const { enabled } = config.control.http;
  if (enabled !== 'auto') return enabled;
  // Back-channel logout is the only route: without JMAP to serve it, it is needed as soon as some
  // listener accepts tokens from a provider that may send logout tokens.
  return !config.jmap.enabled && [...config.imap, ...config.smtp, ...config.pop3, ...config.managesieve].some((l) => l.enabled && l.auth.oidc !== undefined);
}
