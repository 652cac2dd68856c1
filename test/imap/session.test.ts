// Protocol behaviour over real sockets: capability policy, STARTTLS, SASL, hostile input, untagged
// updates (IDLE, RFC 3501 §7.4.1) and shutdown.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { waitFor } from '../support/wait.js';

const USER = 'alice@example.org';
const PASS = 'secret';
const plain = (u: string, p: string): string => Buffer.from(`\0${u}\0${p}`).toString('base64');

let h: ImapHarness;
before(async () => {
  h = await startImap({ users: { [USER]: PASS, 'bob@example.org': 'pw', 'carol@example.org': 'pw' } });
});
after(async () => {
  await h.close();
});

async function login(port = h.port, user = USER, pass = PASS): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const r = await c.command('l', `LOGIN ${user} ${pass}`);
  assert.match(r.at(-1)!, /^l OK \[CAPABILITY [^\]]*\]/);
  return c;
}

test('greeting and CAPABILITY list the extensions and password mechanisms on a permissive listener', async () => {
  const c = await RawClient.connect(h.port);
  const r = await c.command('a', 'CAPABILITY');
  assert.match(r[0]!, /^\* CAPABILITY IMAP4rev1 /);
  assert.ok(r[0]!.includes('AUTH=PLAIN'));
  assert.ok(!r[0]!.includes('LOGINDISABLED'));
  assert.ok(!r[0]!.includes('STARTTLS'), 'no STARTTLS without TLS configured');
  assert.ok(!r[0]!.includes('AUTH=OAUTHBEARER'), 'no token mechanisms without oidc');
  c.close();
});

test('after login CAPABILITY names every extension of issue #24 (sharing and the peers\' IMAP extensions)', async () => {
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  const caps = (await c.command('a', 'CAPABILITY'))[0]!.split(' ');
  const wanted = ['ACL', 'RIGHTS=texk', 'NAMESPACE', 'LIST-MYRIGHTS', 'COMPRESS=DEFLATE', 'NOTIFY', 'METADATA', 'METADATA-SERVER', 'OBJECTID', 'PREVIEW', 'SAVEDATE', 'WITHIN', 'REPLACE', 'UIDONLY', 'LIST-METADATA', 'URLAUTH=BINARY', 'I18NLEVEL=1'];
  assert.deepEqual(wanted.filter((w) => !caps.includes(w)), []);
  assert.ok(caps.some((w) => w === 'APPENDLIMIT' || w.startsWith('APPENDLIMIT=')), caps.join(' '));
  c.close();
});

test('requireSSL on a clear STARTTLS listener: LOGINDISABLED and PRIVACYREQUIRED until TLS, then login works', async () => {
  const t = await startImap({ users: { [USER]: PASS }, tls: 'starttls', auth: { requireSSL: true } });
  try {
    const c = await RawClient.connect(t.port);
    let r = await c.command('a', 'CAPABILITY');
    assert.ok(r[0]!.includes('STARTTLS') && r[0]!.includes('LOGINDISABLED'));
    assert.ok(!r[0]!.includes('AUTH=PLAIN'));
    r = await c.command('b', `LOGIN ${USER} ${PASS}`);
    assert.match(r.at(-1)!, /^b NO \[PRIVACYREQUIRED\]/);
    r = await c.command('c', `AUTHENTICATE PLAIN ${plain(USER, PASS)}`);
    assert.match(r.at(-1)!, /^c NO \[PRIVACYREQUIRED\]/);
    // Anything pipelined after STARTTLS must be discarded, not run inside the TLS session.
    c.write(`d STARTTLS\r\ne LOGIN ${USER} ${PASS}\r\n`);
    assert.equal(await c.readLine(), 'd OK Begin TLS negotiation now');
    await c.upgrade(t.cert);
    r = await c.command('f', 'CAPABILITY');
    assert.ok(!r.some((l) => l.startsWith('e ')), 'injected command was not executed');
    assert.ok(r[0]!.includes('AUTH=PLAIN') && !r[0]!.includes('LOGINDISABLED') && !r[0]!.includes('STARTTLS'));
    r = await c.command('g', `LOGIN ${USER} ${PASS}`);
    assert.match(r.at(-1)!, /^g OK \[CAPABILITY /);
    c.close();
  } finally {
    await t.close();
  }
});

test('plain auth disabled without oidc: LOGINDISABLED and no AUTH= mechanisms', async () => {
  const t = await startImap({ users: { [USER]: PASS }, auth: { plainAuthEnabled: false } });
  try {
    const c = await RawClient.connect(t.port);
    const r = await c.command('a', 'CAPABILITY');
    assert.ok(r[0]!.includes('LOGINDISABLED'));
    // Capabilities named AUTH=… (URLAUTH=BINARY only contains the letters).
    assert.ok(!r[0]!.split(' ').some((cap) => cap.startsWith('AUTH=')), r[0]);
    const l = await c.command('b', `LOGIN ${USER} ${PASS}`);
    assert.match(l.at(-1)!, /^b NO /);
    c.close();
  } finally {
    await t.close();
  }
});

test('implicit TLS listener accepts AUTHENTICATE PLAIN with SASL-IR', async () => {
  const t = await startImap({ users: { [USER]: PASS }, tls: 'implicit', auth: { requireSSL: true } });
  try {
    const c = await RawClient.connect(t.port, { tls: true, ca: t.cert! });
    const r = await c.command('a', `AUTHENTICATE PLAIN ${plain(USER, PASS)}`);
    assert.match(r.at(-1)!, /^a OK \[CAPABILITY /);
    c.close();
  } finally {
    await t.close();
  }
});

test('AUTHENTICATE PLAIN without initial response, wrong password, and abort', async () => {
  const c = await RawClient.connect(h.port);
  c.write('a AUTHENTICATE PLAIN\r\n');
  assert.equal(await c.readLine(), '+ ');
  c.write(`${plain(USER, 'wrong')}\r\n`);
  assert.match(await c.readLine(), /^a NO \[AUTHENTICATIONFAILED\]/);
  c.write('b AUTHENTICATE PLAIN\r\n');
  assert.equal(await c.readLine(), '+ ');
  c.write('*\r\n');
  assert.match(await c.readLine(), /^b BAD /);
  const r = await c.command('c', 'AUTHENTICATE XUNKNOWN');
  assert.match(r.at(-1)!, /^c NO /);
  c.write('d AUTHENTICATE PLAIN\r\n');
  assert.equal(await c.readLine(), '+ ');
  c.write(`${plain(USER, PASS)}\r\n`);
  assert.match(await c.readLine(), /^d OK \[CAPABILITY /);
  c.close();
});

test('a literal announcing 1 GB is refused before its bytes are read and the session goes on', async () => {
  const c = await login();
  c.write('a APPEND INBOX {1073741824}\r\n');
  assert.match(await c.readLine(), /^a NO \[TOOBIG\]/);
  const r = await c.command('b', 'NOOP');
  assert.equal(r.at(-1), 'b OK NOOP completed');
  c.close();
});

test('a non-synchronising literal over the limit closes the connection', async () => {
  const c = await login();
  c.write('a APPEND INBOX {1073741824+}\r\nxxxx');
  assert.match(await c.readLine(), /^a (NO|BAD) \[TOOBIG\]/);
  assert.match(await c.readLine(), /^\* BYE /);
  assert.ok(await c.closedWithin(3000));
});

test('a 1 MB line without CRLF is refused and discarded; the next command works', async () => {
  const c = await login();
  c.write('a NOOP ' + 'x'.repeat(1024 * 1024));
  assert.match(await c.readLine(), /^a BAD \[TOOBIG\]/);
  // The rest of that line, up to its CRLF, is discarded without being buffered.
  c.write('x'.repeat(1024 * 1024) + '\r\n');
  const r = await c.command('b', 'NOOP');
  assert.equal(r.at(-1), 'b OK NOOP completed');
  c.close();
});

test('10,000 pipelined commands are all answered, in order', async () => {
  const c = await login();
  const n = 10_000;
  let batch = '';
  for (let i = 0; i < n; i++) batch += `p${i} NOOP\r\n`;
  c.write(batch);
  for (let i = 0; i < n; i++) assert.equal(await c.readLine(), `p${i} OK NOOP completed`);
  c.close();
});

test('a disconnect in the middle of an APPEND literal stores nothing', async () => {
  // One connection per address: the next session is greeted only once the server has let go of the
  // cut one, which is when to look at the mailbox.
  const t = await startImap({ users: { [USER]: PASS }, config: { connectionLimitPerIP: 1 } });
  try {
    const c = await login(t.port);
    c.write('a APPEND INBOX {100}\r\n');
    assert.match(await c.readLine(), /^\+ /);
    await c.send('From: x@example.org\r\n\r\nonly half');
    c.close();
    assert.ok(await c.closedWithin(5000));
    const d = await waitFor('a free connection slot', async () => {
      const next = await RawClient.connect(t.port);
      // A refused connection is greeted with * BYE and closed before LOGIN is answered.
      const r = await next.command('l', `LOGIN ${USER} ${PASS}`).catch(() => undefined);
      if (r?.at(-1)?.startsWith('l OK')) return next;
      next.close();
      return undefined;
    });
    const r = await d.command('s', 'STATUS INBOX (MESSAGES)');
    assert.equal(r[0], '* STATUS INBOX (MESSAGES 0)');
    d.close();
  } finally {
    await t.close();
  }
});

test('invalid modified UTF-7 names: BAD for CREATE, NO for SELECT', async () => {
  const c = await login();
  let r = await c.command('a', 'CREATE &Jjo');
  assert.match(r.at(-1)!, /^a BAD /);
  r = await c.command('b', 'CREATE &AGE-');
  assert.match(r.at(-1)!, /^b BAD /);
  r = await c.command('c', 'SELECT &Jjo');
  assert.match(r.at(-1)!, /^c NO /);
  r = await c.command('d', 'CREATE Entw&APw-rfe');
  assert.match(r.at(-1)!, /^d OK/);
  r = await c.command('e', 'LIST "" Entw*');
  assert.equal(r[0], '* LIST (\\HasNoChildren) "/" Entw&APw-rfe');
  c.close();
});

test('sequence sets beyond 2^32-1 are BAD', async () => {
  const c = await login();
  await c.command('s', 'SELECT INBOX');
  const r = await c.command('a', 'FETCH 1:4294967296 FLAGS');
  assert.match(r.at(-1)!, /^a BAD /);
  const u = await c.command('b', 'UID FETCH 1:4294967295 FLAGS');
  assert.match(u.at(-1)!, /^b OK /);
  c.close();
});

test('IDLE pushes new mail from another session; EXPUNGE waits until FETCH by sequence number is over', async () => {
  const a = await login(h.port, 'bob@example.org', 'pw');
  const b = await login(h.port, 'bob@example.org', 'pw');
  await a.command('s', 'SELECT INBOX');
  a.write('i IDLE\r\n');
  assert.equal(await a.readLine(), '+ idling');
  await b.command('ap1', 'APPEND INBOX {21}\r\nSubject: one\r\n\r\nbody');
  assert.equal(await a.readLine(), '* 1 EXISTS');
  assert.equal(await a.readLine(), '* 1 RECENT');
  await b.command('ap2', 'APPEND INBOX {21}\r\nSubject: two\r\n\r\nbody');
  assert.equal(await a.readLine(), '* 2 EXISTS');
  await a.readLine();
  a.write('DONE\r\n');
  assert.match(await a.readLine(), /^i OK /);

  await b.command('s', 'SELECT INBOX');
  await b.command('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
  await b.command('x', 'EXPUNGE');
  const f = await a.command('f', 'FETCH 1:2 (UID)');
  assert.ok(!f.some((l) => l.includes('EXPUNGE')), `no EXPUNGE during FETCH: ${f.join('|')}`);
  const n = await a.command('n', 'NOOP');
  assert.ok(n.includes('* 1 EXPUNGE'), n.join('|'));
  a.close();
  b.close();
});

test('graceful stop sends BYE to connected clients', async () => {
  const t = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.connect(t.port);
  const closing = t.close();
  assert.match(await c.readLine(), /^\* BYE /);
  await closing;
  assert.ok(await c.closedWithin(2000));
});

test('per-IP connection limit answers BYE [UNAVAILABLE]', async () => {
  const t = await startImap({ users: { [USER]: PASS }, config: { connectionLimitPerIP: 1 } });
  try {
    const c1 = await RawClient.connect(t.port);
    const c2 = await RawClient.connect(t.port).catch(() => undefined);
    // The greeting read by connect() was the BYE.
    assert.ok(c2 === undefined || (await c2.closedWithin(2000)));
    c1.close();
    c2?.close();
  } finally {
    await t.close();
  }
});

test('ENABLE IMAP4rev2: no RECENT or \\Recent, SEARCH answers ESEARCH, UTF-8 mailbox names', async () => {
  const c = await login(h.port, 'bob@example.org', 'pw');
  let r = await c.command('e', 'ENABLE IMAP4rev2');
  assert.ok(r.includes('* ENABLED IMAP4rev2'), r.join('|'));
  c.write(Buffer.from('c CREATE "Entwürfe"\r\n', 'utf8'));
  r = await c.until('c');
  assert.match(r.at(-1)!, /^c OK/);
  r = await c.command('l', 'LIST "" "Entw*"');
  // The raw client reads bytes as latin1; the server sent UTF-8.
  assert.equal(Buffer.from(r[0]!, 'latin1').toString('utf8'), '* LIST (\\HasNoChildren) "/" "Entwürfe"');
  r = await c.command('s', 'SELECT INBOX');
  assert.ok(!r.some((l) => / RECENT$/.test(l)), r.join('|'));
  r = await c.command('f', 'FETCH 1 FLAGS');
  assert.ok(!r.some((l) => l.includes('\\Recent')));
  r = await c.command('q', 'SEARCH ALL');
  assert.match(r[0]!, /^\* ESEARCH \(TAG "q"\) ALL \d/);
  c.close();
});

test('8-bit data that is not UTF-8 reaches a UTF8=ACCEPT client byte for byte, as a literal', async () => {
  // Short FETCH data goes out as a quoted string; under UTF8=ACCEPT a quoted string may carry UTF-8,
  // but Latin-1 bytes in one were turned into U+FFFD, so the client read other bytes than stored.
  const c = await login(h.port, 'carol@example.org', 'pw');
  const body = Buffer.from('caf\xe9 cr\xe8me', 'latin1');
  const head = 'From: a@example.org\r\nSubject: latin\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n';
  const msg = Buffer.concat([Buffer.from(head), body]);
  c.write(Buffer.concat([Buffer.from(`a APPEND INBOX {${msg.length}+}\r\n`), msg, Buffer.from('\r\n')]));
  assert.match((await c.until('a')).at(-1)!, /^a OK/);
  assert.ok((await c.command('e', 'ENABLE UTF8=ACCEPT')).includes('* ENABLED UTF8=ACCEPT'));
  assert.match((await c.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
  const r = await c.command('f', 'FETCH 1 (BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (Subject)])');
  // The raw client reads one char per byte (latin1), so the expected text is the stored bytes.
  assert.equal(r[0], `* 1 FETCH (BODY[1] {${body.length}}`);
  assert.match(r[1]!, /^caf\xe9 cr\xe8me BODY\[HEADER\.FIELDS \(SUBJECT\)\] /);
  c.close();
});

test('a session-revoked event for the user ends the session with BYE', async () => {
  const c = await login(h.port, 'bob@example.org', 'pw');
  await h.events.publish({ type: 'session-revoked', user: 'bob@example.org', reason: 'password changed' });
  assert.equal(await c.readLine(), '* BYE password changed');
  assert.ok(await c.closedWithin(3000));
});

test('QRESYNC: VANISHED (EARLIER) on SELECT and VANISHED instead of EXPUNGE; QUOTA answers', async () => {
  const t = await startImap({ users: { [USER]: PASS } });
  try {
    const c = await login(t.port);
    for (const n of [1, 2, 3]) {
      const msg = `Subject: ${n}\r\n\r\nbody`;
      const a = await c.command(`a${n}`, `APPEND INBOX {${msg.length}}\r\n${msg}`);
      assert.match(a.at(-1)!, /OK \[APPENDUID \d+ \d+\]/);
    }
    let r = await c.command('e', 'ENABLE QRESYNC');
    assert.ok(r.includes('* ENABLED QRESYNC'), r.join('|'));
    r = await c.command('s', 'SELECT INBOX');
    const uidv = /UIDVALIDITY (\d+)/.exec(r.join(' '))![1];
    const modseq = /HIGHESTMODSEQ (\d+)/.exec(r.join(' '))![1];
    r = await c.command('d', 'UID STORE 2 +FLAGS (\\Deleted)');
    r = await c.command('x', 'EXPUNGE');
    assert.ok(r.includes('* VANISHED 2'), r.join('|'));
    r = await c.command('s2', `SELECT INBOX (QRESYNC (${uidv} ${modseq} 1:3))`);
    assert.ok(r.includes('* OK [CLOSED] Previous mailbox closed'), r.join('|'));
    assert.ok(r.includes('* VANISHED (EARLIER) 2'), r.join('|'));
    r = await c.command('q', 'GETQUOTAROOT INBOX');
    assert.equal(r[0], '* QUOTAROOT INBOX ""');
    assert.match(r[1]!, /^\* QUOTA "" \(/);
    c.close();
  } finally {
    await t.close();
  }
});
