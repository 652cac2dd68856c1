// Starts a real Tessera IMAP server for tests: SQLite store in a fresh temp directory, in-process
// event bus, the real AuthService over an in-memory users repository, listening on 127.0.0.1:0.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { AuthConfig, ImapServerConfig } from '../../src/config/types.js';
import type { Principal } from '../../src/auth/types.js';
import type { SessionAdmission } from '../../src/core/sessions.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { MailStore } from '../../src/store/types.js';
import { AuthService } from '../../src/auth/service.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { ImapServer } from '../../src/imap/server.js';
import { startTestSessionControl, type TestSessionControl } from '../support/session-control.js';

export interface HarnessOptions {
  auth?: Partial<AuthConfig>;
  users?: Record<string, string>;
  /** 'clear' (default), 'starttls' or 'implicit'. */
  tls?: 'clear' | 'starttls' | 'implicit';
  config?: Partial<ImapServerConfig>;
  /** The postmaster address served as the /shared/admin server annotation. */
  adminContact?: string;
}

export interface ImapHarness {
  port: number;
  /** The store's data directory (store.sqlite, blobs/). */
  dataDir: string;
  server: ImapServer;
  store: MailStore;
  events: MemoryEventBus;
  users: MemoryUsersRepository;
  auth: AuthService;
  /** The session registry logins are admitted to (revocations end them). */
  sessions: TestSessionControl;
  /** Principals of the logins the server admitted, in order (what a client authenticated as). */
  admitted: Principal[];
  /** PEM of the self-signed certificate when TLS is on. */
  cert?: string;
  close(): Promise<void>;
}

let cachedCert: { key: string; cert: string } | undefined;

async function testCertificate(): Promise<{ key: string; cert: string }> {
  if (!cachedCert) {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    cachedCert = { key: pems.private, cert: pems.cert };
  }
  return cachedCert;
}

export function imapConfig(overrides: Partial<ImapServerConfig> = {}): ImapServerConfig {
  return {
    protocol: 'imap',
    name: 'imap-test',
    enabled: true,
    bind: [{ host: '127.0.0.1', port: 0 }],
    tls: { socketTLS: false, startTLS: false, selfSigned: false },
    connectionLimit: 0,
    connectionLimitPerIP: 0,
    proxyRequired: false,
    helloName: 'tessera.test',
    auth: { plainAuthEnabled: true, requireSSL: false },
    timeout: 300,
    tokenExpiry: { action: 'ignore' },
    source: 'test',
    maxLineLength: 65536,
    maxLiteralSize: 50 * 1024 * 1024,
    preAuthSizeLimit: 64 * 1024,
    ...overrides,
  };
}

export async function startImap(options: HarnessOptions = {}): Promise<ImapHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-imap-'));
  const logger = silentLogger();
  const events = new MemoryEventBus(logger);
  const store = await openSqliteStore({ dataDir: dir, events, logger });
  const users = new MemoryUsersRepository(options.users ?? {});
  const auth = new AuthService({ users, logger, throttle: { userFreeFailures: 1000, userBlockAfter: 100000, addressFreeFailures: 1000, addressBlockAfter: 100000 } });
  let cert: { key: string; cert: string } | undefined;
  const mode = options.tls ?? 'clear';
  if (mode !== 'clear') cert = await testCertificate();
  const config = imapConfig({
    auth: { plainAuthEnabled: true, requireSSL: false, ...options.auth },
    tls: {
      socketTLS: mode === 'implicit',
      startTLS: mode === 'starttls',
      selfSigned: false,
      ...(cert ? { key: Buffer.from(cert.key), cert: Buffer.from(cert.cert) } : {}),
    },
    ...options.config,
  });
  const sessions = await startTestSessionControl({ bus: events, store, logger, auth, oidc: config.auth.oidc ? [config.auth.oidc] : [] });
  const admitted: Principal[] = [];
  // The server sees the real session control; the harness only notes who was admitted.
  const recording: SessionAdmission = {
    admit: (registration) => {
      admitted.push(registration.principal);
      return sessions.admit(registration);
    },
    isRevoked: (principal) => sessions.isRevoked(principal),
  };
  const server = new ImapServer({ auth, store, events, logger, sessions: recording, spoolDir: join(dir, 'spool', 'imap'), ...(options.adminContact ? { adminContact: options.adminContact } : {}) }, config);
  await server.start();
  const port = server.ports()[0]!;
  return {
    port,
    dataDir: dir,
    server,
    store,
    events,
    users,
    auth,
    sessions,
    admitted,
    ...(cert ? { cert: cert.cert } : {}),
    async close() {
      await server.stop(new Date(Date.now() + 500));
      await sessions.close();
      await store.close();
      await events.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
