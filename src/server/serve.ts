// The server lifecycle behind `tessera serve`: load the conf directory, open users and domains,
// prepare TLS and the first-start demo user, start every protocol server, and stop them all on
// request. Signals are the CLI's business; this module is usable in-process by tests.
import { resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../config/load.js';
import { ListenError } from '../net/index.js';
import type { LogLevel, TesseraConfig } from '../config/types.js';
import { createLogger, stderrLogDestination, type Logger } from '../log/logger.js';
import { formatBanner } from './banner.js';
import { servesSingletons, type ProtocolFactory, type SelfSignedCertificate, type ServerContext, type WorkerRole } from './context.js';
import { lockDataDirectory } from './data-lock.js';
import { demoUserResource, seedDemoUser } from './demo-user.js';
import { StartupError } from './errors.js';
import { ResourceRegistry } from './resources.js';
import { ensureGeneratedKeystores } from './keystore.js';
import { startupChecks } from './startup-checks.js';
import { ensureSelfSignedCertificate } from './self-signed.js';
import { applySelfSigned, selfSignedNames, tlsBySource } from './tls.js';
import type { ProtocolServer } from '../core/protocol.js';
import { openUsers, type OpenedUsers } from './users.js';
import { AppPasswordService } from '../auth/app-passwords/service.js';
import { detectDomains } from './detect-domains.js';
import { tesseraVersion } from './version.js';

export interface ServeIO {
  /** What a person reads: the banner and the one-time demo password. */
  stdout: NodeJS.WritableStream;
  /** Where JSON log lines go (default: stderr). */
  logDestination: DestinationStream;
  env: NodeJS.ProcessEnv;
}

export interface ServeOptions {
  confDir: string;
  /** Overrides the level of tessera.properties (`--log-level`). */
  logLevel?: LogLevel;
  factories: readonly ProtocolFactory[];
  io?: Partial<ServeIO>;
  /**
   * Set in a worker of `server.processes` > 1: the supervising primary holds the data directory's
   * lock, and only the first slot prints the banner and seeds the demo user.
   */
  worker?: WorkerRole;
}

export interface RunningServer {
  readonly config: TesseraConfig;
  readonly context: ServerContext;
  readonly servers: readonly ProtocolServer[];
  readonly logger: Logger;
  /**
   * Stops accepting, gives in-flight commands settings.shutdownTimeout seconds, then closes shared
   * resources and the users database. Safe to call more than once.
   */
  stop(): Promise<void>;
  /**
   * Reads the configuration again and gives every TLS listener the key material it names now (a
   * renewed certificate); everything else stays as started. Resolves with how many listeners took
   * new material; rejects (ConfigError, naming file and key) when the configuration cannot be read,
   * and then nothing changed. A listener whose new material is unusable keeps its old one (logged).
   */
  reloadTls(): Promise<number>;
}

/**
 * The generated self-signed certificate for the listeners that turn TLS on without key material, and
 * the James keystores still to create: filled into `config`, at start and at every TLS reload.
 */
async function prepareTlsMaterial(config: TesseraConfig, logger: Logger): Promise<SelfSignedCertificate | undefined> {
  let selfSigned: SelfSignedCertificate | undefined;
  const names = selfSignedNames(config);
  if (names) {
    selfSigned = await ensureSelfSignedCertificate(config.settings.dataDir, names, logger);
    applySelfSigned(config, selfSigned);
  }
  await ensureGeneratedKeystores(config, logger);
  return selfSigned;
}

/** Extra time past the deadline before a protocol server that has not stopped is given up on. */
const STOP_GRACE_MS = 5000;

async function stopServers(servers: readonly ProtocolServer[], deadline: Date, logger: Logger): Promise<void> {
  await Promise.all(
    servers.map(async (server) => {
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), Math.max(0, deadline.getTime() - Date.now()) + STOP_GRACE_MS);
      });
      try {
        const outcome = await Promise.race([server.stop(deadline).then(() => 'stopped' as const), giveUp]);
        if (outcome === 'timeout') logger.error({ server: server.name }, 'protocol server did not stop in time; closing anyway');
      } catch (err) {
        logger.error({ err, server: server.name }, 'error while stopping a protocol server');
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

export async function runServe(options: ServeOptions): Promise<RunningServer> {
  const io: ServeIO = {
    stdout: options.io?.stdout ?? process.stdout,
    logDestination: options.io?.logDestination ?? stderrLogDestination(),
    env: options.io?.env ?? process.env,
  };
  const confDir = resolve(options.confDir);
  const { config, warnings, notices } = await loadConfig(confDir, { env: io.env });
  // Before anything under the data directory is opened or written: a second server on the same
  // directory stops here, with one line naming the first one.
  const worker = options.worker;
  const lock = worker ? { release: () => {} } : lockDataDirectory(config.settings.dataDir);
  const root = createLogger(options.logLevel ?? config.settings.logLevel, io.logDestination);
  // Each line of a worker names it, so that an operator (and the tests) can tell who served what.
  const logger = worker ? root.child({ worker: worker.slot }) : root;
  for (const w of warnings) logger.warn({ file: w.file, key: w.key }, w.message);
  for (const n of notices) logger.info({ file: n.file, key: n.key, notice: 'safer than James' }, n.message);
  const checks = startupChecks(config);
  for (const w of checks.warnings) logger.warn({ where: w.where }, w.message);
  for (const n of checks.notices) logger.info({ where: n.where, notice: 'safer than James' }, n.message);

  let opened: OpenedUsers;
  try {
    config.domains = await detectDomains(config.domains, logger);
    opened = await openUsers(config, logger);
  } catch (err) {
    lock.release();
    throw err;
  }
  const resources = new ResourceRegistry(logger);
  const started: ProtocolServer[] = [];
  const cleanup = async (deadline: Date): Promise<void> => {
    try {
      await stopServers(started.splice(0).reverse(), deadline, logger);
      await resources.closeAll();
      await opened.close();
    } finally {
      lock.release();
    }
  };

  try {
    const selfSigned = await prepareTlsMaterial(config, logger);

    const context: ServerContext = {
      config,
      logger,
      users: opened.users,
      domains: opened.domains,
      appPasswords: new AppPasswordService({ store: opened.embedded.appPasswords, users: opened.users }),
      rewrites: opened.embedded.rewrites,
      ...(opened.embedded.throttleStore ? { throttleStore: opened.embedded.throttleStore } : {}),
      ...(config.users.kind === 'embedded' ? { groups: opened.embedded.groups } : {}),
      dataDir: config.settings.dataDir,
      ...(selfSigned ? { selfSigned } : {}),
      ...(worker ? { worker } : {}),
      use: (resource) => resources.use(resource, context),
      onShutdown: (name, close) => resources.onShutdown(name, close),
    };

    const servers: ProtocolServer[] = [];
    for (const factory of options.factories) servers.push(...(await factory(context)));
    for (const server of servers) {
      try {
        await server.start();
      } catch (err) {
        // A half-bound server may hold some of its addresses: stop it with the others.
        started.push(server);
        // A bind failure already names the listener, its address and configuration, and the fix.
        if (err instanceof ListenError) throw new StartupError(err.message, { cause: err });
        const reason = err instanceof Error ? err.message : String(err);
        throw new StartupError(`${server.name} could not start: ${reason}`, { cause: err });
      }
      started.push(server);
      logger.info({ server: server.name, addresses: server.describe() }, 'listening');
    }

    // Only now that every listener is bound: a failed start leaves the one-time password unused.
    // Several workers: the first one alone seeds the demo user and prints the banner.
    const first = servesSingletons(context);
    if (!opened.users.readOnly && first) {
      const demo = await seedDemoUser(opened.embedded, config, logger);
      if (demo) {
        (await context.use(demoUserResource)).username = demo.username;
        io.stdout.write(
          `Created the demo user ${demo.username} with password: ${demo.password}\n` +
            `  (shown only this once; change it with: tessera user passwd ${demo.username} --conf ${confDir})\n`,
        );
      }
    }

    if (first) {
      io.stdout.write(
        formatBanner({ version: tesseraVersion(), servers, dataDir: config.settings.dataDir, confDir, ...(selfSigned ? { selfSigned } : {}) }),
      );
    }
    logger.info({ confDir, dataDir: config.settings.dataDir, servers: servers.map((s) => s.name) }, 'tessera started');

    let stopping: Promise<void> | undefined;
    return {
      config,
      context,
      servers,
      logger,
      reloadTls: async () => {
        const { config: next } = await loadConfig(confDir, { env: io.env });
        await prepareTlsMaterial(next, logger);
        const material = tlsBySource(next);
        let reloaded = 0;
        for (const server of servers) {
          try {
            reloaded += server.reloadTls?.((source) => material.get(source)) ?? 0;
          } catch (err) {
            logger.error({ server: server.name, err: (err as Error).message }, 'TLS reload: new key material unusable; this listener keeps its certificate');
          }
        }
        return reloaded;
      },
      stop: () => {
        stopping ??= (async () => {
          const deadline = new Date(Date.now() + config.settings.shutdownTimeout * 1000);
          logger.info({ deadline: deadline.toISOString() }, 'stopping');
          await cleanup(deadline);
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    logger.error({ err }, 'start-up failed');
    await cleanup(new Date());
    throw err;
  }
}
