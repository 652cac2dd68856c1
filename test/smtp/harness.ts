// Starts a complete SMTP server for a test: real users database, real AuthService, real store under a
// fresh temp directory, the delivery core with its outbound worker, and one listener on 127.0.0.1:0.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthConfig, SmtpServerConfig } from '../../src/config/types.js';
import { AuthService } from '../../src/auth/service.js';
import { createEmbeddedUsersRepository, type EmbeddedUsers } from '../../src/auth/users/sqlite-users.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { EventBus } from '../../src/events/types.js';
import type { MailStore } from '../../src/store/types.js';
import { createDeliveryCore, type DeliveryCore, type DeliveryCoreOptions } from '../../src/delivery/index.js';
import { SmtpServer } from '../../src/smtp/server.js';
import type { SessionLimits } from '../../src/smtp/limits.js';
import type { InboundAuthenticator } from '../../src/core/mail-auth.js';
import { startTestSessionControl, type TestSessionControl } from '../support/session-control.js';
import { testCertificate } from './certificate.js';
import { openTestStore } from './store.js';

export const DOMAIN = 'example.test';
export const USERS: Record<string, string> = {
  [`alice@${DOMAIN}`]: 'alice-secret-password',
  [`bob@${DOMAIN}`]: 'bob-secret-password',
};

export interface HarnessOptions {
  config?: Partial<SmtpServerConfig>;
  auth?: Partial<AuthConfig>;
  outbound?: DeliveryCoreOptions['outbound'];
  limits?: Partial<SessionLimits>;
  domains?: string[];
  users?: Record<string, string>;
  startWorker?: boolean;
  /** Delivery's postmaster option (RFC 5321 §4.5.1). */
  postmaster?: string;
  /** Reuse a data directory (restart tests); it is then left in place on close. */
  dir?: string;
  /** DKIM signing of outbound mail (the delivery core's signer). */
  signer?: DeliveryCoreOptions['signer'];
  /** Inbound SPF/DKIM/DMARC/ARC verification (SmtpDeps.mailAuth). */
  mailAuth?: InboundAuthenticator;
  /** Opens the mail store (default: SQLite under the test's directory); closed with the harness. */
  openStore?: (dir: string, events: EventBus, logger: Logger) => Promise<MailStore>;
}

export interface SmtpHarness {
  dir: string;
  port: number;
  server: SmtpServer;
  store: MailStore;
  users: EmbeddedUsers;
  auth: AuthService;
  core: DeliveryCore;
  logger: Logger;
  events: MemoryEventBus;
  /** The session registry AUTH logins are admitted to (revocations end them). */
  sessions: TestSessionControl;
  close(): Promise<void>;
}

export async function smtpConfig(overrides: Partial<SmtpServerConfig> = {}, auth: Partial<AuthConfig> = {}): Promise<SmtpServerConfig> {
  const { key, cert } = await testCertificate();
  return {
    protocol: 'smtp',
    name: 'smtp-test',
    enabled: true,
    bind: [{ host: '127.0.0.1', port: 0 }],
    tls: { socketTLS: false, startTLS: true, key, cert, selfSigned: true },
    connectionLimit: 0,
    connectionLimitPerIP: 0,
    proxyRequired: false,
    helloName: 'mx.example.test',
    auth: { plainAuthEnabled: true, requireSSL: false, ...auth },
    timeout: 60,
    tokenExpiry: { action: 'ignore' },
    source: 'test',
    announce: 'always',
    requireAuthForRelay: true,
    authorizedAddresses: [],
    verifyIdentity: 'strict',
    authRequired: false,
    maxMessageSize: 1024 * 1024,
    maxRecipients: 100,
    maxLineLength: 1000,
    disabledCommands: [],
    ...overrides,
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<SmtpHarness> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tessera-smtp-')));
  const logger = silentLogger();
  const domains = options.domains ?? [DOMAIN];
  const users = await createEmbeddedUsersRepository(
    dir,
    { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
    { domainnames: domains, defaultDomain: domains[0]! },
    logger,
  );
  for (const [name, password] of Object.entries(options.users ?? USERS)) {
    if (!(await users.users.lookup(name))) await users.users.add(name, password);
  }
  const events = new MemoryEventBus(logger);
  const store = await (options.openStore ?? openTestStore)(dir, events, logger);
  const auth = new AuthService({ users: users.users, logger, throttle: { } });
  const core = createDeliveryCore({
    store,
    users: users.users,
    domains: users.domains,
    logger,
    hostname: 'mx.example.test',
    ...(options.postmaster ? { postmaster: options.postmaster } : {}),
    ...(options.signer ? { signer: options.signer } : {}),
    outbound: { pollIntervalMs: 200, retryDelaysMs: [200, 200], timeoutMs: 5000, ...options.outbound },
  });
  if (options.startWorker !== false) core.worker.start();
  const config = await smtpConfig(options.config, options.auth);
  const sessions = await startTestSessionControl({ bus: events, store, logger, auth, oidc: config.auth.oidc ? [config.auth.oidc] : [] });
  const server = new SmtpServer(config, { auth, users: users.users, domains: users.domains, delivery: core.service, logger, sessions, spoolDir: join(dir, 'spool'), limits: options.limits, ...(options.mailAuth ? { mailAuth: options.mailAuth } : {}) });
  await server.start();
  const port = server.addresses()[0]!.port;
  return {
    dir,
    port,
    server,
    store,
    users,
    auth,
    core,
    logger,
    events,
    sessions,
    async close() {
      await server.stop(new Date(Date.now() + 500));
      await sessions.close();
      await core.worker.stop();
      await auth.close();
      await store.close();
      await events.close();
      await users.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Messages in a user's INBOX (or the mailbox of another role: 'junk'), as raw text. */
export async function inboxMessages(store: MailStore, user: string, role: 'inbox' | 'junk' = 'inbox'): Promise<string[]> {
  const account = await store.getAccount(user);
  if (!account) return [];
  const inbox = await store.findMailboxByRole(user, role);
  if (!inbox) return [];
  const snap = await store.snapshot(user, inbox.id);
  const out: string[] = [];
  for (const m of snap.messages) {
    const bytes = await store.readMessage(user, m.emailId);
    if (bytes) out.push(bytes.toString('utf8'));
  }
  return out;
}
