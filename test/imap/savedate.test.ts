// SAVEDATE (RFC 8514) over real sockets: FETCH SAVEDATE is when the message was put in the mailbox
// (per mailbox: a COPY has its own), SEARCH SAVEDBEFORE/SAVEDON/SAVEDSINCE compare its day and
// SAVEDATESUPPORTED matches every message; a database from before the column reads the internal date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { formatDateTime } from '../../src/imap/datetime.js';

const USER = 'alice@example.org';
const PASS = 'secret';

async function append(c: RawClient, tag: string, subject: string, date: string): Promise<void> {
  const text = `Subject: ${subject}\r\n\r\nbody\r\n`;
  c.write(`${tag} APPEND INBOX "${date}" {${text.length}+}\r\n${text}\r\n`);
  assert.match((await c.until(tag)).at(-1)!, new RegExp(`^${tag} OK`));
}

/** The IMAP date (d-Mon-yyyy) of a UTC day. */
function imapDay(d: Date): string {
  return formatDateTime(d).split(' ')[0]!;
}

function search(lines: string[]): string {
  return lines.find((l) => l.startsWith('* SEARCH'))!;
}

test('RFC 8514 §3-§4: FETCH SAVEDATE and SEARCH SAVEDBEFORE/SAVEDON/SAVEDSINCE/SAVEDATESUPPORTED use the save date, not the internal date', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  const db = new Database(join(h.dataDir, 'store.sqlite'));
  try {
    assert.ok((await c.command('c', 'CAPABILITY'))[0]!.split(' ').includes('SAVEDATE'));
    const before = new Date();
    await append(c, 'a1', 'old mail', '01-Jan-2020 10:00:00 +0000');
    await append(c, 'a2', 'other', '01-Jan-2020 10:00:00 +0000');
    const after = new Date();
    await c.command('s', 'SELECT INBOX');
    const f = (await c.command('f', 'FETCH 1 (INTERNALDATE SAVEDATE)'))[0]!;
    const saved = /SAVEDATE "([^"]+)"/.exec(f)![1]!;
    assert.match(f, /INTERNALDATE "01-Jan-2020 10:00:00 \+0000"/);
    assert.ok([imapDay(before), imapDay(after)].includes(saved.split(' ')[0]!), f);
    assert.equal(search(await c.command('q1', 'SEARCH BEFORE 1-Jan-2021')), '* SEARCH 1 2');
    assert.equal(search(await c.command('q2', 'SEARCH SAVEDBEFORE 1-Jan-2021')), '* SEARCH');
    // One save date moved into the past, as an older message would have it.
    db.prepare("UPDATE msg SET saved_at = ? WHERE uid = 1 AND mailbox_id = (SELECT id FROM mailbox WHERE path = 'INBOX')").run(Date.UTC(2021, 5, 15, 12));
    assert.match((await c.command('f2', 'FETCH 1 SAVEDATE'))[0]!, /^\* 1 FETCH \(SAVEDATE "15-Jun-2021 12:00:00 \+0000"\)/);
    assert.equal(search(await c.command('q3', 'SEARCH SAVEDON 15-Jun-2021')), '* SEARCH 1');
    assert.equal(search(await c.command('q4', 'SEARCH SAVEDBEFORE 16-Jun-2021')), '* SEARCH 1');
    assert.equal(search(await c.command('q5', 'SEARCH SAVEDSINCE 16-Jun-2021')), '* SEARCH 2');
    assert.equal(search(await c.command('q6', 'SEARCH SAVEDATESUPPORTED')), '* SEARCH 1 2');
    assert.equal(search(await c.command('q7', 'UID SEARCH NOT SAVEDON 15-Jun-2021')), '* SEARCH 2');
    // The save date belongs to the membership: a copy is saved now, the original keeps its date.
    assert.match((await c.command('cp', 'COPY 1 Archive')).at(-1)!, /^cp OK/);
    await c.command('s2', 'SELECT Archive');
    assert.equal(search(await c.command('q8', 'SEARCH SAVEDSINCE 16-Jun-2021')), '* SEARCH 1');
    assert.match((await c.command('b', 'SEARCH SAVEDON notadate')).at(-1)!, /^b BAD/);
  } finally {
    db.close();
    c.close();
    await h.close();
  }
});

test('RFC 8514 §3: a database from before msg.saved_at gains the column on open; its messages read their internal date', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-savedate-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
  await store.ensureAccount(USER);
  const inbox = (await store.findMailboxByPath(USER, 'INBOX'))!;
  const receivedAt = new Date(Date.UTC(2019, 2, 3, 4, 5, 6));
  await store.append(USER, { mailboxIds: [inbox.id], bytes: Buffer.from('Subject: a\r\n\r\nx\r\n'), receivedAt });
  await store.close();
  const db = new Database(join(dataDir, 'store.sqlite'));
  db.exec('ALTER TABLE msg DROP COLUMN saved_at');
  db.close();
  store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
  try {
    const [old] = await store.getMessages(USER, inbox.id, [1], { parsed: false });
    assert.equal(old!.savedAt.getTime(), receivedAt.getTime());
    const before = Date.now();
    await store.append(USER, { mailboxIds: [inbox.id], bytes: Buffer.from('Subject: b\r\n\r\ny\r\n'), receivedAt });
    const [fresh] = await store.getMessages(USER, inbox.id, [2], { parsed: false });
    assert.ok(fresh!.savedAt.getTime() >= before, 'a new message is saved now, whatever its internal date');
  } finally {
    await store.close();
  }
});
