// POP3 in the whole server (runServe with the real protocol factories, one store): Python's poplib
// and curl over STLS and implicit TLS, every SASL mechanism (a real OAuth token from the test IdP),
// DELE seen by IMAP, UIDL stable across sessions and equal to the IMAP UID, requireSSL before STLS,
// and a revoked OP session ending a live POP3 session.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, startTessera, withTimeout, writeE2eConf, type E2eConf, type E2eServer } from '../e2e/harness.js';
import { imapConnect } from '../e2e/clients.js';
import { curlPop3, poplib } from './clients.js';
import { RawPop3Client } from './raw-client.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const CAROL = `carol@${DOMAIN}`;
const DAVE = `dave@${DOMAIN}`;
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice pop3 secret', [BOB]: 'bob-pop3-secret', [CAROL]: 'carol-pop3-secret', [DAVE]: 'dave-pop3-secret' };
const WAIT_MS = 10_000;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;

/** A message whose body has lines starting with "." (byte-stuffing) and a final line without CRLF. */
function message(subject: string, extra = ''): string {
  return `From: sender@${DOMAIN}\r\nTo: ${ALICE}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@test>\r\n\r\nfirst line\r\n.starts with a dot\r\n..two dots\r\n.\r\nlast line${extra}`;
}

async function appendOverImap(user: string, raws: string[]): Promise<number[]> {
  const imap = await imapConnect(srv.endpoints.imap, { user, pass: PASSWORDS[user]! });
  try {
    const uids: number[] = [];
    for (const raw of raws) {
      const r = await imap.append('INBOX', raw);
      assert.ok(r && typeof r === 'object' && r.uid, 'APPEND returned a UID');
      uids.push(r.uid);
    }
    return uids;
  } finally {
    await imap.logout();
  }
}

async function imapUids(user: string): Promise<{ uids: number[]; uidValidity: number }> {
  const imap = await imapConnect(srv.endpoints.imap, { user, pass: PASSWORDS[user]! });
  try {
    const box = await imap.mailboxOpen('INBOX');
    const uids = box.exists === 0 ? [] : ((await imap.search({ all: true }, { uid: true })) || []);
    return { uids, uidValidity: Number(box.uidValidity) };
  } finally {
    await imap.logout();
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }, { email: CAROL }, { email: DAVE }] });
  conf = await writeE2eConf(idp);
  srv = await startTessera(conf);
  idp.setClientMetadata({ backchannel_logout_uri: `${srv.endpoints.jmap}/oidc/backchannel-logout`, backchannel_logout_session_required: true });
  for (const [user, password] of Object.entries(PASSWORDS)) await srv.running.context.users.add(user, password);
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('POP3 with Python poplib', () => {
  it('lists, retrieves (byte-stuffed), TOPs and deletes over STLS; the deletion shows in IMAP; UIDL is stable and equals the IMAP UID', async () => {
    const raws = [message('one'), message('two', '\r\n'), message('three')];
    const uids = await appendOverImap(ALICE, raws);
    const first = await poplib({ port: srv.endpoints.pop3, tls: 'stls', user: ALICE, password: PASSWORDS[ALICE]!, ops: [['stat'], ['list'], ['uidl'], ['retr', 1], ['top', 2, 1], ['dele', 1]] });
    assert.ok(first.capa.includes('UIDL') && first.capa.includes('TOP') && first.capa.includes('PIPELINING') && first.capa.includes('RESP-CODES'), `CAPA: ${first.capa.join(' ')}`);
    const sizes = raws.map((r) => Buffer.byteLength(r));
    assert.deepEqual(first.stat![0], [3, sizes.reduce((a, b) => a + b, 0)]);
    assert.deepEqual(first.list![0], sizes.map((size, i) => `${i + 1} ${size}`));
    const { uidValidity } = await imapUids(ALICE);
    const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
    assert.deepEqual(first.uidl![0], uids.map((uid, i) => `${i + 1} ${hex(uid)}${hex(uidValidity)}`));
    // poplib un-stuffs: the lines are the message's own.
    assert.deepEqual(first.retr![0]!.lines, raws[0]!.split('\r\n'));
    assert.deepEqual(first.top![0], message('two').split('\r\n').slice(0, 6));
    assert.match(first.quit, /^\+OK .*1 messages deleted/);

    const after = await imapUids(ALICE);
    assert.deepEqual(after.uids, uids.slice(1), 'the message deleted over POP3 is gone from IMAP');

    // A new session over implicit TLS: the same UIDLs for the messages left, renumbered from 1.
    const second = await poplib({ port: srv.endpoints.pop3s, tls: 'implicit', user: ALICE, password: PASSWORDS[ALICE]!, ops: [['uidl'], ['dele', 1], ['rset'], ['stat']] });
    assert.deepEqual(second.uidl![0], first.uidl![0]!.slice(1).map((l, i) => `${i + 1} ${l.split(' ')[1]}`));
    assert.equal(second.stat![0]![0], 2, 'RSET undid the mark, QUIT removes nothing');
    assert.deepEqual((await imapUids(ALICE)).uids, uids.slice(1));
  });
});

describe('POP3 concurrent sessions and large messages', () => {
  it('streams a message larger than a store slice, byte-stuffed, octet for octet', async () => {
    const body = Array.from({ length: 6000 }, (_, i) => (i % 3 === 0 ? `.dot line ${i} ${'x'.repeat(40)}` : `line ${i} ${'y'.repeat(40)}`)).join('\r\n');
    const raw = `From: big@${DOMAIN}\r\nTo: ${DAVE}\r\nSubject: big\r\n\r\n${body}\r\n`;
    assert.ok(raw.length > 200 * 1024);
    await appendOverImap(DAVE, [raw]);
    const r = await poplib({ port: srv.endpoints.pop3s, tls: 'implicit', user: DAVE, password: PASSWORDS[DAVE]!, ops: [['list'], ['retr', 1]] });
    assert.deepEqual(r.list![0], [`1 ${raw.length}`]);
    assert.deepEqual(r.retr![0]!.lines, raw.split('\r\n').slice(0, -1));
  });

  it('follows Dovecot (no lock): two sessions see the maildrop, each QUIT removes its own deletions, a message gone meanwhile is -ERR', async () => {
    const user = DAVE;
    const uids = await appendOverImap(user, [message('shared one'), message('shared two')]);
    const login = async (): Promise<RawPop3Client> => {
      const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
      assert.match(await client.command(`USER ${user}`), /^\+OK/);
      assert.match(await client.command(`PASS ${PASSWORDS[user]}`), /^\+OK Logged in/);
      return client;
    };
    const a = await login();
    const b = await login();
    assert.match(await a.command('UIDL'), /^\+OK/);
    const listA = await a.body();
    assert.match(await b.command('UIDL'), /^\+OK/);
    assert.deepEqual(await b.body(), listA, 'both sessions see the same maildrop');
    const n = listA.length - 1; // 'shared one'
    assert.match(await a.command(`DELE ${n}`), /^\+OK/);
    assert.match(await b.command(`DELE ${n}`), /^\+OK/);
    assert.match(await a.command('QUIT'), /^\+OK Bye, 1 messages deleted/);
    assert.match(await b.command(`RETR ${n}`), /^-ERR /, 'deleted in its own session');
    assert.match(await b.command('RSET'), /^\+OK/);
    assert.match(await b.command(`RETR ${n}`), /^-ERR Message was removed by another session/);
    assert.match(await b.command('QUIT'), /^\+OK Bye, 0 messages deleted/);
    const left = (await imapUids(user)).uids;
    assert.ok(!left.includes(uids[0]!) && left.includes(uids[1]!), 'only the deleted message is gone');
  });
});

describe('POP3 with curl', () => {
  it('lists and retrieves with USER/PASS over STLS, and with OAUTHBEARER and XOAUTH2 tokens over pop3s', async () => {
    await appendOverImap(BOB, [message('for bob')]);
    const plain = await curlPop3(`pop3://127.0.0.1:${srv.endpoints.pop3}/`, ['--ssl-reqd', '--user', `${BOB}:${PASSWORDS[BOB]}`]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^1 \d+\r\n$/);
    const token = await idp.accessToken(BOB);
    for (const mech of ['OAUTHBEARER', 'XOAUTH2']) {
      const r = await curlPop3(`pop3s://127.0.0.1:${srv.endpoints.pop3s}/1`, ['--login-options', `AUTH=${mech}`, '--oauth2-bearer', token, '--user', `${BOB}:`]);
      assert.equal(r.code, 0, `${mech}: ${r.stderr}`);
      assert.ok(r.stdout.includes('Subject: for bob'), `${mech} retrieved the message`);
    }
    const wrong = await curlPop3(`pop3s://127.0.0.1:${srv.endpoints.pop3s}/`, ['--login-options', 'AUTH=OAUTHBEARER', '--oauth2-bearer', 'not-a-token', '--user', `${BOB}:`]);
    assert.notEqual(wrong.code, 0, 'a bad token is refused');
  });
});

describe('POP3 SASL and policy over a raw connection', () => {
  it('every mechanism logs in: PLAIN (initial response), LOGIN (challenges), OAUTHBEARER and XOAUTH2 with a real token', async () => {
    const token = await idp.accessToken(CAROL);
    const steps: Array<[string, string[]]> = [
      ['AUTH PLAIN ' + b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`), []],
      ['AUTH LOGIN', [b64(CAROL), b64(PASSWORDS[CAROL]!)]],
      ['AUTH OAUTHBEARER ' + b64(`n,a=${CAROL},\x01auth=Bearer ${token}\x01\x01`), []],
      ['AUTH XOAUTH2 ' + b64(`user=${CAROL}\x01auth=Bearer ${token}\x01\x01`), []],
    ];
    for (const [command, responses] of steps) {
      const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
      let status = await client.command(command);
      for (const r of responses) {
        assert.match(status, /^\+ /, `${command}: a challenge`);
        status = await client.command(r);
      }
      assert.match(status, /^\+OK Logged in/, command);
      assert.match(await client.command('STAT'), /^\+OK \d+ \d+$/);
      assert.match(await client.command('QUIT'), /^\+OK/);
      client.close();
    }
    // A wrong password answers with the RFC 3206 [AUTH] code.
    const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    assert.match(await client.command('AUTH PLAIN ' + b64(`\0${CAROL}\0wrong`)), /^-ERR \[AUTH\] /);
    assert.match(await client.command('AUTH PLAIN'), /^\+ $/);
    assert.match(await client.command('*'), /^-ERR /, 'an aborted exchange');
    client.close();
  });

  it('under requireSSL, refuses credentials before STLS and takes them after', async () => {
    const { client } = await RawPop3Client.connect(srv.endpoints.pop3);
    assert.match(await client.command('CAPA'), /^\+OK/);
    const before = await client.body();
    assert.ok(before.includes('STLS'), 'STLS offered');
    assert.ok(!before.includes('USER') && !before.some((l) => l.startsWith('SASL')), `no credentials offered before STLS: ${before.join(',')}`);
    assert.match(await client.command(`USER ${CAROL}`), /^-ERR \[AUTH\] .*STLS/);
    assert.match(await client.command('AUTH PLAIN ' + b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`)), /^-ERR \[AUTH\] /);
    assert.match(await client.command('STAT'), /^-ERR /);
    assert.match(await client.stls(), /^\+OK/);
    assert.match(await client.command('CAPA'), /^\+OK/);
    const afterTls = await client.body();
    assert.ok(afterTls.includes('USER') && afterTls.includes('SASL OAUTHBEARER XOAUTH2 PLAIN LOGIN') && !afterTls.includes('STLS'), afterTls.join(','));
    assert.match(await client.command(`USER ${CAROL}`), /^\+OK/);
    assert.match(await client.command(`PASS ${PASSWORDS[CAROL]}`), /^\+OK Logged in/);
    client.close();
  });

  it('ends a live token session when its OP session is revoked', async () => {
    const issued = await idp.issueToken(CAROL);
    assert.ok(issued.sid);
    const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    assert.match(await client.command('AUTH OAUTHBEARER ' + b64(`n,a=${CAROL},\x01auth=Bearer ${issued.accessToken}\x01\x01`)), /^\+OK Logged in/);
    await idp.endSession(issued.sid);
    assert.match(await client.line(), /^-ERR \[AUTH\] /);
    await withTimeout(client.closed, WAIT_MS, 'the POP3 session to be closed');
    const again = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    assert.match(await again.client.command('AUTH OAUTHBEARER ' + b64(`n,a=${CAROL},\x01auth=Bearer ${issued.accessToken}\x01\x01`)), /^-ERR \[AUTH\] /, 'the revoked token no longer logs in');
    again.client.close();
  });
});

describe('POP3 against hostile input', () => {
  it('answers an over-long line with -ERR without holding it, and goes on', async () => {
    const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    client.send(Buffer.alloc(200 * 1024, 'A'));
    client.send('\r\n');
    assert.equal(await client.line(), '-ERR Line too long');
    assert.match(await client.command('CAPA'), /^\+OK/);
    assert.ok((await client.body()).includes('IMPLEMENTATION Tessera'));
    client.close();
  });

  it('answers pipelined garbage in order, then closes after too many errors', async () => {
    const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    const junk = ['\x00\x01\x02', 'HELO there', 'RETR 1', 'APOP a b', 'LIST x y z', 'é€', ''].map((l) => `${l}\r\n`);
    client.send(Buffer.concat(Array.from({ length: 10 }, () => Buffer.from(junk.join(''), 'latin1'))));
    const answers: string[] = [];
    for (;;) {
      const line = await client.line().catch(() => undefined);
      if (line === undefined) break;
      answers.push(line);
    }
    assert.ok(answers.every((l) => l.startsWith('-ERR ')), answers.join(' | '));
    assert.equal(answers[answers.length - 1], '-ERR Too many errors, closing connection');
    await withTimeout(client.closed, WAIT_MS, 'the connection to be closed');
  });

  it('limits commands before login, and answers pipelined commands after login in order', async () => {
    const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    client.send('CAPA\r\n'.repeat(60));
    let capas = 0;
    let last = '';
    for (;;) {
      const line = await client.line().catch(() => undefined);
      if (line === undefined) break;
      if (line.startsWith('+OK Capability')) capas++;
      last = line;
    }
    assert.equal(capas, 50, 'CAPA answered up to the pre-login command limit');
    assert.equal(last, '-ERR Too many commands, closing connection');

    const { client: c2 } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    c2.send(`USER ${CAROL}\r\nPASS ${PASSWORDS[CAROL]}\r\nSTAT\r\nLIST\r\nNOOP\r\nDELE 999\r\nQUIT\r\n`);
    assert.match(await c2.line(), /^\+OK Send PASS/);
    assert.match(await c2.line(), /^\+OK Logged in/);
    assert.match(await c2.line(), /^\+OK \d+ \d+$/);
    assert.match(await c2.line(), /^\+OK/);
    await c2.body();
    assert.equal(await c2.line(), '+OK');
    assert.equal(await c2.line(), '-ERR No such message');
    assert.match(await c2.line(), /^\+OK Bye/);
    await withTimeout(c2.closed, WAIT_MS, 'QUIT to close the connection');
  });
});
