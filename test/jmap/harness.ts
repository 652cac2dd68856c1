// A real JMAP server for tests: SQLite store in a temp dir, in-process event bus, in-memory users,
// the real AuthService, listening on 127.0.0.1 port 0.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JmapConfig } from '../../src/config/types.js';
import { AuthService } from '../../src/auth/service.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { MailStore } from '../../src/store/types.js';
import type { DeliveryService } from '../../src/core/delivery.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { createJmapServer, type JmapServer } from '../../src/jmap/index.js';
import { AppPasswordService, SqliteAppPasswords } from '../../src/auth/app-passwords/index.js';
import { openUsersDatabase } from '../../src/auth/users/database.js';
import type { JmapAuthenticator } from '../../src/jmap/auth/types.js';
import type { OidcConfig } from '../../src/config/types.js';
import type { WebPushTiming } from '../../src/jmap/push/webpush/service.js';
import { startTestSessionControl, type TestSessionControl } from '../support/session-control.js';

export const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

export function jmapConfig(overrides: Partial<JmapConfig> = {}): JmapConfig {
  return {
    enabled: true,
    bind: { host: '127.0.0.1', port: 0 },
    urlPrefix: '',
    strategies: ['basic'],
    auth: { plainAuthEnabled: true, requireSSL: false },
    xUser: { headerName: 'X-User', trustedProxies: [], secrets: [] },
    proxyRequired: false,
    maxSizeUpload: 1_000_000,
    maxConcurrentUpload: 4,
    maxSizeRequest: 1_000_000,
    maxConcurrentRequests: 4,
    maxCallsInRequest: 16,
    maxObjectsInGet: 500,
    maxObjectsInSet: 500,
    tokenExpiry: { action: 'ignore' },
    source: 'test jmap.properties',
    ...overrides,
  };
}

export interface Harness {
  url: string;
  /** The server's data directory (store, spool). */
  dir: string;
  server: JmapServer;
  store: MailStore;
  bus: MemoryEventBus;
  users: MemoryUsersRepository;
  logger: Logger;
  /** Session control the server admits push channels to and answers back-channel logout with. */
  sessions: TestSessionControl;
  basic(user: string, pass?: string): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<JmapConfig>;
  users?: Record<string, string>;
  delivery?: (store: MailStore, users: MemoryUsersRepository, logger: Logger) => DeliveryService;
  auth?: JmapAuthenticator;
  logger?: Logger;
  /** Shorter PushSubscription delays (coalescing, retry backoff). */
  webPushTiming?: Partial<WebPushTiming>;
  /** The store as the JMAP server sees it (a wrapper that checks how it is read); the harness's own calls use the real one. */
  serverStore?: (store: MailStore) => MailStore;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-jmap-'));
  const logger = options.logger ?? silentLogger();
  const bus = new MemoryEventBus(logger);
  const store = await openSqliteStore({ dataDir: dir, events: bus, logger });
  const users = new MemoryUsersRepository(options.users ?? { 'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw' });
  // App passwords live in users.sqlite, as in `tessera serve`, checked against the same users.
  const usersDb = openUsersDatabase(dir);
  const appPasswords = new AppPasswordService({ store: new SqliteAppPasswords(usersDb), users });
  const auth = options.auth ?? new AuthService({ users, logger, appPasswords });
  const delivery = options.delivery?.(store, users, logger);
  const config = jmapConfig(options.config);
  const oidc: OidcConfig[] = config.auth.oidc ? [config.auth.oidc] : [];
  const sessions = await startTestSessionControl({ bus, store, logger, oidc, ...(auth instanceof AuthService ? { auth } : {}) });
  const server = createJmapServer(
    { auth, users, store: options.serverStore?.(store) ?? store, events: bus, logger, hostname: 'tessera.test', sessions, routes: sessions.httpRoutes, spoolDir: join(dir, 'spool', 'jmap'), appPasswords, ...(delivery ? { delivery } : {}), ...(options.webPushTiming ? { webPushTiming: options.webPushTiming } : {}) },
    config,
  );
  await server.start();
  const passwords = options.users ?? { 'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw' };
  return {
    url: `http://127.0.0.1:${server.port()}`,
    dir,
    server,
    store,
    bus,
    users,
    logger,
    sessions,
    basic: (user, pass) => 'Basic ' + Buffer.from(`${user}:${pass ?? passwords[user] ?? ''}`).toString('base64'),
    async close() {
      await server.stop(new Date(Date.now() + 1000));
      await sessions.close();
      await store.close();
      await bus.close();
      usersDb.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function post(h: Harness, body: unknown, auth: string = h.basic('alice@example.com')): Promise<ApiResult> {
  const res = await fetch(`${h.url}/jmap`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

export type Call = [string, Record<string, unknown>, string];

/**
 * The user's account id as a client learns it: the mail account of the session resource
 * (RFC 8620 §2). Ids are opaque; tests never assume how they are made.
 */
export async function accountIdOf(h: Harness, user = 'alice@example.com'): Promise<string> {
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic(user) } });
  if (res.status !== 200) throw new Error(`session for ${user}: HTTP ${res.status}`);
  const session = (await res.json()) as { primaryAccounts: Record<string, string> };
  const id = session.primaryAccounts['urn:ietf:params:jmap:mail'];
  if (!id) throw new Error(`session for ${user} has no mail account`);
  return id;
}

/** Runs method calls as alice and returns methodResponses. */
export async function call(h: Harness, calls: Call[], using: string[] = USING, auth?: string): Promise<Call[]> {
  const r = await post(h, { using, methodCalls: calls }, auth);
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.methodResponses as Call[];
}

/** A small RFC 5322 message with CRLF line ends. */
export function message(opts: { from?: string; to?: string; subject?: string; body?: string; messageId?: string; date?: string; extra?: string } = {}): Buffer {
  const lines = [
    `From: ${opts.from ?? 'Bob <bob@example.com>'}`,
    `To: ${opts.to ?? 'Alice <alice@example.com>'}`,
    `Subject: ${opts.subject ?? 'Hello'}`,
    `Date: ${opts.date ?? 'Tue, 03 Nov 2026 10:00:00 +0100'}`,
    `Message-ID: <${opts.messageId ?? Math.random().toString(36).slice(2) + '@example.com'}>`,
    ...(opts.extra ? [opts.extra] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? 'Hi Alice, lunch tomorrow?',
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}
