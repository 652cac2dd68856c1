// The JMAP front-end: `createJmapServer(deps, config)` returns the ProtocolServer `tessera serve`
// starts. Everything else in src/jmap is reachable from here.
import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { JmapConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { EventBus } from '../events/types.js';
import type { MailStore } from '../store/types.js';
import type { DeliveryService } from '../core/delivery.js';
import type { UsersRepository } from '../auth/users/types.js';
import { limitsFromConfig } from './capabilities.js';
import { JmapApp } from './app.js';
import { JmapHttpServer } from './http/server.js';
import { buildStrategies } from './auth/strategies.js';
import type { JmapAuthenticator } from './auth/types.js';
import type { JmapSessionControl } from '../sessions/types.js';

export type { JmapAuthenticator } from './auth/types.js';
export { XUserMisconfiguredError } from './auth/xuser.js';
export { InvalidCidrError } from './auth/cidr.js';

export interface JmapDeps {
  /** The auth core's AuthService (Basic → loginWithPassword, Bearer → loginWithBearer). */
  auth: JmapAuthenticator;
  /** For X-User: the named user must exist. */
  users: Pick<UsersRepository, 'lookup'>;
  store: MailStore;
  events: EventBus;
  logger: Logger;
  /** EmailSubmission is offered only when set. */
  delivery?: DeliveryService;
  /** Host name for Message-IDs of composed mail (default: os.hostname()). */
  hostname?: string;
  /**
   * Session control: push channels are admitted here (revocation, re-introspection and token expiry
   * close them), token requests of revoked sessions get 401, and POST /oidc/backchannel-logout is
   * answered by it.
   */
  sessions: JmapSessionControl;
}

export interface JmapServer extends ProtocolServer {
  /** The bound port (useful with port 0 in tests); undefined before start(). */
  port(): number | undefined;
}

/**
 * Builds the JMAP server. Throws at once (start-up error) on configuration that cannot be honoured,
 * such as X-User with neither trusted proxies nor a secret, or a malformed CIDR.
 */
export function createJmapServer(deps: JmapDeps, config: JmapConfig): JmapServer {
  const limits = limitsFromConfig(config);
  const logger = deps.logger.child({ protocol: 'jmap' });
  const app = new JmapApp({
    store: deps.store,
    events: deps.events,
    logger,
    limits,
    hostname: deps.hostname ?? osHostname(),
    ...(deps.delivery ? { delivery: deps.delivery } : {}),
  });
  const strategies = buildStrategies(config, deps.auth, deps.users, logger);
  const http = new JmapHttpServer({
    backend: app,
    strategies,
    limits,
    logger,
    urlPrefix: config.urlPrefix,
    auth: config.auth,
    tokenExpiry: config.tokenExpiry,
    sessions: deps.sessions,
    ...(config.tls ? { tls: config.tls } : {}),
  });
  const secure = (): boolean => Boolean(config.tls?.socketTLS && (config.tls.key || config.tls.pfx));
  return {
    name: 'jmap',
    async start(): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(new Error(`JMAP cannot listen on ${config.bind.host}:${config.bind.port}: ${err.message}`));
        http.server.once('error', onError);
        http.server.listen(config.bind.port, config.bind.host, () => {
          http.server.off('error', onError);
          resolve();
        });
      });
    },
    describe(): string[] {
      const addr = http.server.address() as AddressInfo | null;
      if (addr === null) return [];
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return [`${secure() ? 'https' : 'http'}://${host}:${addr.port}/jmap (strategies: ${config.strategies.join(', ')})`];
    },
    port(): number | undefined {
      const addr = http.server.address() as AddressInfo | null;
      return addr?.port;
    },
    async stop(deadline: Date): Promise<void> {
      if (!http.server.listening) return;
      const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.closeStreams();
      const wait = Math.max(0, deadline.getTime() - Date.now());
      const timer = setTimeout(() => http.destroyAll(), wait);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}
