// What resolving the account costs per store operation on PostgreSQL: times a read (getMailbox), a
// flag write (storeFlags), an append, and the account-id look-up each of them starts with (one
// round trip on the unique name index), sequentially, and prints µs per operation: the look-up's
// share of an operation is what not caching account ids per process costs.
// Usage: node --import tsx bench/store/pg-account-lookup.ts [postgres://127.0.0.1:5432/postgres] [N]
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';

const [url = 'postgres://postgres@127.0.0.1:5432/postgres', nArg = '2000'] = process.argv.slice(2);
const n = Number(nArg);
const schema = `bench_${randomBytes(4).toString('hex')}`;
const store = await openPostgresStore({ url, schema, poolSize: 4, events: new MemoryEventBus() });
const account = 'bench@example.org';

async function time(label: string, op: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 100; i++) await op(i);
  const t = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  console.log(`${label.padEnd(12)} ${(((performance.now() - t) * 1000) / n).toFixed(0)} µs/op (${n} ops)`);
}

try {
  await store.ensureAccount(account);
  const inbox = (await store.findMailboxByPath(account, 'INBOX'))!.id;
  const bytes = Buffer.from('From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n');
  await store.append(account, { mailboxIds: [inbox], bytes });
  const lookup = new pg.Client({ connectionString: url });
  await lookup.connect();
  await lookup.query(`SET search_path TO ${lookup.escapeIdentifier(schema)}`);
  await time('id look-up', () => lookup.query('SELECT id FROM account WHERE name = $1', [account]));
  await lookup.end();
  await time('getMailbox', () => store.getMailbox(account, inbox));
  await time('storeFlags', (i) => store.storeFlags(account, inbox, [1], { mode: i % 2 ? 'add' : 'remove', flags: ['\\Seen'] }));
  await time('append', () => store.append(account, { mailboxIds: [inbox], bytes }));
} finally {
  await store.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA ${client.escapeIdentifier(schema)} CASCADE`);
  await client.end();
}
