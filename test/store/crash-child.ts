// Child process of crash.test.ts: appends messages in a loop and prints one line per append that
// returned ("ACK <emailId> <uid> <sha256>"), until it is killed.
import { createHash, randomBytes } from 'node:crypto';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: crash-child <dataDir>');
const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
await store.ensureAccount('crash');
const inbox = (await store.findMailboxByPath('crash', 'INBOX'))!;
process.stdout.write('READY\n');
for (let i = 0; ; i++) {
  // Mostly small messages (kept inside store.sqlite), every seventh past INLINE_LIMIT (a blob file).
  const body = randomBytes(i % 7 === 6 ? 52 * 1024 : 200 + (i % 20) * 300).toString('base64');
  const bytes = Buffer.from(`Subject: crash ${i}\r\nMessage-ID: <c${i}@crash>\r\n\r\n${body}\r\n`);
  const r = await store.append('crash', { mailboxIds: [inbox.id], bytes });
  process.stdout.write(`ACK ${r.emailId} ${r.placements[0]!.uid} ${createHash('sha256').update(bytes).digest('hex')}\n`);
}
