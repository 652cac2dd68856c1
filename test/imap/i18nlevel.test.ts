// I18NLEVEL=1 (RFC 5255 §4) over real sockets: SEARCH and SORT use i;unicode-casemap (RFC 5051)
// by default, so non-ASCII letters match in any case and compatibility forms match their plain
// letters, and SORT orders by the folded strings. (The store contract checks the same searches on
// both engines.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from './harness.js';
import { ImapFlow } from 'imapflow';
import { RawClient } from './raw-client.js';

const USER = 'alice@example.org';
const PASS = 'secret';

async function append(c: RawClient, tag: string, subject: string, body: string): Promise<void> {
  const text = Buffer.from(`Subject: ${subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`, 'utf8');
  c.write(Buffer.concat([Buffer.from(`${tag} APPEND INBOX {${text.length}+}\r\n`), text, Buffer.from('\r\n')]));
  assert.match((await c.until(tag)).at(-1)!, new RegExp(`^${tag} OK`));
}

/** SEARCH CHARSET UTF-8 <key> <literal>: the UIDs found. */
async function search(c: RawClient, tag: string, key: string, value: string): Promise<number[]> {
  const v = Buffer.from(value, 'utf8');
  c.write(Buffer.concat([Buffer.from(`${tag} UID SEARCH CHARSET UTF-8 ${key} {${v.length}+}\r\n`), v, Buffer.from('\r\n')]));
  const r = await c.until(tag);
  assert.match(r.at(-1)!, new RegExp(`^${tag} OK`), JSON.stringify(r));
  const line = r.find((l) => l.startsWith('* SEARCH'))!;
  return line.split(' ').slice(2).map(Number);
}

test('RFC 5255 §4: I18NLEVEL=1 is advertised; SEARCH matches non-ASCII text case-insensitively under i;unicode-casemap', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    assert.ok((await c.command('c', 'CAPABILITY'))[0]!.split(' ').includes('I18NLEVEL=1'));
    await append(c, 'a1', 'Viel ärger heute', 'Das ist ÄRGERLICH');
    await append(c, 'a2', 'ǅemal', 'ＴＥＳＳＥＲＡ');
    await append(c, 'a3', 'plain', 'nothing special');
    await c.command('s', 'SELECT INBOX');
    assert.deepEqual(await search(c, 'q1', 'SUBJECT', 'ÄRGER'), [1]);
    assert.deepEqual(await search(c, 'q2', 'BODY', 'ärgerlich'), [1]);
    assert.deepEqual(await search(c, 'q3', 'TEXT', 'Ä'), [1]);
    assert.deepEqual(await search(c, 'q4', 'SUBJECT', 'ǆEMAL'), [2]);
    assert.deepEqual(await search(c, 'q5', 'SUBJECT', 'Ǆ'), [2]);
    assert.deepEqual(await search(c, 'q6', 'BODY', 'Tessera'), [2]);
    assert.deepEqual(await search(c, 'q7', 'HEADER SUBJECT', 'VIEL ÄRGER'), [1]);
    assert.deepEqual(await search(c, 'q8', 'SUBJECT', 'ärgerx'), []);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5255 §4, RFC 5051 §2: SORT orders subjects by their i;unicode-casemap octets', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    // Folded (NFKD): A+U+0308 RMEL, ZEBRA, A+U+0308 RGER, APPLE, so by octets apple, ärger, Ärmel,
    // Zebra. Folding ASCII only would give apple, Zebra, Ärmel (C3 84), ärger (C3 A4).
    for (const [i, s] of ['Ärmel', 'Zebra', 'ärger', 'apple'].entries()) await append(c, `a${i}`, s, 'x');
    await c.command('s', 'SELECT INBOX');
    const r = await c.command('o', 'UID SORT (SUBJECT) UTF-8 ALL');
    assert.ok(r.includes('* SORT 4 3 1 2'), JSON.stringify(r));
    const rev = await c.command('o2', 'UID SORT (REVERSE SUBJECT) UTF-8 ALL');
    assert.ok(rev.includes('* SORT 2 1 3 4'), JSON.stringify(rev));
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5255 §4 with a real client: imapflow searches non-ASCII subjects and bodies in any case', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const client = new ImapFlow({ host: '127.0.0.1', port: h.port, secure: false, auth: { user: USER, pass: PASS }, logger: false });
  await client.connect();
  try {
    await client.append('INBOX', Buffer.from('Subject: =?utf-8?q?Gro=C3=9Fer_=C3=84rger?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nΟΔΟΣ ΚΑΙ ΣΠΙΤΙ\r\n', 'utf8'));
    await client.append('INBOX', 'Subject: plain\r\n\r\nnothing\r\n');
    const lock = await client.getMailboxLock('INBOX');
    try {
      assert.deepEqual(await client.search({ subject: 'GROßER ärger' }, { uid: true }), [1]);
      assert.deepEqual(await client.search({ body: 'οδος και' }, { uid: true }), [1]);
      assert.deepEqual(await client.search({ subject: 'grosser' }, { uid: true }), []);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
    await h.close();
  }
});
