// Child process of pg-migrate-race.test.ts: waits for "go" on stdin, then opens what a node opens at
// start on PostgreSQL (the mail store, or the users tables) in the schema it was given, and prints
// "OPENED <what>". Both create the schema and migrate it when it is new.
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { UsersPg } from '../../src/auth/users/postgres-database.js';

const [url, schema, what] = process.argv.slice(2);
if (!url || !schema || (what !== 'store' && what !== 'users')) throw new Error('usage: pg-migrate-race-child <url> <schema> store|users');
process.stdout.write('READY\n');
process.stdin.once('data', () => {
  void (async () => {
    if (what === 'store') {
      const events = new MemoryEventBus();
      const store = await openPostgresStore({ url, schema, poolSize: 1, events });
      await store.close();
      await events.close();
    } else {
      const users = await UsersPg.open({ url, schema, poolSize: 2 });
      await users.close();
    }
    process.stdout.write(`OPENED ${what}\n`);
    process.exit(0);
  })().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
});
