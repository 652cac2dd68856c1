// The JMAP front-end: `createJmapServer(deps, config)` returns the ProtocolServer `tessera serve`
// starts. Everything else in src/jmap is reachable from here.
import { hostname as osHostname } from 'node:os';
import type { JmapConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ProtocolServer } from '../core/protocol.js';
import { NetListener } from '../net/index.js';
import type { EventBus } from '../events/types.js';
import type { MailStore, SieveScriptLimits } from '../store/types.js';
import type { DeliveryService } from '../core/delivery.js';
import type { UsersRepository } from '../auth/users/types.js';
import { limitsFromConfig } from './capabilities.js';
import { JmapApp } from './app.js';
import type { AppPasswordManager } from './methods/app-password.js';
import { JmapHttpServer } from './http/server.js';
import { buildStrategies } from './auth/strategies.js';
import type { JmapAuthenticator } from './auth/types.js';
import type { SessionAdmission } from '../core/sessions.js';
import type { HttpRoute } from '../core/http.js';
import { SpoolDir } from '../store/index.js';
import { DEFAULT_WEBPUSH_SETTINGS, type WebPushTiming } from './push/webpush/service.js';

export type { JmapAuthenticator } from './auth/types.js';
export { XUserMisconfiguredError } from './auth/xuser.js';
export { InvalidCidrError } from '../net/cidr.js';

export interface JmapDeps {
  /** The auth core's AuthService (Basic → loginWithPassword, Bearer → loginWithBearer). */
  auth: JmapAuthenticator;
  /**
   * For X-User: the named user must exist. With `list`, the users are JMAP principals (RFC 9670
   * Principal/get, Mailbox shareWith). With `groupsOf`, "$group" ACL entries count for the group's
   * members (read on every request).
   */
  users: Pick<UsersRepository, 'lookup'> & Partial<Pick<UsersRepository, 'list' | 'groupsOf'>>;
  store: MailStore;
  events: EventBus;
  logger: Logger;
  /** EmailSubmission is offered only when set. */
  delivery?: DeliveryService;
  /** Host name for Message-IDs of composed mail (default: os.hostname()). */
  hostname?: string;
  /**
   * Session control: push channels are admitted here (revocation, re-introspection and token expiry
   * close them), and token requests of revoked sessions get 401.
   */
  sessions: SessionAdmission;
  /**
   * Routes of other cores served on this HTTP server before JMAP's own (e.g. session control's
   * POST /oidc/backchannel-logout); they handle their own authentication.
   */
  routes?: readonly HttpRoute[];
  /**
   * Where uploads are staged while their body arrives (`tessera serve` gives <data dir>/spool/jmap);
   * nothing in it was ever acknowledged, so start() empties it.
   */
  spoolDir: string;
  /** App passwords of the signed-in user (AppPassword/get, /set under urn:tessera:app-passwords). */
  appPasswords?: AppPasswordManager;
  /** Tests shorten PushSubscription retry and coalescing delays. */
  webPushTiming?: Partial<WebPushTiming>;
  /** What SieveScript/set lets an account store (tessera.properties sieve.*, shared with ManageSieve). */
  sieve?: SieveScriptLimits;
}

export interface JmapServer extends ProtocolServer {
  /** The bound port (useful with port 0 in tests); undefined before start(). */
  port(): number | undefined;
  /** The JMAP methods the dispatcher registers, so conformance tests can enumerate them all. */
  methods(): string[];
}

/**
 * Builds the JMAP server. Throws at once (start-up error) on configuration that cannot be honoured,
 * such as X-User with neither trusted proxies nor a secret, a malformed CIDR, or TLS without a
 * usable certificate.
 */
export function createJmapServer(deps: JmapDeps, config: JmapConfig): JmapServer {
  const limits = limitsFromConfig(config);
  const logger = deps.logger.child({ protocol: 'jmap' });
  const spool = new SpoolDir(deps.spoolDir);
  const app = new JmapApp({
    spool,
    store: deps.store,
    events: deps.events,
    logger,
    limits,
    hostname: deps.hostname ?? osHostname(),
    ...(deps.delivery ? { delivery: deps.delivery } : {}),
    webPush: { ...DEFAULT_WEBPUSH_SETTINGS, ...config.webPush },
    isRevoked: (principal) => deps.sessions.isRevoked(principal),
    ...(deps.webPushTiming ? { webPushTiming: deps.webPushTiming } : {}),
    ...(deps.sieve ? { sieve: deps.sieve } : {}),
    ...(deps.appPasswords ? { appPasswords: deps.appPasswords } : {}),
    ...(deps.users.list ? { users: { list: deps.users.list.bind(deps.users) } } : {}),
    ...(deps.users.groupsOf ? { groups: { groupsOf: deps.users.groupsOf.bind(deps.users) } } : {}),
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
    routes: deps.routes ?? [],
    trustedProxies: config.xUser.trustedProxies,
    spool,
  });
  const tls = config.tls ?? { socketTLS: false, startTLS: false };
  const listener = new NetListener({
    // jmap.properties has no connection limits; per-request limits are JMAP's own (maxConcurrentRequests).
    settings: { name: 'jmap', source: config.source, bind: [config.bind], tls, connectionLimit: 0, connectionLimitPerIP: 0, proxy: config.proxy },
    refusal: () => 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    logger,
    onConnection: (c) => http.accept(c.socket, c.remoteAddress),
  });
  return {
    name: 'jmap',
    async start(): Promise<void> {
      await spool.prepare();
      await app.webPush.start();
      await listener.start();
    },
    describe(): string[] {
      const strategies = ` (strategies: ${config.strategies.join(', ')})`;
      return listener.urls(tls.socketTLS ? 'https' : 'http').map((u) => `${u}/jmap${strategies}`);
    },
    port(): number | undefined {
      return listener.ports()[0];
    },
    methods: () => app.methodNames(),
    reloadTls: (material) => (listener.reloadTls(material) ? 1 : 0),
    stop: (deadline: Date): Promise<void> => {
      app.webPush.stop();
      return listener.stop(deadline, { shutdown: () => http.closeStreams(), expire: () => http.destroyAll() });
    },
  };
}
