// Child process of postgres-concurrency.test.ts: one node of a cluster. Opens its own store (its own
// pool) on the database given, appends `count` messages to the shared account's INBOX and flags a
// UID of its own after each, printing one JSON line per acknowledged change:
//   {"op":"append","uid":…,"modseq":…} / {"op":"flag","uid":…,"modseq":…}
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';

const [url, account, name, countText] = process.argv.slice(2);
if (!url || !account || !name || !countText) throw new Error('usage: pg-writer-child <url> <account> <name> <count>');
const store = await openPostgresStore({ url, poolSize: 4, events: new MemoryEventBus() });
const inbox = (await store.findMailboxByPath(account, 'INBOX'))!;
const count = Number(countText);
// Several appends in flight at once per node, as several sessions of one node would have.
const lanes = 4;
await Promise.all(
  Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < count; i += lanes) {
      const bytes = Buffer.from(`Subject: ${name} ${i}\r\nMessage-ID: <${name}.${i}@cluster>\r\n\r\nbody ${i}\r\n`);
      const r = await store.append(account, { mailboxIds: [inbox.id], bytes });
      const p = r.placements[0]!;
      process.stdout.write(`${JSON.stringify({ op: 'append', uid: p.uid, modseq: p.modseq })}\n`);
      const flagged = await store.storeFlags(account, inbox.id, [p.uid], { mode: 'add', flags: ['\\Flagged', `$${name}`] });
      for (const m of flagged.messages) if (m.changed) process.stdout.write(`${JSON.stringify({ op: 'flag', uid: m.uid, modseq: m.modseq })}\n`);
    }
  }),
);
await store.close();
