// UIDONLY (RFC 9586) over real sockets: after ENABLE UIDONLY, commands taking sequence numbers are
// refused with BAD [UIDREQUIRED], fetch responses (solicited and unsolicited) are UIDFETCH named by
// the UID, expunges are reported as VANISHED, and SEARCH answers ESEARCH with UIDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';

const USER = 'alice@example.org';
const PASS = 'secret';

async function append(c: RawClient, tag: string, subject: string): Promise<void> {
  const text = `Subject: ${subject}\r\n\r\nbody\r\n`;
  c.write(`${tag} APPEND INBOX {${Buffer.byteLength(text)}+}\r\n${text}\r\n`);
  assert.match((await c.until(tag)).at(-1)!, new RegExp(`^${tag} OK`));
}

/** A mailbox whose UIDs and sequence numbers differ: UIDs 2, 3, 4 at positions 1, 2, 3. */
async function mailboxWithGap(c: RawClient): Promise<void> {
  for (const [i, s] of ['gone', 'two', 'three', 'four'].entries()) await append(c, `a${i}`, s);
  await c.command('s0', 'SELECT INBOX');
  await c.command('d0', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
  await c.command('x0', 'EXPUNGE');
}

test('RFC 9586 §3: ENABLE UIDONLY, then FETCH/STORE/SEARCH/COPY/MOVE/SORT/THREAD/REPLACE by sequence number answer BAD [UIDREQUIRED]', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    assert.ok((await c.command('c', 'CAPABILITY'))[0]!.split(' ').includes('UIDONLY'));
    await mailboxWithGap(c);
    // Before ENABLE, sequence numbers still work.
    assert.match((await c.command('f0', 'FETCH 1 (FLAGS)')).at(-1)!, /^f0 OK/);
    const en = await c.command('e', 'ENABLE UIDONLY');
    assert.ok(en.includes('* ENABLED UIDONLY'), JSON.stringify(en));
    for (const [tag, cmd] of [
      ['f', 'FETCH 1 (FLAGS)'],
      ['st', 'STORE 1 +FLAGS (\\Seen)'],
      ['se', 'SEARCH ALL'],
      ['co', 'COPY 1 INBOX'],
      ['mo', 'MOVE 1 INBOX'],
      ['so', 'SORT (DATE) UTF-8 ALL'],
      ['th', 'THREAD REFERENCES UTF-8 ALL'],
    ] as const) {
      const r = await c.command(tag, cmd);
      assert.match(r.at(-1)!, new RegExp(`^${tag} BAD \\[UIDREQUIRED\\]`), `${cmd}: ${JSON.stringify(r)}`);
    }
    // REPLACE (RFC 8508) names its message by sequence number too: refused, and nothing is appended or expunged.
    const msg = 'Subject: replaced\r\n\r\nbody\r\n';
    c.write(`rp REPLACE 1 INBOX {${Buffer.byteLength(msg)}+}\r\n${msg}\r\n`);
    const rp = await c.until('rp');
    assert.match(rp.at(-1)!, /^rp BAD \[UIDREQUIRED\]/, JSON.stringify(rp));
    assert.ok((await c.command('rs', 'UID SEARCH ALL')).includes('* ESEARCH (TAG "rs") UID ALL 2:4'));
    // A sequence-set search key inside UID SEARCH is refused too; the saved result ($) is no sequence number.
    assert.match((await c.command('us', 'UID SEARCH 1:2')).at(-1)!, /^us BAD \[UIDREQUIRED\]/);
    assert.match((await c.command('uf', 'UID FETCH 2 (FLAGS)')).at(-1)!, /^uf OK/);
    // The session stays usable; EXPUNGE (no sequence numbers in the command) is allowed.
    assert.match((await c.command('ex', 'EXPUNGE')).at(-1)!, /^ex OK/);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 9586 §3.3: UID FETCH and UID STORE answer UIDFETCH named by the UID; SEARCH answers ESEARCH with UIDs', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    await mailboxWithGap(c);
    await c.command('e', 'ENABLE UIDONLY');
    const f = await c.command('f', 'UID FETCH 3:4 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    const heads = f.filter((l) => l.startsWith('* ')).map((l) => l.split(' ').slice(0, 3).join(' '));
    assert.deepEqual(heads, ['* 3 UIDFETCH', '* 4 UIDFETCH'], JSON.stringify(f));
    assert.ok(!f.some((l) => /^\* \d+ FETCH /.test(l)), JSON.stringify(f));
    assert.ok(f.some((l) => l === 'Subject: three'), JSON.stringify(f));
    const st = await c.command('st', 'UID STORE 2 +FLAGS (\\Flagged)');
    assert.ok(st.some((l) => /^\* 2 UIDFETCH \(FLAGS \(\\Flagged( \\Recent)?\)\)$/.test(l)), JSON.stringify(st));
    const se = await c.command('se', 'UID SEARCH ALL');
    assert.ok(se.includes('* ESEARCH (TAG "se") UID ALL 2:4'), JSON.stringify(se));
    assert.ok(!se.some((l) => l.startsWith('* SEARCH')), JSON.stringify(se));
    const none = await c.command('sn', 'UID SEARCH KEYWORD nothing');
    assert.ok(none.includes('* ESEARCH (TAG "sn") UID'), JSON.stringify(none));
  } finally {
    c.close();
    await h.close();
  }
});

/** Two sessions of one user on a mailbox with a gap (./mailboxWithGap); `c` has enabled UIDONLY. */
async function withUidOnlySession(fn: (c: RawClient, other: RawClient) => Promise<void>): Promise<void> {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  const other = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    await mailboxWithGap(c);
    await c.command('e', 'ENABLE UIDONLY');
    await fn(c, other);
  } finally {
    c.close();
    other.close();
    await h.close();
  }
}

test('RFC 9586 §3.2, §3.3: another session\'s expunge arrives as VANISHED and its flag change as UIDFETCH', () =>
  withUidOnlySession(async (c, other) => {
    await other.command('s', 'SELECT INBOX');
    // Position 2 is UID 3: the other session works with sequence numbers, this one must only see UIDs.
    await other.command('st', 'STORE 1 +FLAGS (\\Answered)');
    await other.command('d', 'STORE 2 +FLAGS.SILENT (\\Deleted)');
    await other.command('x', 'EXPUNGE');
    const n = await c.command('n', 'NOOP');
    assert.ok(n.includes('* VANISHED 3'), JSON.stringify(n));
    assert.ok(n.some((l) => /^\* 2 UIDFETCH \(FLAGS \(\\Answered( \\Recent)?\)\)$/.test(l)), JSON.stringify(n));
    assert.ok(!n.some((l) => /^\* \d+ (EXPUNGE|FETCH)/.test(l)), JSON.stringify(n));
  }));

test('RFC 9586 §3: a client that does not ENABLE UIDONLY keeps sequence numbers, FETCH and EXPUNGE', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    await mailboxWithGap(c);
    const f = await c.command('f', 'UID FETCH 3 (FLAGS)');
    assert.ok(f.some((l) => /^\* 2 FETCH \(UID 3 FLAGS/.test(l)), JSON.stringify(f));
    await c.command('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    assert.ok((await c.command('x', 'EXPUNGE')).includes('* 1 EXPUNGE'));
  } finally {
    c.close();
    await h.close();
  }
});

test("RFC 9586 §3.3 with NOTIFY (RFC 5465 §5.2): MessageNew's fetch attributes come out as UIDFETCH named by the UID", () =>
  withUidOnlySession(async (c, other) => {
    assert.match((await c.command('n', 'NOTIFY SET (selected (MessageNew (FLAGS) MessageExpunge))')).at(-1)!, /^n OK/);
    // The new message is UID 5 at position 4: only the UID may name it.
    await append(other, 'a', 'five');
    const seen: string[] = [];
    for (;;) {
      const line = await c.readLine(10_000);
      seen.push(line);
      if (/UIDFETCH|FETCH/.test(line)) break;
    }
    assert.match(seen.at(-1)!, /^\* 5 UIDFETCH \(FLAGS \(/, JSON.stringify(seen));
    assert.ok(seen.includes('* 4 EXISTS'), JSON.stringify(seen));
  }));
