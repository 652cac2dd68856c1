// REPLACE and UID REPLACE (RFC 8508) over real sockets: the new message is appended and the old one
// expunged in one step, APPENDUID in an untagged OK before the EXPUNGE, literals (in memory and
// spooled) taken as APPEND takes them, and a failed append leaves the old message where it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';

const USER = 'alice@example.org';
const PASS = 'secret';

function msg(subject: string, body = 'body'): string {
  return `Subject: ${subject}\r\n\r\n${body}\r\n`;
}

async function append(c: RawClient, tag: string, text: string): Promise<void> {
  c.write(`${tag} APPEND INBOX {${Buffer.byteLength(text)}+}\r\n${text}\r\n`);
  assert.match((await c.until(tag)).at(-1)!, new RegExp(`^${tag} OK`));
}

async function subjects(c: RawClient, tag: string): Promise<string[]> {
  const lines = await c.command(tag, 'FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  return lines.filter((l) => l.startsWith('Subject: ')).map((l) => l.slice(9));
}

test('RFC 8508 §3, §3.2: REPLACE appends, then expunges the replaced message; APPENDUID before the EXPUNGE', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    assert.ok((await c.command('c', 'CAPABILITY'))[0]!.split(' ').includes('REPLACE'));
    await append(c, 'a1', msg('one'));
    await append(c, 'a2', msg('draft v1'));
    const sel = await c.command('s', 'SELECT INBOX');
    const validity = /UIDVALIDITY (\d+)/.exec(sel.join('\n'))![1];
    const draft = msg('draft v2', 'longer body');
    c.write(`r1 REPLACE 2 INBOX (\\Draft) {${Buffer.byteLength(draft)}+}\r\n${draft}\r\n`);
    const r = await c.until('r1');
    const ok = r.findIndex((l) => l === `* OK [APPENDUID ${validity} 3] Replacement appended`);
    const gone = r.indexOf('* 2 EXPUNGE');
    assert.ok(ok >= 0 && gone > ok, JSON.stringify(r));
    assert.ok(r.includes('* 2 EXISTS'), JSON.stringify(r));
    assert.match(r.at(-1)!, /^r1 OK REPLACE completed/);
    assert.deepEqual(await subjects(c, 'f'), ['one', 'draft v2']);
    const g = await c.command('g', 'UID FETCH 3 (FLAGS)');
    assert.ok(g.some((l) => /^\* 2 FETCH \(.*FLAGS \(\\Draft( \\Recent)?\)/.test(l)), JSON.stringify(g));
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 8508 §3.1: UID REPLACE into another mailbox, with a spooled literal and with CATENATE, as APPEND takes them', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    await append(c, 'a1', msg('keep'));
    await append(c, 'a2', msg('move me'));
    await c.command('s', 'SELECT INBOX');
    // Over 64 KiB: the literal goes to a spool file, as APPEND's does.
    const big = msg('big', 'z'.repeat(100 * 1024));
    c.write(`r1 UID REPLACE 2 Drafts {${Buffer.byteLength(big)}}\r\n`);
    assert.match(await c.readLine(), /^\+ /);
    c.write(`${big}\r\n`);
    const r = await c.until('r1');
    assert.ok(r.some((l) => /^\* OK \[APPENDUID \d+ 1\]/.test(l)), JSON.stringify(r));
    assert.ok(r.includes('* 2 EXPUNGE'), JSON.stringify(r));
    assert.match(r.at(-1)!, /^r1 OK UID REPLACE completed/);
    assert.deepEqual(await subjects(c, 'f1'), ['keep']);
    const st = await c.command('st', 'STATUS Drafts (MESSAGES SIZE)');
    assert.ok(st.some((l) => l === `* STATUS Drafts (MESSAGES 1 SIZE ${Buffer.byteLength(big)})`), JSON.stringify(st));
    // CATENATE: the new message built from a text part.
    c.write(`r2 REPLACE 1 INBOX CATENATE (TEXT {${Buffer.byteLength(msg('kept v2'))}+}\r\n${msg('kept v2')})\r\n`);
    assert.match((await c.until('r2')).at(-1)!, /^r2 OK/);
    assert.deepEqual(await subjects(c, 'f2'), ['kept v2']);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 8508 §3.3-§3.4: failures keep the old message: TRYCREATE, TOOBIG, READ-ONLY, bad numbers', async () => {
  const h = await startImap({ users: { [USER]: PASS }, config: { maxLiteralSize: 1000 } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    await append(c, 'a1', msg('original'));
    assert.match((await c.command('n0', `REPLACE 1 INBOX {5+}\r\nhello`)).at(-1)!, /^n0 BAD/, 'not selected');
    await c.command('s', 'SELECT INBOX');
    const m = msg('new');
    c.write(`n1 REPLACE 1 Nowhere {${m.length}+}\r\n${m}\r\n`);
    assert.match((await c.until('n1')).at(-1)!, /^n1 NO \[TRYCREATE\]/);
    c.write('n2 REPLACE 1 INBOX {2000}\r\n');
    assert.match((await c.until('n2')).at(-1)!, /^n2 NO \[TOOBIG\]/);
    c.write(`n3 REPLACE 2 INBOX {${m.length}+}\r\n${m}\r\n`);
    assert.match((await c.until('n3')).at(-1)!, /^n3 BAD/);
    c.write(`n4 UID REPLACE 99 INBOX {${m.length}+}\r\n${m}\r\n`);
    assert.match((await c.until('n4')).at(-1)!, /^n4 NO \[NONEXISTENT\]/);
    c.write(`n5 REPLACE 1:2 INBOX {${m.length}+}\r\n${m}\r\n`);
    assert.match((await c.until('n5')).at(-1)!, /^n5 BAD/);
    c.write(`n6 REPLACE 1 INBOX {${m.length}+}\r\n${m} {${m.length}+}\r\n${m}\r\n`);
    assert.match((await c.until('n6')).at(-1)!, /^n6 BAD/, 'one message only');
    await c.command('x', 'EXAMINE INBOX');
    c.write(`n7 REPLACE 1 INBOX {${m.length}+}\r\n${m}\r\n`);
    assert.match((await c.until('n7')).at(-1)!, /^n7 NO \[READ-ONLY\]/);
    assert.deepEqual(await subjects(c, 'f'), ['original']);
    const st = await c.command('st', 'STATUS INBOX (MESSAGES)');
    assert.ok(st.includes('* STATUS INBOX (MESSAGES 1)'), JSON.stringify(st));
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 8508 §3.4 with RFC 4314: REPLACE in another user\'s mailbox needs "i", "t" and "e"; refused, the old message stays', async () => {
  const BOB = 'bob@example.org';
  const h = await startImap({ users: { [USER]: PASS, [BOB]: PASS } });
  const a = await RawClient.loggedIn(h.port, USER, PASS);
  const b = await RawClient.loggedIn(h.port, BOB, PASS);
  const shared = `"Other Users/${USER}/INBOX"`;
  try {
    await append(a, 'a1', msg('old'));
    assert.match((await a.command('acl', `SETACL INBOX ${BOB} lrswi`)).at(-1)!, /^acl OK/);
    assert.match((await b.command('sel', `SELECT ${shared}`)).at(-1)!, /^sel OK/);
    const text = msg('new');
    b.write(`r1 REPLACE 1 ${shared} {${Buffer.byteLength(text)}+}\r\n${text}\r\n`);
    assert.match((await b.until('r1')).at(-1)!, /^r1 NO \[NOPERM\]/);
    assert.match((await a.command('s1', 'SELECT INBOX')).at(-1)!, /^s1 OK/);
    assert.deepEqual(await subjects(a, 'f1'), ['old']);
    assert.match((await a.command('acl2', `SETACL INBOX ${BOB} lrswite`)).at(-1)!, /^acl2 OK/);
    b.write(`r2 REPLACE 1 ${shared} {${Buffer.byteLength(text)}+}\r\n${text}\r\n`);
    const done = await b.until('r2');
    assert.match(done.at(-1)!, /^r2 OK/);
    assert.ok(done.some((l) => l === '* 1 EXPUNGE'), done.join('\n'));
    assert.match((await a.command('s2', 'SELECT INBOX')).at(-1)!, /^s2 OK/);
    assert.deepEqual(await subjects(a, 'f2'), ['new']);
  } finally {
    a.close();
    b.close();
    await h.close();
  }
});
