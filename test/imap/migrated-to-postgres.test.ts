// An IMAP client (imapflow) of a node whose SQLite mail store was moved to PostgreSQL
// (src/store/to-postgres) finds its mailboxes as it left them: the same UIDVALIDITY, UIDNEXT and
// HIGHESTMODSEQ, the same UIDs with the same flags and MODSEQs, the same bytes, and SEARCH answers. So
// it keeps its cache instead of downloading everything again. Skipped with a notice without
// PostgreSQL, a failure under CI=true.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { startImap, type ImapHarness } from './harness.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { copyMailStoreToPostgres } from '../../src/store/to-postgres/copy.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';

const unavailable = await postgresUnavailable();
const USER = 'carol@example.test';
const PASS = 'carol-migrates';

interface SeenByClient {
  uidValidity: string;
  uidNext: number;
  highestModseq: string;
  messages: Array<{ uid: number; modseq: string; flags: string[]; source: string }>;
  found: number[];
}

/** What a client caches of INBOX and Lists, read with CONDSTORE. */
async function clientView(h: ImapHarness): Promise<Record<string, SeenByClient>> {
  const client = new ImapFlow({ host: '127.0.0.1', port: h.port, secure: false, auth: { user: USER, pass: PASS }, logger: false });
  await client.connect();
  try {
    const out: Record<string, SeenByClient> = {};
    for (const path of ['INBOX', 'Lists']) {
      const box = await client.mailboxOpen(path);
      const messages: SeenByClient['messages'] = [];
      for await (const m of client.fetch('1:*', { uid: true, flags: true, source: true }, { uid: true, changedSince: 1n })) {
        messages.push({ uid: m.uid, modseq: String(m.modseq), flags: [...(m.flags ?? [])].sort(), source: m.source!.toString('base64') });
      }
      const found = (await client.search({ body: 'quarterly' }, { uid: true })) || [];
      out[path] = { uidValidity: String(box.uidValidity), uidNext: box.uidNext, highestModseq: String(box.highestModseq), messages, found };
      await client.mailboxClose();
    }
    return out;
  } finally {
    await client.logout();
  }
}

describe('an IMAP client after the store moved to PostgreSQL', { skip: unavailable ?? false }, () => {
  after(dropSharedDatabase);

  it('sees the same UIDVALIDITY, UIDs, MODSEQs, flags and bytes, and SEARCH finds the same messages', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-imap-migrate-'));
    const db = await createTestSchema();
    try {
      const before = await startImap({ users: { [USER]: PASS }, dataDir });
      let seen: Record<string, SeenByClient>;
      try {
        const client = new ImapFlow({ host: '127.0.0.1', port: before.port, secure: false, auth: { user: USER, pass: PASS }, logger: false });
        await client.connect();
        try {
          await client.mailboxCreate('Lists');
          for (let i = 1; i <= 6; i++) {
            const body = i % 2 ? `the quarterly report, part ${i}` : `lunch menu ${i}`;
            await client.append(i <= 4 ? 'INBOX' : 'Lists', `From: bob@example.test\r\nSubject: note ${i}\r\nMessage-ID: <n${i}@example.test>\r\n\r\n${body}\r\n`, i === 2 ? ['\\Seen'] : []);
          }
          const lock = await client.getMailboxLock('INBOX');
          try {
            await client.messageFlagsAdd('3', ['\\Flagged', '$Work'], { uid: true });
            await client.messageDelete('1', { uid: true });
            await client.messageCopy('4', 'Lists', { uid: true });
          } finally {
            lock.release();
          }
          seen = await clientView(before);
        } finally {
          await client.logout();
        }
      } finally {
        await before.close();
      }
      assert.deepEqual(seen.INBOX!.messages.map((m) => m.uid), [2, 3, 4]);
      assert.deepEqual(seen.Lists!.found, [1]);

      const moved = await copyMailStoreToPostgres(dataDir, { url: db.url, schema: db.schema });
      assert.ok(moved?.committed);

      const afterMove = await startImap({
        users: { [USER]: PASS },
        dataDir,
        openStore: (events, logger) => openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events, logger }),
      });
      try {
        assert.deepEqual(await clientView(afterMove), seen);
      } finally {
        await afterMove.close();
      }
    } finally {
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
