// METADATA and METADATA-SERVER (RFC 5464) over real sockets: GETMETADATA/SETMETADATA on mailboxes
// and on the server, /private per user, /shared per mailbox, the MAXSIZE/DEPTH options, limits,
// and annotations following the mailbox through RENAME and DELETE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const PASS = 'secret';

function tagged(lines: string[]): string {
  return lines.at(-1)!;
}

test('RFC 5464 §1, §4.2, §4.3: mailbox annotations set, read, replaced and removed; NIL for absent entries', async () => {
  const h = await startImap({ users: { [ALICE]: PASS } });
  const c = await RawClient.loggedIn(h.port, ALICE, PASS);
  try {
    const caps = (await c.command('c', 'CAPABILITY')).find((l) => l.startsWith('* CAPABILITY '))!.split(' ');
    assert.ok(caps.includes('METADATA') && caps.includes('METADATA-SERVER'));
    assert.match(tagged(await c.command('s1', 'SETMETADATA INBOX (/private/comment "my notes" /shared/comment "team inbox")')), /^s1 OK/);
    assert.deepEqual((await c.command('g1', 'GETMETADATA INBOX (/private/comment /shared/comment /shared/vendor/none)')).slice(0, -1), [
      '* METADATA INBOX (/private/comment "my notes" /shared/comment "team inbox" /shared/vendor/none NIL)',
    ]);
    // §3.2: entry names are case-insensitive; a single entry needs no parentheses.
    assert.deepEqual((await c.command('g2', 'GETMETADATA INBOX /Private/COMMENT')).slice(0, -1), ['* METADATA INBOX (/private/comment "my notes")']);
    // Literal values (with CRLF) come back as literals.
    c.write('s2 SETMETADATA INBOX (/private/comment {6+}\r\nab\r\ncd)\r\n');
    assert.match(tagged(await c.until('s2')), /^s2 OK/);
    const lit = await c.command('g3', 'GETMETADATA INBOX /private/comment');
    assert.deepEqual(lit.slice(0, 3), ['* METADATA INBOX (/private/comment {6}', 'ab', 'cd)']);
    // §4.3: NIL removes.
    assert.match(tagged(await c.command('s3', 'SETMETADATA INBOX (/private/comment NIL)')), /^s3 OK/);
    assert.deepEqual((await c.command('g4', 'GETMETADATA INBOX /private/comment')).slice(0, -1), ['* METADATA INBOX (/private/comment NIL)']);
    // §5 literal8: values with NUL octets travel as ~{n}.
    c.write('s4 SETMETADATA INBOX (/private/vendor/bin ~{3+}\r\na\0b)\r\n');
    assert.match(tagged(await c.until('s4')), /^s4 OK/);
    assert.equal((await c.command('g5', 'GETMETADATA INBOX /private/vendor/bin'))[0], '* METADATA INBOX (/private/vendor/bin ~{3}');
    // Unknown mailbox; malformed entry names (§3.2) are BAD.
    assert.match(tagged(await c.command('n1', 'GETMETADATA Nowhere /shared/comment')), /^n1 NO \[NONEXISTENT\]/);
    for (const bad of ['/other/comment', '/shared/', '/shared//x', '/shared/a*', 'comment']) {
      assert.match(tagged(await c.command('b1', `SETMETADATA INBOX (${bad} "x")`)), /^b1 BAD/, bad);
    }
    assert.match(tagged(await c.command('b2', 'SETMETADATA INBOX (/shared "x")')), /^b2 BAD/);
    assert.match(tagged(await c.command('b3', 'SETMETADATA INBOX (/shared/comment)')), /^b3 BAD/);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5464 §4.2.1 MAXSIZE and §4.2.2 DEPTH: long entries left out with LONGENTRIES, subtrees by depth', async () => {
  const h = await startImap({ users: { [ALICE]: PASS } });
  const c = await RawClient.loggedIn(h.port, ALICE, PASS);
  try {
    const long = 'x'.repeat(40);
    assert.match(
      tagged(await c.command('s', `SETMETADATA INBOX (/shared/vendor/t/a "1" /shared/vendor/t/a/deep "2" /shared/vendor/t/b "${long}")`)),
      /^s OK/,
    );
    assert.deepEqual((await c.command('d0', 'GETMETADATA INBOX /shared/vendor/t')).slice(0, -1), ['* METADATA INBOX (/shared/vendor/t NIL)']);
    assert.deepEqual((await c.command('d1', 'GETMETADATA (DEPTH 1) INBOX /shared/vendor/t')).slice(0, -1), [
      `* METADATA INBOX (/shared/vendor/t/a "1" /shared/vendor/t/b "${long}")`,
    ]);
    assert.deepEqual((await c.command('di', 'GETMETADATA (DEPTH infinity) INBOX /shared')).slice(0, -1), [
      `* METADATA INBOX (/shared/vendor/t/a "1" /shared/vendor/t/a/deep "2" /shared/vendor/t/b "${long}")`,
    ]);
    const m = await c.command('m', 'GETMETADATA (MAXSIZE 10 DEPTH infinity) INBOX /shared/vendor');
    assert.deepEqual(m.slice(0, -1), ['* METADATA INBOX (/shared/vendor/t/a "1" /shared/vendor/t/a/deep "2")']);
    assert.match(tagged(m), /^m OK \[METADATA LONGENTRIES 40\]/);
    assert.match(tagged(await c.command('bo', 'GETMETADATA (DEPTH 2) INBOX /shared')), /^bo BAD/);
    assert.match(tagged(await c.command('bo2', 'GETMETADATA (MAXSIZE) INBOX /shared')), /^bo2 BAD/);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5464 §4.3: [METADATA MAXSIZE n] for a value too large, [METADATA TOOMANY] past the entry count, nothing partly written', async () => {
  const h = await startImap({ users: { [ALICE]: PASS } });
  const c = await RawClient.loggedIn(h.port, ALICE, PASS);
  try {
    const big = 64 * 1024 + 1;
    c.write(`t1 SETMETADATA INBOX (/private/comment {${big}+}\r\n${'y'.repeat(big)})\r\n`);
    assert.match(tagged(await c.until('t1')), /^t1 NO \[METADATA MAXSIZE 65536\]/);
    const hundred = Array.from({ length: 100 }, (_, i) => `/private/vendor/n${i} "v"`).join(' ');
    assert.match(tagged(await c.command('t2', `SETMETADATA INBOX (${hundred})`)), /^t2 OK/);
    assert.match(tagged(await c.command('t3', 'SETMETADATA INBOX (/private/vendor/n0 NIL /shared/comment "a" /shared/vendor/more "b")')), /^t3 NO \[METADATA TOOMANY\]/);
    // The refused write left nothing behind, the delete in it included.
    assert.deepEqual((await c.command('g', 'GETMETADATA INBOX (/private/vendor/n0 /shared/comment)')).slice(0, -1), [
      '* METADATA INBOX (/private/vendor/n0 "v" /shared/comment NIL)',
    ]);
    // Replacing an existing entry is no new entry.
    assert.match(tagged(await c.command('t4', 'SETMETADATA INBOX (/private/vendor/n1 "w")')), /^t4 OK/);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5464 §3.2.1.1, §3.3: server annotations; /private per user, /shared/admin from the configuration, server /shared not writable by users', async () => {
  const h = await startImap({ users: { [ALICE]: PASS, [BOB]: PASS }, adminContact: 'postmaster@example.org' });
  const a = await RawClient.loggedIn(h.port, ALICE, PASS);
  const b = await RawClient.loggedIn(h.port, BOB, PASS);
  try {
    assert.match(tagged(await a.command('s', 'SETMETADATA "" (/private/comment "alice server note")')), /^s OK/);
    assert.deepEqual((await a.command('g', 'GETMETADATA "" (/private/comment /shared/admin /shared/comment)')).slice(0, -1), [
      '* METADATA "" (/private/comment "alice server note" /shared/admin "mailto:postmaster@example.org" /shared/comment NIL)',
    ]);
    assert.deepEqual((await a.command('gd', 'GETMETADATA (DEPTH infinity) "" /shared')).slice(0, -1), ['* METADATA "" (/shared/admin "mailto:postmaster@example.org")']);
    // Bob has his own /private entries: he does not see Alice's.
    assert.deepEqual((await b.command('g', 'GETMETADATA "" /private/comment')).slice(0, -1), ['* METADATA "" (/private/comment NIL)']);
    for (const name of ['/shared/comment', '/shared/admin']) assert.match(tagged(await b.command('w', `SETMETADATA "" (${name} "mine")`)), /^w NO \[NOPERM\]/, name);
    // Alice's mailboxes are not Bob's to annotate.
    assert.match(tagged(await b.command('x', 'SETMETADATA INBOX (/shared/comment "bob")')), /^x OK/);
    assert.deepEqual((await a.command('y', 'GETMETADATA INBOX /shared/comment')).slice(0, -1), ['* METADATA INBOX (/shared/comment NIL)']);
    // Deleting an account deletes its /private server entries.
    assert.match(tagged(await b.command('p', 'SETMETADATA "" (/private/vendor/x "bob private")')), /^p OK/);
    assert.equal((await h.store.getMetadata(BOB, null, ['/private/vendor/x'], 0)).length, 1);
    b.close();
    await h.store.deleteAccount(BOB);
    assert.deepEqual(await h.store.getMetadata(BOB, null, ['/private/vendor/x'], 0), []);
  } finally {
    a.close();
    b.close();
    await h.close();
  }
});

test('RFC 5464 §3.1: annotations follow a mailbox through RENAME, go with it on DELETE, and are stored durably', async () => {
  const h = await startImap({ users: { [ALICE]: PASS } });
  const c = await RawClient.loggedIn(h.port, ALICE, PASS);
  try {
    assert.match(tagged(await c.command('c1', 'CREATE Projects')), /^c1 OK/);
    assert.match(tagged(await c.command('s', 'SETMETADATA Projects (/shared/comment "work")')), /^s OK/);
    assert.match(tagged(await c.command('r', 'RENAME Projects Work')), /^r OK/);
    assert.deepEqual((await c.command('g1', 'GETMETADATA Work /shared/comment')).slice(0, -1), ['* METADATA Work (/shared/comment "work")']);
    // Read back through the store: the value is in the database, not in the session.
    const box = await h.store.findMailboxByPath(ALICE, 'Work');
    assert.deepEqual(await h.store.getMetadata(ALICE, box!.id, ['/shared/comment'], 0), [{ name: '/shared/comment', value: Buffer.from('work') }]);
    assert.match(tagged(await c.command('d', 'DELETE Work')), /^d OK/);
    assert.match(tagged(await c.command('c2', 'CREATE Work')), /^c2 OK/);
    assert.deepEqual((await c.command('g2', 'GETMETADATA Work /shared/comment')).slice(0, -1), ['* METADATA Work (/shared/comment NIL)']);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5464 §3.3 with RFC 4314: on a shared mailbox /private entries are each reader\'s own, /shared ones need "w" to write', async () => {
  const h = await startImap({ users: { [ALICE]: PASS, [BOB]: PASS } });
  const a = await RawClient.loggedIn(h.port, ALICE, PASS);
  const b = await RawClient.loggedIn(h.port, BOB, PASS);
  const shared = `"Other Users/${ALICE}/INBOX"`;
  try {
    assert.match(tagged(await b.command('n', `GETMETADATA ${shared} /shared/comment`)), /^n NO \[NONEXISTENT\]/);
    assert.match(tagged(await a.command('acl', `SETACL INBOX ${BOB} lr`)), /^acl OK/);
    assert.match(tagged(await a.command('s', 'SETMETADATA INBOX (/shared/comment "team" /private/comment "alice")')), /^s OK/);
    assert.match(tagged(await b.command('p', `SETMETADATA ${shared} (/private/comment "bob")`)), /^p OK/);
    assert.match(tagged(await b.command('w', `SETMETADATA ${shared} (/shared/comment "bob")`)), /^w NO \[NOPERM\]/);
    assert.deepEqual((await b.command('g', `GETMETADATA ${shared} (/private/comment /shared/comment)`)).slice(0, -1), [
      `* METADATA ${shared} (/private/comment "bob" /shared/comment "team")`,
    ]);
    assert.deepEqual((await a.command('g', 'GETMETADATA INBOX (/private/comment /shared/comment)')).slice(0, -1), [
      '* METADATA INBOX (/private/comment "alice" /shared/comment "team")',
    ]);
    assert.match(tagged(await a.command('acl2', `SETACL INBOX ${BOB} lrw`)), /^acl2 OK/);
    assert.match(tagged(await b.command('w2', `SETMETADATA ${shared} (/shared/comment "bob")`)), /^w2 OK/);
    assert.deepEqual((await a.command('g2', 'GETMETADATA INBOX /shared/comment')).slice(0, -1), ['* METADATA INBOX (/shared/comment "bob")']);
  } finally {
    a.close();
    b.close();
    await h.close();
  }
});
