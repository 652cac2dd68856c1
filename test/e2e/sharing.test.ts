// Shared mailboxes and delegation through one whole Tessera (runServe), with real clients: imapflow
// and Python's imaplib over IMAP, nodemailer over SMTP. alice shares her INBOX with bob read-only;
// bob finds it in NAMESPACE/LIST, SELECT answers [READ-ONLY], writes are refused NO [NOPERM], IDLE
// sees alice's new mail delivered over SMTP, and alice's DELETEACL ends bob's open session at once.
// carol, without rights, gets the very answers a missing mailbox gets (SELECT, EXAMINE, STATUS, the
// ACL commands, LIST, APPEND, DELETE, RENAME, COPY, MOVE). Delegated logins: an administrator (James'
// administratorIds) and a user granted delegation log in as alice with a SASL PLAIN authorization
// identity, or OAUTHBEARER's a=, over IMAP and SMTP submission, audited; anyone else is refused; and
// every command of a delegated IMAP, POP3 or ManageSieve session and every delegated SMTP submission
// leaves an audit line naming both.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, managesieveBlock, startTessera, withTimeout, writeE2eConf, writeManagesieveConf, type E2eConf, type E2eServer } from './harness.js';
import { listenerPort } from '../support/tessera-conf.js';
import { RawPop3Client } from '../pop3/raw-client.js';
import { RawSieveClient } from '../managesieve/raw-client.js';
import { auditLines, imaplibSteps, smtplibSend as smtplibSendAs, type ImaplibResult, type SmtpOutcome } from './sharing/python-clients.js';
import { imapConnect, submit, watchMailbox } from './clients.js';
import { eventBusResource, storeResource } from '../../src/server/protocols.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { cli } from '../cli/in-process.js';
import { RawClient } from '../imap/raw-client.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const CAROL = `carol@${DOMAIN}`;
const ADMIN = `admin@${DOMAIN}`;
const PW = 'sharing-e2e-secret';
const SHARED = `Other Users/${ALICE}/INBOX`;
const PUSH_MS = 10_000;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;

/** Runs imaplib steps as `user` (or "authcid:authzid"); one [typ, data] per step. */
const imaplib = (user: string, steps: unknown[][]): Promise<ImaplibResult[]> => imaplibSteps(srv.endpoints.imap, user, PW, steps);

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }, { email: ADMIN }] });
  conf = await writeE2eConf(idp);
  await writeManagesieveConf(conf, [managesieveBlock('sieve', idp, { plainAuthEnabled: true })]);
  // James' administratorIds: the administrator may log in as any user (SASL authorization identity).
  const repo = join(conf.confDir, 'usersrepository.xml');
  const xml = await readFile(repo, 'utf8');
  await writeFile(repo, xml.replace('</usersrepository>', `  <administratorIds><administratorId>${ADMIN}</administratorId></administratorIds>\n</usersrepository>`));
  srv = await startTessera(conf);
  for (const u of [ALICE, BOB, CAROL, ADMIN]) await srv.running.context.users.add(u, PW);
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('IMAP ACL: a read-only share', () => {
  it('alice grants bob lr on her INBOX; GETACL, LISTRIGHTS and MYRIGHTS report it', async () => {
    const [caps, set, get, list, mine] = await imaplib(ALICE, [
      ['capability'],
      ['setacl', 'INBOX', BOB, 'lr'],
      ['getacl', 'INBOX'],
      ['xatom', 'LISTRIGHTS', 'INBOX', BOB],
      ['myrights', 'INBOX'],
    ]);
    assert.match(caps![1].join(' '), /\bACL\b.*\bRIGHTS=texk\b/);
    assert.equal(set![0], 'OK');
    assert.deepEqual(get![1], [`INBOX ${ALICE} lrswipkxtea ${BOB} lr`]);
    assert.match(list![1].join(' '), new RegExp(`INBOX ${BOB} "" l r s w i p k x t e a`));
    assert.deepEqual(mine![1], ['INBOX lrswipkxtea']);
  });

  it('hostile or unsupported SETACL arguments get BAD or NO, never a server error', async () => {
    const answers = await imaplib(ALICE, [
      ['setacl', 'INBOX', BOB, 'lz'],
      ['setacl', 'INBOX', `-${BOB}`, 'r'],
      ['setacl', 'INBOX', ALICE, 'l'],
      ['setacl', 'Nowhere', BOB, 'l'],
      ['xatom', 'SETACL', 'INBOX', BOB],
      ['getacl', 'INBOX'],
    ]);
    // imaplib raises on BAD; the step runner reports the error text, which names it.
    assert.match(answers[0]![1].join(' '), /BAD.*Unknown right/, JSON.stringify(answers[0]));
    for (const i of [1, 2]) assert.match(answers[i]![1].join(' '), /\[CANNOT\]/, JSON.stringify(answers[i]));
    assert.match(answers[3]![1].join(' '), /\[NONEXISTENT\]/);
    assert.match(answers[4]![1].join(' '), /BAD/, JSON.stringify(answers[4]));
    assert.deepEqual(answers[5]![1], [`INBOX ${ALICE} lrswipkxtea ${BOB} lr`], 'nothing changed');
  });

  it('bob sees the Other Users namespace, the shared INBOX in LIST, and SELECT answers [READ-ONLY]', async () => {
    const [ns, list, rights] = await imaplib(BOB, [['namespace'], ['list', '""', '*'], ['myrights', `"${SHARED}"`]]);
    assert.deepEqual(ns![1], ['(("" "/")) (("Other Users/" "/")) NIL']);
    assert.ok(list![1].includes(`(\\HasNoChildren) "/" "${SHARED}"`), list![1].join('\n'));
    assert.ok(list![1].includes('(\\Noselect \\HasChildren) "/" "Other Users"'), list![1].join('\n'));
    assert.deepEqual(rights![1], [`"${SHARED}" lr`]);

    const client = await imapConnect(srv.endpoints.imap, { user: BOB, pass: PW });
    try {
      const box = await client.mailboxOpen(SHARED);
      assert.equal(box.readOnly, true);
    } finally {
      await client.logout();
    }
  });

  it('bob cannot STORE, APPEND or EXPUNGE there: NO [NOPERM]', async () => {
    await submit({ port: srv.endpoints.smtpMx }, { from: `x@remote.example`, to: ALICE, subject: 'before', text: 'first', messageId: `<${randomUUID()}@remote.example>` });
    const [, store, append, expunge] = await imaplib(BOB, [
      ['select', `"${SHARED}"`],
      ['store', '1:*', '+FLAGS', '(\\Seen)'],
      ['append', `"${SHARED}"`, 'Subject: x\r\n\r\nbody\r\n'],
      ['expunge'],
    ]);
    for (const r of [store!, append!, expunge!]) {
      assert.equal(r[0], 'NO');
      assert.match(r[1].join(' '), /\[NOPERM\]/);
    }
  });

  it('bob copies from the shared INBOX into his own, but may not MOVE out of it; he can subscribe to it', async () => {
    const [, copied, moved, sub, lsub, own] = await imaplib(BOB, [
      ['select', `"${SHARED}"`],
      ['copy', '1', 'INBOX'],
      ['uid', 'MOVE', '1:*', 'INBOX'],
      ['subscribe', `"${SHARED}"`],
      ['lsub', '""', '*'],
      ['status', 'INBOX', '(MESSAGES)'],
    ]);
    assert.equal(copied![0], 'OK', JSON.stringify(copied));
    assert.match(copied![1].join(' '), /COPYUID/);
    assert.equal(moved![0], 'NO');
    assert.match(moved![1].join(' '), /\[NOPERM\]/);
    assert.equal(sub![0], 'OK');
    assert.ok(lsub![1].includes(`() "/" "${SHARED}"`), lsub![1].join('\n'));
    assert.match(own![1].join(' '), /MESSAGES 1\)/);
    const [status] = await imaplib(ALICE, [['status', 'INBOX', '(MESSAGES)']]);
    assert.match(status![1].join(' '), /MESSAGES 1\)/, 'the refused MOVE left alice\'s message in place');
  });

  it('carol, without rights, gets the same answers as for a mailbox that does not exist', async () => {
    const missing = `Other Users/${ALICE}/Nowhere`;
    const message = 'Subject: probe\r\n\r\nbody\r\n';
    // Each pair: the command on alice's INBOX, then on a mailbox that does not exist.
    const pairs = (cmd: (box: string) => unknown[]): unknown[][] => [cmd(`"${SHARED}"`), cmd(`"${missing}"`)];
    const answers = await imaplib(CAROL, [
      ...pairs((b) => ['select', b]),
      ...pairs((b) => ['select', b, 'readonly']), // imaplib's EXAMINE
      ...pairs((b) => ['status', b, '(MESSAGES)']),
      ...pairs((b) => ['myrights', b]),
      ...pairs((b) => ['getacl', b]),
      ...pairs((b) => ['xatom', 'LISTRIGHTS', b, BOB]),
      ...pairs((b) => ['list', '""', b]),
      ...pairs((b) => ['append', b, message]),
      ...pairs((b) => ['delete', b]),
      ...pairs((b) => ['rename', b, 'Taken']),
      ['append', 'INBOX', message],
      ['select', 'INBOX'],
      ...pairs((b) => ['copy', '1', b]),
      ...pairs((b) => ['uid', 'MOVE', '1:*', b]),
      ['list', '""', '*'],
    ]);
    const paired = answers.length - 1;
    for (let i = 0; i < paired; i += 2) {
      if (i === 20) i += 2; // carol's own APPEND and SELECT
      assert.deepEqual(answers[i], answers[i + 1], `step ${i}: ${JSON.stringify(answers[i])} vs ${JSON.stringify(answers[i + 1])}`);
    }
    assert.equal(answers[0]![0], 'NO');
    assert.deepEqual(answers[12], ['OK', []], 'LIST shows neither');
    assert.equal(answers[20]![0], 'OK', 'carol\'s own APPEND');
    assert.ok(!answers.at(-1)![1].some((l) => l.includes('Other Users')), answers.at(-1)![1].join('\n'));
  });

  it("bob's IDLE in the shared INBOX sees alice's new SMTP mail; alice's DELETEACL ends his session at once", async () => {
    const watch = await watchMailbox(srv.endpoints.imap, { user: BOB, pass: PW }, SHARED);
    try {
      const sent = await submit({ port: srv.endpoints.smtpMx }, { from: 'x@remote.example', to: ALICE, subject: 'during idle', text: 'hi', messageId: `<${randomUUID()}@remote.example>` });
      assert.equal(sent.rejected.length, 0);
      const update = await watch.updates.next((u) => u.kind === 'exists', PUSH_MS, 'EXISTS in bob\'s IDLE');
      assert.equal(update.kind, 'exists');
      const [del] = await imaplib(ALICE, [['deleteacl', 'INBOX', BOB]]);
      assert.equal(del![0], 'OK');
      await withTimeout(watch.closed, PUSH_MS, "bob's session to end after the revocation");
    } finally {
      await watch.close().catch(() => undefined);
    }
    const [sel] = await imaplib(BOB, [['select', `"${SHARED}"`]]);
    assert.equal(sel![0], 'NO');
    assert.match(sel![1].join(' '), /\[NONEXISTENT\]/);
  });
});

const smtplibSend = (authcid: string, authzid: string, from: string, to: string): Promise<SmtpOutcome> =>
  smtplibSendAs(srv.endpoints.submission, { authcid, authzid, password: PW }, from, to);

/** The audit lines (JSON log) of successful logins as `user`. */
function auditedLogins(user: string): Array<{ user: string; actor?: string; protocol: string; mechanism: string }> {
  return auditLines<{ user: string; actor?: string; protocol: string; mechanism: string; result: string }>(srv.log.text(), 'auth').filter((e) => e.result === 'success' && e.user === user);
}

describe('delegated login (SASL authorization identity)', () => {
  it('an administrator logs in as alice with PLAIN authzid over IMAP and SMTP, and both are audited', async () => {
    const [ok, sel] = await imaplib(`${ADMIN}:${ALICE}`, [['myrights', 'INBOX'], ['select', 'INBOX']]);
    // Logged in as alice: her INBOX is the session's own (every right).
    assert.deepEqual(ok![1], ['INBOX lrswipkxtea']);
    assert.equal(sel![0], 'OK');
    const sent = await smtplibSend(ADMIN, ALICE, ALICE, BOB);
    assert.equal(sent.auth[0], 235);
    assert.deepEqual(sent.send, [250, 'ok']);
    // The envelope checks apply to the authorised user: the administrator's own address is not alice's.
    const foreign = await smtplibSend(ADMIN, ALICE, ADMIN, BOB);
    assert.equal(foreign.send?.[0], 553);
    const audited = auditedLogins(ALICE).filter((e) => e.actor === ADMIN);
    assert.ok(audited.some((e) => e.protocol === 'imap' && e.mechanism === 'PLAIN'), JSON.stringify(audited));
    assert.ok(audited.some((e) => e.protocol === 'smtp' && e.mechanism === 'PLAIN'), JSON.stringify(audited));
  });

  it("a non-administrator's authzid is refused over IMAP and SMTP", async () => {
    const [first] = await imaplib(BOB, [['noop']]);
    assert.equal(first![0], 'OK');
    await assert.rejects(imaplib(`${BOB}:${ALICE}`, [['noop']]), /AUTHENTICATIONFAILED|authentication failed/i);
    const sent = await smtplibSend(BOB, ALICE, ALICE, BOB);
    assert.equal(sent.auth[0], 535);
  });

  it('a delegation grant lets the delegate log in as the owner, until it is revoked', async () => {
    const store = await srv.running.context.use(storeResource);
    await store.grantDelegation(ALICE, CAROL);
    try {
      const [rights] = await imaplib(`${CAROL}:${ALICE}`, [['myrights', 'INBOX']]);
      assert.deepEqual(rights![1], ['INBOX lrswipkxtea']);
      assert.ok(auditedLogins(ALICE).some((e) => e.actor === CAROL && e.protocol === 'imap'));
      const sent = await smtplibSend(CAROL, ALICE, ALICE, BOB);
      assert.deepEqual(sent.send, [250, 'ok']);
    } finally {
      await store.revokeDelegation(ALICE, CAROL);
    }
    await assert.rejects(imaplib(`${CAROL}:${ALICE}`, [['noop']]), /AUTHENTICATIONFAILED|authentication failed/i);
  });

  it("`tessera delegation revoke` ends the delegate's open sessions as the owner at once, and only those", async () => {
    assert.equal((await cli(['delegation', 'grant', ALICE, CAROL, '--conf', conf.confDir])).code, 0);
    const plain = (authzid: string, authcid: string): string => Buffer.from(`${authzid}\0${authcid}\0${PW}`).toString('base64');
    const delegated = await RawClient.connect(srv.endpoints.imaps, { tls: true });
    const own = await RawClient.connect(srv.endpoints.imaps, { tls: true });
    try {
      assert.match((await delegated.command('a', `AUTHENTICATE PLAIN ${plain(ALICE, CAROL)}`)).at(-1)!, /^a OK/);
      assert.match((await own.command('a', `AUTHENTICATE PLAIN ${plain('', ALICE)}`)).at(-1)!, /^a OK/);
      assert.match((await delegated.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
      const revoked = await cli(['delegation', 'revoke', ALICE, CAROL, '--conf', conf.confDir]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /1 live session of .* ended/);
      assert.equal(await delegated.readLine(), '* BYE Delegation revoked');
      assert.equal(await delegated.closedWithin(PUSH_MS), true);
      // alice's own session goes on.
      assert.match((await own.command('n', 'NOOP')).at(-1)!, /^n OK/);
    } finally {
      delegated.close();
      own.close();
    }
  });

  it("a node that missed the revoke's event ends the delegate's session at its resync; the owner's, a granted delegate's and an administrator's stay", async () => {
    const store = await srv.running.context.use(storeResource);
    const bus = await srv.running.context.use(eventBusResource);
    assert.ok(bus instanceof MemoryEventBus, 'one process on SQLite: the in-process bus');
    await store.grantDelegation(ALICE, CAROL);
    await store.grantDelegation(ALICE, BOB);
    const plain = (authzid: string, authcid: string): string => Buffer.from(`${authzid}\0${authcid}\0${PW}`).toString('base64');
    const logins: Array<[string, string]> = [[ALICE, CAROL], ['', ALICE], [ALICE, BOB], [ALICE, ADMIN]];
    const [delegated, own, granted, admin] = await Promise.all(logins.map(() => RawClient.connect(srv.endpoints.imaps, { tls: true })));
    try {
      for (const [i, [authzid, authcid]] of logins.entries()) {
        assert.match((await [delegated, own, granted, admin][i]!.command('a', `AUTHENTICATE PLAIN ${plain(authzid, authcid)}`)).at(-1)!, /^a OK/);
      }
      // The grant goes without its `session-revoked` (as if this node's bus connection was down),
      // then the bus reconnects and raises the resync.
      assert.equal(await store.revokeDelegation(ALICE, CAROL), true);
      bus.raiseResync({ type: 'resync', reason: 'event bus reconnected' });
      assert.equal(await delegated.readLine(), '* BYE Delegation revoked');
      assert.equal(await delegated.closedWithin(PUSH_MS), true);
      // Barrier: resync passes run one after another, so once a second one has ended a session
      // opened after the first began, the first has checked every session.
      await store.grantDelegation(ALICE, CAROL);
      const sentinel = await RawClient.connect(srv.endpoints.imaps, { tls: true });
      try {
        assert.match((await sentinel.command('a', `AUTHENTICATE PLAIN ${plain(ALICE, CAROL)}`)).at(-1)!, /^a OK/);
        await store.revokeDelegation(ALICE, CAROL);
        bus.raiseResync({ type: 'resync', reason: 'event bus reconnected' });
        assert.equal(await sentinel.readLine(), '* BYE Delegation revoked');
      } finally {
        sentinel.close();
      }
      for (const [name, client] of [['alice', own], ['bob as alice', granted], ['the administrator as alice', admin]] as const) {
        assert.match((await client.command('n', 'NOOP')).at(-1)!, /^n OK/, `${name}'s session goes on`);
      }
    } finally {
      for (const c of [delegated, own, granted, admin]) c.close();
      await store.revokeDelegation(ALICE, BOB);
    }
  });

  it("OAUTHBEARER's a=: an administrator's token logs in as alice over IMAP and SMTP, audited; a plain user's is refused", async () => {
    const bearer = `bearer:${await idp.accessToken(ADMIN)}`;
    const [rights] = await imaplibSteps(srv.endpoints.imap, `${ADMIN}:${ALICE}`, bearer, [['myrights', 'INBOX']]);
    assert.deepEqual(rights![1], ['INBOX lrswipkxtea']);
    const sent = await smtplibSendAs(srv.endpoints.submission, { authcid: ADMIN, authzid: ALICE, password: bearer }, ALICE, BOB);
    assert.equal(sent.auth[0], 235);
    assert.deepEqual(sent.send, [250, 'ok']);
    const audited = auditedLogins(ALICE).filter((e) => e.actor === ADMIN && e.mechanism === 'OAUTHBEARER');
    assert.ok(audited.some((e) => e.protocol === 'imap'), JSON.stringify(audited));
    assert.ok(audited.some((e) => e.protocol === 'smtp'), JSON.stringify(audited));
    const bobs = `bearer:${await idp.accessToken(BOB)}`;
    await assert.rejects(imaplibSteps(srv.endpoints.imap, `${BOB}:${ALICE}`, bobs, [['noop']]), /AUTHENTICATIONFAILED|authentication failed|error/i);
  });
});

interface DelegatedAction {
  protocol: string;
  user: string;
  actor: string;
  session?: string;
  action: string;
  mailbox?: string;
  target?: string[];
  result: string;
}

/** The delegated-action audit lines of `actor` acting as alice over `protocol`. */
const delegatedActions = (protocol: string, actor = ADMIN): DelegatedAction[] =>
  auditLines<DelegatedAction>(srv.log.text(), 'delegated-action').filter((e) => e.protocol === protocol && e.actor === actor && e.user === ALICE);

/** The subset of an audit line a test compares. */
const gist = (e: DelegatedAction): Partial<DelegatedAction> => ({ action: e.action, ...(e.mailbox ? { mailbox: e.mailbox } : {}), ...(e.target ? { target: e.target } : {}), result: e.result });

describe('every delegated action is audited', () => {
  it('each IMAP command of a delegated session: who, as whom, the mailbox, what it named and the answer', async () => {
    const before = delegatedActions('imap').length;
    await imaplib(`${ADMIN}:${ALICE}`, [['select', 'INBOX'], ['store', '1:*', '+FLAGS', '(\\Flagged)'], ['noop'], ['status', 'Nowhere', '(MESSAGES)']]);
    const lines = delegatedActions('imap').slice(before);
    assert.deepEqual(lines.map(gist), [
      { action: 'SELECT', target: ['INBOX'], result: 'OK' },
      { action: 'UID STORE', mailbox: 'INBOX', target: ['1:*', '+FLAGS'], result: 'OK' },
      { action: 'STATUS', mailbox: 'INBOX', target: ['Nowhere'], result: 'NO' },
    ]);
    // The same session id as the delegated login's own audit line, so the two can be joined.
    const logins = auditLines<{ session?: string; actor?: string; result: string }>(srv.log.text(), 'auth').filter((e) => e.actor === ADMIN && e.result === 'success');
    assert.ok(logins.some((l) => l.session !== undefined && l.session === lines[0]!.session), JSON.stringify(lines[0]));
    // A session logged in as its own user leaves no such line.
    await imaplib(ALICE, [['select', 'INBOX']]);
    assert.deepEqual(auditLines<DelegatedAction>(srv.log.text(), 'delegated-action').filter((e) => e.actor === undefined || e.actor === e.user), []);
  });

  it('each message submitted in a delegated SMTP session, and each envelope sender refused there', async () => {
    const before = delegatedActions('smtp').length;
    assert.deepEqual((await smtplibSend(ADMIN, ALICE, ALICE, BOB)).send, [250, 'ok']);
    assert.equal((await smtplibSend(ADMIN, ALICE, ADMIN, BOB)).send?.[0], 553);
    assert.deepEqual(delegatedActions('smtp').slice(before).map(gist), [
      { action: 'submit', target: [ALICE, BOB], result: '250' },
      { action: 'MAIL', target: [ADMIN], result: '553' },
    ]);
  });

  it('each POP3 command of a delegated session', async () => {
    const before = delegatedActions('pop3').length;
    const { client } = await RawPop3Client.connect(srv.endpoints.pop3s, { tls: true });
    try {
      assert.match(await client.command(`AUTH PLAIN ${Buffer.from(`${ALICE}\0${ADMIN}\0${PW}`).toString('base64')}`), /^\+OK/);
      assert.match(await client.command('STAT'), /^\+OK/);
      assert.match(await client.command('DELE 999'), /^-ERR/);
      assert.match(await client.command('NOOP'), /^\+OK/);
      assert.match(await client.command('QUIT'), /^\+OK/);
    } finally {
      client.close();
    }
    assert.deepEqual(delegatedActions('pop3').slice(before).map(gist), [
      { action: 'STAT', result: '+OK' },
      { action: 'DELE', target: ['999'], result: '-ERR' },
      { action: 'QUIT', result: '+OK' },
    ]);
  });

  it('each ManageSieve command of a delegated session, script names but never script content', async () => {
    const before = delegatedActions('managesieve').length;
    const script = 'keep; # delegated-script-content\r\n';
    const { client } = await RawSieveClient.connect(listenerPort(srv.running, 'sieve'));
    try {
      await client.startTls();
      assert.match((await client.command(`AUTHENTICATE "PLAIN" "${Buffer.from(`${ALICE}\0${ADMIN}\0${PW}`).toString('base64')}"`)).status, /^OK/);
      assert.match((await client.command(`PUTSCRIPT "delegated" {${script.length}+}\r\n${script}`)).status, /^OK/);
      assert.match((await client.command('LISTSCRIPTS')).status, /^OK/);
      assert.match((await client.command('DELETESCRIPT "missing"')).status, /^NO/);
      assert.match((await client.command('NOOP')).status, /^OK/);
    } finally {
      client.close();
    }
    assert.deepEqual(delegatedActions('managesieve').slice(before).map(gist), [
      { action: 'PUTSCRIPT', target: ['delegated', `{${script.length}}`], result: 'OK' },
      { action: 'LISTSCRIPTS', result: 'OK' },
      { action: 'DELETESCRIPT', target: ['missing'], result: 'NO' },
    ]);
    assert.ok(!srv.log.text().includes('delegated-script-content'), 'the script itself is not logged');
  });
});
