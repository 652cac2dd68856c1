// Child process of restart-server.ts: a Tessera IMAP server over the store in argv[2],
// one user (argv[3], password argv[4]). Prints "PORT <n>" once listening; shuts down cleanly and
// exits when its stdin closes. Running it in its own process makes a restart forget everything
// that lives only in memory.
import { join } from 'node:path';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/index.js';
import { AuthService } from '../../src/auth/service.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { ImapServer } from '../../src/imap/server.js';
import { startTestSessionControl } from '../support/session-control.js';
import { imapConfig } from './harness.js';

const [dataDir, user, password] = process.argv.slice(2);
if (!dataDir || !user || !password) throw new Error('usage: restart-child <dataDir> <user> <password>');

const logger = silentLogger();
const events = new MemoryEventBus(logger);
const store = await openSqliteStore({ dataDir, events, logger });
const users = new MemoryUsersRepository({ [user]: password });
const auth = new AuthService({ users, logger, throttle: { userFreeFailures: 1000, userBlockAfter: 100000, addressFreeFailures: 1000, addressBlockAfter: 100000 } });
const sessions = await startTestSessionControl({ bus: events, store, logger, auth, oidc: [] });
const server = new ImapServer({ auth, store, events, logger, sessions, spoolDir: join(dataDir, 'spool', 'imap') }, imapConfig());
await server.start();
process.stdout.write(`PORT ${server.ports()[0]}\n`);

process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    await server.stop(new Date(Date.now() + 500));
    await sessions.close();
    await store.close();
    await events.close();
    process.exit(0);
  })();
});
