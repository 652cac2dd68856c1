// Child process of pg-tx-notify.test.ts: a node that commits one write and is killed (SIGKILL) the
// moment the store acknowledges it, before anything else of it can run. Prints "committed" first, so
// the parent can tell the write was acknowledged.
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { PgEventBus } from '../../src/store/postgres/event-relay.js';

const [url, schema, account, path] = process.argv.slice(2);
if (!url || !schema || !account || !path) throw new Error('usage: pg-notify-child <url> <schema> <account> <path>');
const events = new PgEventBus({ url, schema });
await events.start();
const store = await openPostgresStore({ url, schema, poolSize: 1, events });
await store.createMailbox(account, { path });
process.stdout.write('committed\n', () => process.kill(process.pid, 'SIGKILL'));
