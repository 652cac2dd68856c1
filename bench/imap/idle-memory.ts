// Where the memory of parked IMAP IDLE connections goes (issue #18): a whole Tessera server in its own
// process (bench/compare's), N connections that log in with OAUTHBEARER, SELECT INBOX and sit in IDLE,
// and the server's figures after full collections before and with them, per connection: RSS, V8's
// heap, external memory and the ArrayBuffers within it. Every INBOX holds --messages messages first
// (a selected mailbox's state grows with it). A warm-up round opens and closes N idlers first,
// so caches, compiled code and the heap's own growth are not billed to the measured rounds.
//   node --import tsx bench/imap/idle-memory.ts [--idle=500] [--rounds=2] [--users=64] [--messages=30] [--snapshot=DIR]
// --snapshot writes heap snapshots before and with the idlers of the last round (compare them in
// Chrome DevTools' Comparison view to see which objects the connections hold).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { DOMAIN, startBenchIdp } from '../compare/idp.js';
import { startTessera, type TesseraMemory } from '../compare/tessera.js';
import { loginSession, message, openIdlers, saslResponse, type Account } from '../compare/workloads.js';
import { ImapClient } from '../support/imap-client.js';

const { values: flags } = parseArgs({
  options: {
    idle: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    users: { type: 'string', default: '64' },
    messages: { type: 'string', default: '30' },
    snapshot: { type: 'string' },
  },
});
const IDLE = Number(flags.idle);
const ROUNDS = Number(flags.rounds);

const FIELDS = ['rss', 'heapUsed', 'external', 'arrayBuffers'] as const;

function perConnection(before: TesseraMemory, after: TesseraMemory): string {
  return FIELDS.map((f) => `${f} ${((after[f] - before[f]) / IDLE / 1024).toFixed(2).padStart(7)} kB`).join('  ');
}

/** Closes the clients, and gives the server a moment to see them go before the next baseline. */
async function closeAll(clients: ReadonlyArray<{ close(): void }>): Promise<void> {
  for (const c of clients) c.close();
  await sleep(1000);
}

/** Fills the account's INBOX with `count` messages of 1 KiB. */
async function fillInbox(port: number, account: Account, count: number): Promise<void> {
  const client = await ImapClient.connect(port);
  try {
    await client.authenticate('OAUTHBEARER', saslResponse('OAUTHBEARER', account, port));
    for (let i = 0; i < count; i++) {
      const r = await client.append('INBOX', Buffer.from(message(account.user, account.user).slice(0, -3)));
      if (!r.status.includes(' OK ')) throw new Error(`APPEND refused: ${r.status}`);
    }
    await client.command('LOGOUT');
  } finally {
    client.close();
  }
}

const root = await mkdtemp(join(tmpdir(), 'tessera-idle-memory-'));
const idp = await startBenchIdp();
const accounts: Account[] = [];
for (let i = 0; i < Number(flags.users); i++) {
  const user = `user${i}@${DOMAIN}`;
  accounts.push({ user, token: await idp.token(user) });
}
// One process: the heap figures and snapshots are of the process that holds the sessions.
const tessera = await startTessera(root, idp, accounts.map((a) => a.user), { processes: 1 });
const at = { port: tessera.imapPort, tls: false };
try {
  // Every account logged in once (the first login creates its mailboxes), then one unmeasured round.
  for (const a of accounts) await loginSession(at, a, 'OAUTHBEARER');
  for (const a of accounts) await fillInbox(at.port, a, Number(flags.messages));
  await closeAll(await openIdlers(at, accounts, IDLE));
  process.stdout.write(`bench/imap/idle-memory: ${IDLE} IDLE connections, ${accounts.length} users, ${flags.messages} messages per INBOX, node ${process.version}; per connection, after full GC:\n`);
  for (let round = 1; round <= ROUNDS; round++) {
    const last = round === ROUNDS;
    const before = await tessera.memoryAfterGc();
    if (last && flags.snapshot) await tessera.heapSnapshot(join(flags.snapshot, 'idle-before.heapsnapshot'));
    const clients = await openIdlers(at, accounts, IDLE);
    const during = await tessera.memoryAfterGc();
    if (last && flags.snapshot) await tessera.heapSnapshot(join(flags.snapshot, 'idle-during.heapsnapshot'));
    process.stdout.write(`  round ${round}: ${perConnection(before, during)}\n`);
    await closeAll(clients);
  }
} finally {
  await tessera.stop();
  await idp.close();
  await rm(root, { recursive: true, force: true });
}
