// Shared mailboxes and delegation through one whole Tessera (runServe), with real clients: imapflow
// and Python's imaplib over IMAP, nodemailer over SMTP. alice shares her INBOX with bob read-only;
// bob finds it in NAMESPACE/LIST, SELECT answers [READ-ONLY], writes are refused NO [NOPERM], IDLE
// sees alice's new mail delivered over SMTP, and alice's DELETEACL ends bob's open session at once.
// carol, without rights, gets the very answers a missing mailbox gets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, startTessera, withTimeout, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect, submit, watchMailbox } from './clients.js';

const run = promisify(execFile);
const STEPS = join(dirname(fileURLToPath(import.meta.url)), 'sharing', 'imaplib-steps.py');
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

type Result = [string, string[]];

/** Runs imaplib steps as `user` (or "authcid:authzid"); one [typ, data] per step. */
async function imaplib(user: string, steps: unknown[][]): Promise<Result[]> {
  const { stdout } = await withTimeout(run('python3', [STEPS, String(srv.endpoints.imap), user, PW, JSON.stringify(steps)]), 30_000, 'python imaplib');
  return JSON.parse(stdout) as Result[];
}

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
  conf = await writeE2eConf(idp);
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

  it('carol, without rights, gets the same answers as for a mailbox that does not exist', async () => {
    const missing = `Other Users/${ALICE}/Nowhere`;
    const answers = await imaplib(CAROL, [
      ['select', `"${SHARED}"`],
      ['select', `"${missing}"`],
      ['status', `"${SHARED}"`, '(MESSAGES)'],
      ['status', `"${missing}"`, '(MESSAGES)'],
      ['myrights', `"${SHARED}"`],
      ['myrights', `"${missing}"`],
      ['getacl', `"${SHARED}"`],
      ['getacl', `"${missing}"`],
      ['list', '""', '*'],
    ]);
    for (let i = 0; i < 8; i += 2) assert.deepEqual(answers[i], answers[i + 1], `step ${i}: ${JSON.stringify(answers[i])}`);
    assert.equal(answers[0]![0], 'NO');
    assert.ok(!answers[8]![1].some((l) => l.includes('Other Users')), answers[8]![1].join('\n'));
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
