// Sieve with single sign-on, end to end on one running server: a script uploaded and activated over
// ManageSieve with AUTHENTICATE OAUTHBEARER (a token from the test OpenID provider) files mail that
// arrives over SMTP into a folder it creates (fileinto :create); the filed message is seen in that
// folder over IMAP and over JMAP (Email/query inMailbox), both logged in with tokens too, and the
// unmatched message stays in INBOX. (POP3 DELE seen by IMAP is proven in test/pop3/e2e.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort } from '../support/tessera-conf.js';
import { DOMAIN, JmapClient, managesieveBlock, startTessera, writeE2eConf, writeManagesieveConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect, submit } from './clients.js';
import { literal, RawSieveClient } from '../managesieve/raw-client.js';

const ALICE = `alice@${DOMAIN}`;
const FOLDER = 'Lists/Tessera';
const SCRIPT = `require ["fileinto", "mailbox"];\r\nif header :contains "subject" "[tessera-dev]" {\r\n  fileinto :create "${FOLDER}";\r\n  stop;\r\n}\r\n`;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  conf = await writeE2eConf(idp);
  await writeManagesieveConf(conf, [managesieveBlock('sieve', idp, { plainAuthEnabled: false })]);
  srv = await startTessera(conf);
  // The account must exist; its password is never used: every login below is a token from the provider.
  await srv.running.context.users.add(ALICE, randomUUID());
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('Sieve with OIDC single sign-on', () => {
  it('a script put over ManageSieve with OAUTHBEARER files SMTP mail into a new folder, seen over IMAP and JMAP', async () => {
    const { client } = await RawSieveClient.connect(listenerPort(srv.running, 'sieve'));
    await client.startTls();
    const token = await idp.accessToken(ALICE);
    const auth = await client.command(`AUTHENTICATE "OAUTHBEARER" "${b64(`n,a=${ALICE},\x01auth=Bearer ${token}\x01\x01`)}"`);
    assert.match(auth.status, /^OK/, auth.status);
    assert.match((await client.command(`PUTSCRIPT "lists" ${literal(SCRIPT)}`)).status, /^OK/);
    assert.match((await client.command('SETACTIVE "lists"')).status, /^OK/);
    assert.ok((await client.command('LISTSCRIPTS')).lines.includes('"lists" ACTIVE'));
    assert.match((await client.command('LOGOUT')).status, /^OK/);

    const listId = `<${randomUUID()}@sender.test>`;
    const personalId = `<${randomUUID()}@sender.test>`;
    const from = 'dev-list@sender.test';
    assert.deepEqual((await submit({ port: srv.endpoints.smtpMx }, { from, to: ALICE, subject: '[tessera-dev] release notes', text: 'filed\n', messageId: listId })).rejected, []);
    assert.deepEqual((await submit({ port: srv.endpoints.smtpMx }, { from, to: ALICE, subject: 'lunch?', text: 'kept\n', messageId: personalId })).rejected, []);

    const imap = await imapConnect(srv.endpoints.imap, { user: ALICE, accessToken: await idp.accessToken(ALICE) });
    try {
      const box = await imap.mailboxOpen(FOLDER);
      assert.equal(box.exists, 1, `one message in ${FOLDER}`);
      const msg = await imap.fetchOne('1', { envelope: true });
      assert.ok(msg);
      assert.equal(msg.envelope?.messageId, listId);
      assert.equal(msg.envelope?.subject, '[tessera-dev] release notes');
      await imap.mailboxOpen('INBOX');
      assert.deepEqual(await imap.search({ header: { 'message-id': listId } }), [], 'the filed message is not also in INBOX');
      assert.equal((await imap.search({ header: { 'message-id': personalId } }) || []).length, 1, 'the unmatched message is kept in INBOX');
    } finally {
      await imap.logout();
    }

    const jmap = JmapClient.bearer(srv.endpoints.jmap, await idp.accessToken(ALICE));
    const { accountId } = await jmap.session();
    const boxes = (await jmap.one('Mailbox/get', { accountId, ids: null, properties: ['name', 'parentId'] }))['list'] as Array<{ id: string; name: string; parentId: string | null }>;
    const parent = boxes.find((b) => b.name === 'Lists' && b.parentId === null);
    const folder = boxes.find((b) => b.name === 'Tessera' && b.parentId === parent?.id);
    assert.ok(parent && folder, `JMAP shows ${FOLDER}: ${JSON.stringify(boxes)}`);
    const ids = (await jmap.one('Email/query', { accountId, filter: { inMailbox: folder.id } }))['ids'] as string[];
    assert.equal(ids.length, 1);
    const emails = (await jmap.one('Email/get', { accountId, ids, properties: ['messageId', 'subject', 'mailboxIds'] }))['list'] as Array<{ messageId: string[]; subject: string; mailboxIds: Record<string, boolean> }>;
    assert.deepEqual(emails[0]?.messageId, [listId.slice(1, -1)]);
    assert.equal(emails[0]?.subject, '[tessera-dev] release notes');
    assert.deepEqual(Object.keys(emails[0]!.mailboxIds), [folder.id]);
  });
});
