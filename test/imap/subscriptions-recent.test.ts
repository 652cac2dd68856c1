// Subscriptions to names without a mailbox and \Recent claims live in the store: shared by every
// connection and kept across a server restart (RFC 3501 §2.3.2, §6.3.4, §6.3.6; RFC 5258 \NonExistent).
// Each server runs in its own process (restart-child.ts) on the same data directory, so a restart
// really forgets whatever was kept in memory only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from './raw-client.js';
import { message } from '../store/fixtures.js';
import { startServerProcess } from './restart-server.js';

const USER = 'dora@example.org';
const PASS = 'pw';
const startAt = (dir: string): ReturnType<typeof startServerProcess> => startServerProcess(dir, USER, PASS);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-imap-restart-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function login(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const r = await c.command('l', `LOGIN ${USER} ${PASS}`);
  assert.match(r.at(-1)!, /^l OK /);
  return c;
}

/** Runs a command that must succeed; returns its untagged lines. */
async function ok(c: RawClient, text: string): Promise<string[]> {
  const r = await c.command('t', text);
  assert.match(r.at(-1)!, /^t OK/, `${text}: ${JSON.stringify(r)}`);
  return r.slice(0, -1);
}

/** LIST/LSUB lines as "name attrs" with the attributes sorted, for order-free comparison. */
function listed(lines: string[], word: 'LIST' | 'LSUB'): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const m = new RegExp(`^\\* ${word} \\(([^)]*)\\) "/" "?([^"]*)"?$`).exec(l);
    if (m) out.push(`${m[2]} ${m[1]!.split(' ').filter(Boolean).sort().join(' ')}`.trim());
  }
  return out.sort();
}

function recentCount(lines: string[]): number {
  const m = lines.map((l) => /^\* (\d+) RECENT$/.exec(l)).find(Boolean);
  assert.ok(m, `no RECENT in ${JSON.stringify(lines)}`);
  return Number(m[1]);
}

/** UIDs whose FETCH FLAGS carry \Recent. */
async function recentUids(c: RawClient): Promise<number[]> {
  const lines = await ok(c, 'UID FETCH 1:* (FLAGS)');
  const out: number[] = [];
  for (const l of lines) {
    const uid = /UID (\d+)/.exec(l);
    if (uid && /FLAGS \([^)]*\\Recent/.test(l)) out.push(Number(uid[1]));
  }
  return out;
}

async function append(c: RawClient, subject: string): Promise<void> {
  const bytes = message({ subject });
  c.write(Buffer.concat([Buffer.from(`t APPEND INBOX {${bytes.length}+}\r\n`), bytes, Buffer.from('\r\n')]));
  const r = await c.until('t');
  assert.match(r.at(-1)!, /^t OK/, JSON.stringify(r));
}

async function statusRecent(c: RawClient, mailbox: string): Promise<number> {
  const lines = await ok(c, `STATUS ${mailbox} (RECENT)`);
  const m = lines.map((l) => /RECENT (\d+)/.exec(l)).find(Boolean);
  assert.ok(m, JSON.stringify(lines));
  return Number(m[1]);
}

test('subscriptions to names without a mailbox are shared, survive a restart, outlive DELETE and come back with CREATE', async () => {
  await withDir(async (dir) => {
    let srv = await startAt(dir);
    try {
      const a = await login(srv.port);
      const b = await login(srv.port);
      await ok(a, 'SUBSCRIBE Future/Box');
      await ok(a, 'CREATE Doomed');
      await ok(a, 'SUBSCRIBE Doomed');
      await ok(a, 'DELETE Doomed');
      // Another connection sees the same subscriptions.
      assert.deepEqual(listed(await ok(b, 'LIST (SUBSCRIBED) "" "*"'), 'LIST').filter((l) => /^(Doomed|Future|INBOX)/.test(l)), [
        'Doomed \\NonExistent \\Subscribed',
        'Future/Box \\NonExistent \\Subscribed',
        'INBOX \\HasNoChildren \\Subscribed',
      ]);
      a.close();
      b.close();
    } finally {
      await srv.stop();
    }

    srv = await startAt(dir);
    try {
      const c = await login(srv.port);
      assert.deepEqual(listed(await ok(c, 'LSUB "" "*"'), 'LSUB').filter((l) => /^(Doomed|Future)/.test(l)), ['Doomed \\Noselect', 'Future/Box \\Noselect']);
      assert.deepEqual(listed(await ok(c, 'LIST (SUBSCRIBED) "" "*"'), 'LIST').filter((l) => /^(Doomed|Future)/.test(l)), [
        'Doomed \\NonExistent \\Subscribed',
        'Future/Box \\NonExistent \\Subscribed',
      ]);
      assert.deepEqual(listed(await ok(c, 'LIST "" "Doomed"'), 'LIST'), [], 'the mailbox itself is gone');

      // CREATE of a subscribed name makes a subscribed mailbox.
      await ok(c, 'CREATE Doomed');
      assert.deepEqual(listed(await ok(c, 'LIST (SUBSCRIBED) "" "Doomed"'), 'LIST'), ['Doomed \\HasNoChildren \\Subscribed']);
      assert.deepEqual(listed(await ok(c, 'LSUB "" "Doomed"'), 'LSUB'), ['Doomed']);

      // UNSUBSCRIBE of a name without a mailbox works once; then the name is unknown.
      await ok(c, 'UNSUBSCRIBE Future/Box');
      const again = await c.command('u', 'UNSUBSCRIBE Future/Box');
      assert.match(again.at(-1)!, /^u NO \[NONEXISTENT\]/);
      assert.deepEqual(listed(await ok(c, 'LSUB "" "Future*"'), 'LSUB'), []);
      c.close();
    } finally {
      await srv.stop();
    }
  });
});

test('\\Recent goes to the first SELECT only, EXAMINE and STATUS do not claim, and claims survive a restart', async () => {
  await withDir(async (dir) => {
    let srv = await startAt(dir);
    try {
      // x delivers (APPEND does not make anything \Recent for the appending session).
      const x = await login(srv.port);
      await append(x, 'one');

      // EXAMINE shows the message recent without taking it; STATUS counts it.
      assert.equal(recentCount(await ok(x, 'EXAMINE INBOX')), 1);
      assert.deepEqual(await recentUids(x), [1]);
      await ok(x, 'CLOSE');
      assert.equal(await statusRecent(x, 'INBOX'), 1);

      // A selects first: \Recent is A's; B, selecting next, does not see it.
      const a = await login(srv.port);
      assert.equal(recentCount(await ok(a, 'SELECT INBOX')), 1);
      assert.deepEqual(await recentUids(a), [1]);
      const b = await login(srv.port);
      assert.equal(recentCount(await ok(b, 'SELECT INBOX')), 0);
      assert.deepEqual(await recentUids(b), []);
      assert.equal(await statusRecent(x, 'INBOX'), 0);
      assert.equal(recentCount(await ok(x, 'EXAMINE INBOX')), 0);
      await ok(x, 'CLOSE');

      // A new arrival is recent in whichever selected session hears of it first (here B).
      await append(x, 'two');
      const heard = await ok(b, 'NOOP');
      assert.ok(heard.includes('* 2 EXISTS') && heard.includes('* 1 RECENT'), JSON.stringify(heard));
      assert.deepEqual(await recentUids(b), [2]);
      const late = await ok(a, 'NOOP');
      assert.ok(late.includes('* 2 EXISTS') && late.includes('* 1 RECENT'), JSON.stringify(late));
      assert.deepEqual(await recentUids(a), [1]);
      await ok(a, 'LOGOUT').catch(() => undefined);
      await ok(b, 'LOGOUT').catch(() => undefined);

      // A third message that only EXAMINE has seen before the restart.
      await append(x, 'three');
      assert.equal(recentCount(await ok(x, 'EXAMINE INBOX')), 1);
      assert.deepEqual(await recentUids(x), [3]);
      x.close();
    } finally {
      await srv.stop();
    }

    srv = await startAt(dir);
    try {
      const s = await login(srv.port);
      assert.equal(await statusRecent(s, 'INBOX'), 1);
      // The claims of the first run are remembered: only the unclaimed message is recent, once.
      assert.equal(recentCount(await ok(s, 'SELECT INBOX')), 1);
      assert.deepEqual(await recentUids(s), [3]);
      const t = await login(srv.port);
      assert.equal(recentCount(await ok(t, 'SELECT INBOX')), 0);
      assert.deepEqual(await recentUids(t), []);
      assert.equal(await statusRecent(t, 'INBOX'), 0);
      s.close();
      t.close();
    } finally {
      await srv.stop();
    }
  });
});

test('an APPEND to the selected mailbox makes the message \\Recent for the appending session only, with any earlier unclaimed arrival, and the claim survives a restart', async () => {
  await withDir(async (dir) => {
    let srv = await startAt(dir);
    try {
      const a = await login(srv.port);
      assert.equal(recentCount(await ok(a, 'SELECT INBOX')), 0);
      const appendLines = async (c: RawClient, subject: string): Promise<string[]> => {
        const bytes = message({ subject });
        c.write(Buffer.concat([Buffer.from(`t APPEND INBOX {${bytes.length}+}\r\n`), bytes, Buffer.from('\r\n')]));
        const r = await c.until('t');
        assert.match(r.at(-1)!, /^t OK/, JSON.stringify(r));
        return r;
      };
      const first = await appendLines(a, 'one');
      assert.ok(first.includes('* 1 EXISTS') && first.includes('* 1 RECENT'), JSON.stringify(first));
      assert.deepEqual(await recentUids(a), [1]);
      const b = await login(srv.port);
      assert.equal(recentCount(await ok(b, 'SELECT INBOX')), 0);

      // x (nothing selected) delivers UID 2, unclaimed; A's next APPEND takes it along with UID 3.
      const x = await login(srv.port);
      await append(x, 'two');
      const third = await appendLines(a, 'three');
      assert.ok(third.includes('* 3 EXISTS') && third.includes('* 3 RECENT'), JSON.stringify(third));
      assert.deepEqual(await recentUids(a), [1, 2, 3]);
      const heard = await ok(b, 'NOOP');
      assert.ok(heard.includes('* 3 EXISTS') && heard.includes('* 0 RECENT'), JSON.stringify(heard));
      assert.deepEqual(await recentUids(b), []);
      for (const c of [a, b, x]) c.close();
    } finally {
      await srv.stop();
    }

    srv = await startAt(dir);
    try {
      const s = await login(srv.port);
      assert.equal(recentCount(await ok(s, 'SELECT INBOX')), 0);
      s.close();
    } finally {
      await srv.stop();
    }
  });
});
