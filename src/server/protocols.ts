// The one list of protocol front-ends `tessera serve` starts, and the shared cores they run on.
//
// A factory returns one ProtocolServer per enabled listener block (or [] when its protocol is off).
// What several protocols share (event bus, mail store, auth core, delivery, session control) is
// declared once with sharedResource() and obtained with ctx.use(), which creates it on first use
// and closes it after every server has stopped, newest first.
import { join } from 'node:path';
import { AuthService } from '../auth/service.js';
import { controlHttpActive } from '../config/control.js';
import { createDeliveryCore, type DeliveryCore } from '../delivery/index.js';
import { startDevIdp, devIdpBannerLines, type DevIdp, type PasswordVerdict } from '../devidp/index.js';
import type { AuthResult } from '../auth/types.js';
import { MemoryEventBus } from '../events/index.js';
import type { EventBus } from '../events/types.js';
import { createImapServers } from '../imap/index.js';
import { createJmapServer } from '../jmap/index.js';
import { createSessionControl, oidcBlocksOf, summarize, type RevocationCriteria, type SessionControl, type SessionControlDeps, type SessionSummary } from '../sessions/index.js';
import { createPop3Servers } from '../pop3/index.js';
import { createManageSieveServers } from '../managesieve/index.js';
import { createSmtpServers } from '../smtp/index.js';
import { openPostgresStore, openSqliteStore, PgEventBus, storeDirectory } from '../store/index.js';
import type { MailStore, SieveScriptLimits } from '../store/types.js';
import { servesSingletons, type ProtocolFactory, type ServerContext } from './context.js';
import { ClusterEventBus } from './cluster/event-bus.js';
import { ControlHttpServer } from './control-http.js';
import { demoUserResource, type SeededDemoUser } from './demo-user.js';
import { StartupError } from './errors.js';
import { startStoreSweeper, type StoreSweeper } from './store-maintenance.js';
import { sharedResource } from './resources.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { HttpRoute } from '../core/http.js';
import { collectQueueMetrics } from '../delivery/metrics.js';
import { providerChecks, queueCheck, storeCheck, usersCheck } from './health-checks.js';
import { operatorRoutes } from './operator-routes.js';
import type { HealthCheck } from '../core/health.js';
import { createWebAdminServer, type SessionAdmin } from '../webadmin/index.js';
import { tesseraVersion } from './version.js';
import { startProcessMetrics } from './process-metrics.js';
import { ClusterGather } from './cluster/worker-gather.js';
import { metrics, renderAggregated, type MetricsSnapshot } from '../core/metrics.js';
import type { SmtpServerConfig } from '../config/types.js';
import { mailAuthResource } from './mail-auth.js';
import { createDiscoverySource, discoveryRoutes } from '../discovery/index.js';

export const eventBusResource = sharedResource<EventBus>(
  'event bus',
  async (ctx) => {
    const logger = ctx.logger.child({ component: 'events' });
    const storage = ctx.config.settings.storage;
    // Several server processes on one SQLite store: events travel through the supervising primary.
    if (storage.engine !== 'postgres') return ctx.worker ? new ClusterEventBus(process, logger) : new MemoryEventBus(logger);
    // Several nodes share the database: events travel between them by LISTEN/NOTIFY.
    const bus = new PgEventBus({ url: storage.url, logger, ...(storage.schema !== undefined ? { schema: storage.schema } : {}) });
    await bus.start().catch((err: unknown) => {
      // The URL may hold a password: the error names the server, never the URL.
      throw new StartupError(`tessera.properties: storage.engine=postgres: cannot listen for other nodes' events: ${(err as Error).message}`);
    });
    logger.info({ node: bus.nodeId }, 'event bus: listening for the other nodes');
    return bus;
  },
  (bus) => bus.close(),
);

export const storeResource = sharedResource<MailStore>(
  'mail store',
  async (ctx) => {
    const { settings } = ctx.config;
    const logger = ctx.logger.child({ component: 'store' });
    const common = {
      events: await ctx.use(eventBusResource),
      logger,
      ...(settings.ingestMemory !== undefined ? { ingestBudget: settings.ingestMemory } : {}),
    };
    const storage = settings.storage;
    const store =
      storage.engine === 'postgres'
        ? await openPostgresStore({
            ...common,
            url: storage.url,
            poolSize: storage.poolSize,
            ...(storage.schema !== undefined ? { schema: storage.schema } : {}),
          }).catch((err: unknown) => {
            // The URL may hold a password: the error names the server, never the URL.
            throw new StartupError(`tessera.properties: storage.engine=postgres: cannot open the PostgreSQL store: ${(err as Error).message}`);
          })
        : await openSqliteStore({ dataDir: storeDirectory(ctx.dataDir), ...common });
    sweepers.set(store, startStoreSweeper(store, logger));
    return store;
  },
  async (store) => {
    await sweepers.get(store)?.stop();
    sweepers.delete(store);
    await store.close();
  },
);

/** The housekeeping timer of each open store, stopped before the store closes. */
const sweepers = new Map<MailStore, StoreSweeper>();

export const authResource = sharedResource<AuthService>(
  'auth core',
  async (ctx) => {
    // Delegation grants live in the mail store (MailStore.grantDelegation), next to the rights.
    const store = await ctx.use(storeResource);
    return new AuthService({
      users: ctx.users,
      logger: ctx.logger.child({ component: 'auth' }),
      throttle: ctx.config.authThrottle,
      ...(ctx.throttleStore ? { throttleStore: ctx.throttleStore } : {}),
      administrators: ctx.config.users.administratorIds ?? [],
      delegations: { mayActAs: (delegate, owner) => store.mayActAs(delegate, owner) },
      appPasswords: ctx.appPasswords,
    });
  },
  (auth) => auth.close(),
);

export const deliveryResource = sharedResource<DeliveryCore>(
  'delivery',
  async (ctx) => {
    const core = createDeliveryCore({
      store: await ctx.use(storeResource),
      users: ctx.users,
      domains: ctx.domains,
      rewrites: ctx.rewrites,
      logger: ctx.logger,
      hostname: ctx.config.smtp[0]?.helloName ?? 'localhost',
      ...(ctx.config.settings.postmaster ? { postmaster: ctx.config.settings.postmaster } : {}),
      ...(ctx.config.settings.vacationResendAfterMs !== undefined ? { vacation: { resendAfterMs: ctx.config.settings.vacationResendAfterMs } } : {}),
      outbound: {
        // One resolver setting (dnsservice.xml) for inbound checks and outbound routing.
        dns: ctx.config.mailAuth.dns,
        ...(ctx.config.settings.smarthost ? { smarthost: ctx.config.settings.smarthost } : {}),
        ...(ctx.config.settings.delayWarningMs !== undefined ? { delayReportAfterMs: ctx.config.settings.delayWarningMs } : {}),
        // Several nodes share the queue (PostgreSQL): a dead node's messages wait this long at most.
        ...(ctx.config.settings.outboundLeaseMs !== undefined ? { leaseMs: ctx.config.settings.outboundLeaseMs } : {}),
        ...(ctx.config.settings.outboundPollMs !== undefined ? { pollIntervalMs: ctx.config.settings.outboundPollMs } : {}),
      },
      signer: (await ctx.use(mailAuthResource)).signer,
    });
    core.worker.start();
    return core;
  },
  (core) => core.worker.stop(),
);

export const sessionsResource = sharedResource<SessionControl>(
  'session control',
  async (ctx) => {
    // Several server processes: the live sessions are every worker's (admin.sock, WebAdmin).
    const gather = ctx.worker ? await ctx.use(clusterGatherResource) : undefined;
    const control = createSessionControl({
      dataDir: ctx.dataDir,
      store: await ctx.use(storeResource),
      bus: await ctx.use(eventBusResource),
      logger: ctx.logger.child({ component: 'sessions' }),
      oidc: oidcBlocksOf(ctx.config),
      auth: await ctx.use(authResource),
      users: ctx.users,
      // One admin.sock per data directory: the first of several server processes serves it (and
      // its successor on reload takes the path over while the old one still runs).
      adminSocket: !servesSingletons(ctx) ? false : ctx.worker ? 'take-over' : true,
      ...(gather ? sessionsEverywhere(gather) : {}),
    });
    if (gather) {
      const stops = [
        gather.answer('sessions', () => control.registry.list().map(summarize)),
        gather.answer('count-sessions', (arg) => control.registry.matching(criteriaOf(arg)).length),
        gather.answer('end-session', (arg) => {
          const { id, reason } = (arg ?? {}) as { id?: unknown; reason?: unknown };
          return typeof id === 'string' && typeof reason === 'string' && control.registry.terminate(id, reason);
        }),
      ];
      gatherStops.set(control, () => stops.forEach((s) => s()));
    }
    await control.start();
    // A revoked app password's sessions end at once, here and on every node (the bus).
    const unsubscribe = ctx.appPasswords.onRevoked((record) =>
      control.revoke({ credential: record.id, expiresAt: record.expiresAt, reason: 'App password revoked' }),
    );
    revokedHooks.set(control, unsubscribe);
    return control;
  },
  (control) => {
    revokedHooks.get(control)?.();
    revokedHooks.delete(control);
    gatherStops.get(control)?.();
    gatherStops.delete(control);
    return control.stop();
  },
);

/** The app-password revocation hook of each session control, removed when it stops. */
const revokedHooks = new Map<SessionControl, () => void>();
/** What a worker's session control answers the other workers, withdrawn when it stops. */
const gatherStops = new Map<SessionControl, () => void>();

/** Every worker's live sessions, through the supervisor: each worker answers for its own. */
function sessionsEverywhere(gather: ClusterGather): Required<Pick<SessionControlDeps, 'listSessions' | 'countSessions' | 'endSession'>> {
  return {
    listSessions: async () => ((await gather.ask('sessions')) as SessionSummary[][]).flat(),
    countSessions: async (criteria) => ((await gather.ask('count-sessions', criteria)) as number[]).reduce((sum, n) => sum + n, 0),
    endSession: async (id, reason) => (await gather.ask('end-session', { id, reason })).includes(true),
  };
}

/** The criteria another worker sent: its string fields only (anything else names nothing). */
function criteriaOf(arg: unknown): RevocationCriteria {
  const out: Record<string, string> = {};
  if (typeof arg !== 'object' || arg === null) return out;
  for (const key of ['sid', 'sub', 'jti', 'user', 'credential', 'actor', 'issuer'] as const) {
    const value = (arg as Record<string, unknown>)[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/**
 * Every protocol server of this run, filled by the factories before any server starts; the
 * development IdP reads it to print login commands with the addresses actually bound.
 */
const listenersResource = sharedResource<ProtocolServer[]>('listeners', () => []);

async function registered<T extends ProtocolServer>(ctx: ServerContext, servers: T[]): Promise<T[]> {
  (await ctx.use(listenersResource)).push(...servers);
  return servers;
}

/** The development OpenID provider, presented as a listener so it shows in the banner and stops last. */
class DevIdpServer implements ProtocolServer {
  readonly name = 'dev-openid';
  private idp: DevIdp | undefined;
  /** Users at start, for the banner only: tokens are issued for whoever exists when asked. */
  private users: string[] = [];
  private listeners: readonly ProtocolServer[] = [];
  private demo: SeededDemoUser | undefined;

  constructor(private readonly ctx: ServerContext) {}

  async start(): Promise<void> {
    const { devIdp } = this.ctx.config.settings;
    this.listeners = await this.ctx.use(listenersResource);
    this.users = (await this.ctx.users.list()).map((u) => u.username);
    this.demo = await this.ctx.use(demoUserResource);
    const auth = await this.ctx.use(authResource);
    const users = this.ctx.users;
    this.idp = await startDevIdp({
      port: devIdp.port,
      issuer: devIdp.issuer,
      findUser: async (email) => (await users.lookup(email))?.username,
      audience: firstAudience(this.ctx) ?? 'urn:tessera:mail',
      logger: this.ctx.logger.child({ component: 'devidp' }),
      // The token endpoint is no weaker than a password login: same check, throttle and audit.
      verifyPassword: async (email, password, peer) => passwordVerdict(await auth.verifyPasswordGrant(email, password, peer)),
    });
  }

  private boundAddress(name: string | undefined): { host: string; port: number } | undefined {
    return boundAddress(this.listeners, name);
  }

  describe(): string[] {
    if (!this.idp) return [];
    const issuerLine = `Development OpenID provider: ${this.idp.issuer}`;
    const demo = `demo@${this.ctx.config.domains.defaultDomain}`;
    // The demo user is created once every listener is bound, after this provider started.
    const email = this.demo?.username ?? (this.users.includes(demo) ? demo : this.users[0]);
    if (!email) return [issuerLine, '  no users yet: add one with `tessera user add`; it gets tokens at once'];
    const imapConfig = this.ctx.config.imap.find((c) => c.enabled && !c.tls.socketTLS);
    const smtpConfig = this.ctx.config.smtp.find((c) => c.enabled && !c.tls.socketTLS && c.announce === 'always');
    const imap = this.boundAddress(imapConfig?.name);
    const smtp = this.boundAddress(smtpConfig?.name);
    const cacert = this.ctx.selfSigned?.certPath;
    return devIdpBannerLines({
      issuer: this.idp.issuer,
      email,
      needsPassword: true,
      ...(imap ? { imap: { ...imap, requireTls: imapConfig?.auth.requireSSL === true } } : {}),
      ...(smtp ? { smtp: { ...smtp, requireTls: smtpConfig?.auth.requireSSL === true } } : {}),
      ...(cacert ? { cacert } : {}),
    });
  }

  async stop(): Promise<void> {
    await this.idp?.stop();
    this.idp = undefined;
  }
}

/** Host and port a listener actually bound (port 0 in the conf becomes the real one). */
function boundAddress(listeners: readonly ProtocolServer[], name: string | undefined): { host: string; port: number } | undefined {
  const first = listeners.find((s) => s.name === name)?.describe()[0];
  if (!first) return undefined;
  const url = new URL(first.split(' ')[0]!);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

function passwordVerdict(result: AuthResult): PasswordVerdict {
  if (result.ok) return 'accepted';
  if (result.failure.code === 'throttled') return 'throttled';
  return result.failure.code === 'temporary' ? 'unavailable' : 'invalid';
}

function firstAudience(ctx: ServerContext): string | undefined {
  for (const oidc of oidcBlocksOf(ctx.config)) if (oidc.aud.length > 0) return oidc.aud[0];
  return undefined;
}

// With several server processes, the development IdP (its grants live in memory), WebAdmin and the
// control listener run in the first one only (its /healthcheck describes that process; /metrics and
// /sessions ask every process); every mail protocol runs in all of them.
const devIdpFactory: ProtocolFactory = (ctx) => (ctx.config.settings.devIdp.enabled && servesSingletons(ctx) ? [new DevIdpServer(ctx)] : []);

/**
 * The SMTP adapter's listeners: smtpserver.xml blocks, and lmtpserver.xml blocks (its LMTP dialect),
 * on the same delivery core. Messages being received are staged in spool/<spool>; nothing in it was
 * ever acknowledged.
 */
function smtpAdapterFactory(configs: (ctx: ServerContext) => SmtpServerConfig[], spool: 'smtp' | 'lmtp'): ProtocolFactory {
  return async (ctx) => {
    const enabled = configs(ctx).filter((c) => c.enabled);
    if (enabled.length === 0) return [];
    const servers = createSmtpServers(
      {
        auth: await ctx.use(authResource),
        users: ctx.users,
        domains: ctx.domains,
        delivery: (await ctx.use(deliveryResource)).service,
        logger: ctx.logger,
        sessions: await ctx.use(sessionsResource),
        spoolDir: join(ctx.dataDir, 'spool', spool),
        ...(spool === 'smtp' ? { mailAuth: (await ctx.use(mailAuthResource)).inbound } : {}),
      },
      enabled,
    );
    return registered(ctx, servers);
  };
}

const smtpFactory = smtpAdapterFactory((ctx) => ctx.config.smtp, 'smtp');
const lmtpFactory = smtpAdapterFactory((ctx) => ctx.config.lmtp, 'lmtp');

const imapFactory: ProtocolFactory = async (ctx) => {
  const enabled = ctx.config.imap.filter((c) => c.enabled);
  if (enabled.length === 0) return [];
  const servers = createImapServers(
    {
      auth: await ctx.use(authResource),
      store: await ctx.use(storeResource),
      events: await ctx.use(eventBusResource),
      groups: ctx.users,
      logger: ctx.logger,
      sessions: await ctx.use(sessionsResource),
      // APPEND literals being received are staged here; nothing in it was ever acknowledged.
      spoolDir: join(ctx.dataDir, 'spool', 'imap'),
      ...(ctx.config.settings.postmaster ? { adminContact: ctx.config.settings.postmaster } : {}),
    },
    enabled,
  );
  return registered(ctx, servers);
};

const pop3Factory: ProtocolFactory = async (ctx) => {
  const enabled = ctx.config.pop3.filter((c) => c.enabled);
  if (enabled.length === 0) return [];
  const servers = createPop3Servers(
    {
      auth: await ctx.use(authResource),
      store: await ctx.use(storeResource),
      logger: ctx.logger,
      sessions: await ctx.use(sessionsResource),
    },
    enabled,
  );
  return registered(ctx, servers);
};

/** What an account may store in Sieve scripts: the same for ManageSieve and JMAP (tessera.properties sieve.*). */
function sieveLimits(ctx: ServerContext): SieveScriptLimits {
  const { maxScripts, maxScriptSize } = ctx.config.settings.sieve;
  return { maxScripts, maxSize: maxScriptSize };
}

const managesieveFactory: ProtocolFactory = async (ctx) => {
  const enabled = ctx.config.managesieve.filter((c) => c.enabled);
  if (enabled.length === 0) return [];
  const servers = createManageSieveServers(
    {
      auth: await ctx.use(authResource),
      store: await ctx.use(storeResource),
      logger: ctx.logger,
      sessions: await ctx.use(sessionsResource),
      quota: sieveLimits(ctx),
    },
    enabled,
  );
  return registered(ctx, servers);
};
/**
 * Client discovery (autoconfig, autodiscover, OAuth metadata): rendered per request from the listener
 * configuration, the ports the listeners bound and the provider's cached discovery document.
 */
const discoveryRoutesResource = sharedResource<HttpRoute[]>('client discovery', async (ctx) => {
  if (!ctx.config.discovery.enabled) return [];
  const listeners = await ctx.use(listenersResource);
  const auth = await ctx.use(authResource);
  const source = createDiscoverySource({
    config: ctx.config,
    boundPort: (name) => boundAddress(listeners, name)?.port,
    jmapListenerName: JMAP_LISTENER_NAME,
    providerInfo: (oidc) => auth.tokenValidator(oidc).providerMetadata(),
    isLocalDomain: (domain) => ctx.domains.contains(domain),
    virtualHosting: ctx.users.virtualHosting,
    defaultDomain: ctx.config.domains.defaultDomain,
    logger: ctx.logger.child({ component: 'discovery' }),
  });
  return discoveryRoutes(source);
});

const JMAP_LISTENER_NAME = 'jmap';

const jmapFactory: ProtocolFactory = async (ctx) => {
  if (!ctx.config.jmap.enabled) return [];
  return registered(ctx, [
    createJmapServer(
      {
        auth: await ctx.use(authResource),
        users: ctx.users,
        store: await ctx.use(storeResource),
        events: await ctx.use(eventBusResource),
        logger: ctx.logger,
        delivery: (await ctx.use(deliveryResource)).service,
        sessions: await ctx.use(sessionsResource),
        // Back-channel logout on the JMAP port, where providers were told to post it so far; client
        // discovery documents on the public HTTP port.
        routes: [...(await ctx.use(sessionsResource)).httpRoutes, ...(await ctx.use(discoveryRoutesResource))],
        // Uploads being received are staged here; nothing in it was ever acknowledged.
        spoolDir: join(ctx.dataDir, 'spool', 'jmap'),
        sieve: sieveLimits(ctx),
        appPasswords: ctx.appPasswords,
      },
      ctx.config.jmap,
    ),
  ]);
};

/** The components /healthcheck reports on, for the control listener and WebAdmin alike. */
const healthChecksResource = sharedResource<HealthCheck[]>('health checks', async (ctx) => {
  const store = await ctx.use(storeResource);
  return [storeCheck(store), usersCheck(ctx.users), ...providerChecks(oidcBlocksOf(ctx.config)), queueCheck(store)];
});

/**
 * A worker's questions to every worker of several server processes (cluster/worker-gather.ts), in
 * a worker only. Created by the metrics and the sessions, which register what this worker answers.
 */
const clusterGatherResource = sharedResource<ClusterGather>(
  'questions to the other server processes',
  (ctx) => new ClusterGather(process, ctx.logger.child({ component: 'cluster' })),
  (gather) => gather.stop(),
);

/**
 * What /metrics renders, with the collectors that refresh process and queue figures per scrape:
 * this process's series, or, in a worker of several server processes, every worker's added up,
 * which is why every worker starts it (metricsFactory) whether or not it serves /metrics itself.
 */
const metricsResource = sharedResource<{ render: () => Promise<string>; stop: () => void }>(
  'metrics',
  async (ctx) => {
    const store = await ctx.use(storeResource);
    const stops = [startProcessMetrics(), collectQueueMetrics(store)];
    const stop = (): void => stops.forEach((s) => s());
    if (!ctx.worker) return { render: () => metrics.render(), stop };
    const gather = await ctx.use(clusterGatherResource);
    stops.push(gather.answer('metrics', () => metrics.snapshot()));
    // The snapshots come from this code in the other workers: plain data of prom-client's shape.
    return { render: async () => renderAggregated((await gather.ask('metrics')) as MetricsSnapshot[]), stop };
  },
  (m) => m.stop(),
);

const metricsFactory: ProtocolFactory = async (ctx) => {
  await ctx.use(metricsResource);
  return [];
};

/** /metrics and /healthcheck. */
const operatorRoutesResource = sharedResource<HttpRoute[]>('metrics and health', async (ctx) =>
  operatorRoutes(await ctx.use(healthChecksResource), (await ctx.use(metricsResource)).render),
);

/** Session control as WebAdmin's /sessions sees it. */
function sessionAdmin(control: SessionControl): SessionAdmin {
  return {
    list: () => control.list(),
    end: (id, reason) => control.endSession(id, reason),
    revokeUser: async (user, reason, known) => {
      // Counted once: with several server processes, a question to every worker.
      const matched = await control.countSessions({ user });
      if (!known && matched === 0) return undefined;
      // Recorded and published: every node ends the user's sessions, and tokens issued so far are refused.
      await control.revoke({ user, reason });
      return matched;
    },
    endDelegated: (owner, delegate) => control.endDelegated(owner, delegate),
  };
}

/** WebAdmin (webadmin.properties): James' REST administration API. */
const webAdminFactory: ProtocolFactory = async (ctx) => {
  const { webadmin } = ctx.config;
  if (!webadmin.enabled || !servesSingletons(ctx)) return [];
  const auth = await ctx.use(authResource);
  const oidcBlock = ctx.config.jmap.auth.oidc ?? oidcBlocksOf(ctx.config)[0];
  const oidc = webadmin.oidc.enabled && oidcBlock ? { validator: auth.tokenValidator(oidcBlock), isAdministrator: (u: string) => auth.isAdministrator(u) } : undefined;
  const server = createWebAdminServer(
    webadmin,
    {
      users: ctx.users,
      domains: ctx.domains,
      rewrites: ctx.rewrites,
      ...(ctx.groups ? { groups: ctx.groups } : {}),
      store: await ctx.use(storeResource),
      sessions: sessionAdmin(await ctx.use(sessionsResource)),
      health: await ctx.use(healthChecksResource),
      wakeQueue: (() => {
        const delivery = ctx.use(deliveryResource);
        return () => void delivery.then((d) => d.worker.wake());
      })(),
      events: auth.recentEvents,
      appPasswords: ctx.appPasswords,
    },
    { logger: ctx.logger.child({ component: 'webadmin' }), version: tesseraVersion(), ...(oidc ? { oidc } : {}) },
  );
  return registered(ctx, [server]);
};

/** The control listener: the cores' HTTP routes when JMAP is off, or wherever control.http.bind says. */
const controlHttpFactory: ProtocolFactory = async (ctx) => {
  if (!controlHttpActive(ctx.config) || !servesSingletons(ctx)) return [];
  const sessions = await ctx.use(sessionsResource);
  // Discovery documents here only when there is no JMAP listener to publish them.
  const discovery = ctx.config.jmap.enabled ? [] : await ctx.use(discoveryRoutesResource);
  const routes = [...sessions.httpRoutes, ...(await ctx.use(operatorRoutesResource)), ...discovery];
  return registered(ctx, [new ControlHttpServer(ctx.config.control.http.bind, routes, ctx.logger.child({ component: 'control-http' }))]);
};

/**
 * Session control starts before the protocols (which admit every login to it): revocations,
 * back-channel logout, re-validation, expiry timers, admin socket.
 */
const sessionsFactory: ProtocolFactory = async (ctx) => {
  await ctx.use(sessionsResource);
  return [];
};

export const protocolFactories: ProtocolFactory[] = [devIdpFactory, sessionsFactory, metricsFactory, smtpFactory, lmtpFactory, imapFactory, pop3Factory, managesieveFactory, jmapFactory, controlHttpFactory, webAdminFactory];
