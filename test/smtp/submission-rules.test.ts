// Who may send as whom, read from smtpserver.xml as a James administrator writes it and exercised over
// a real socket: <auth><required> (530 before AUTH), James' legacy <authRequired>, every
// <verifyIdentity> value, and the null sender of an authenticated user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SmtpServerConfig } from '../../src/config/types.js';
import { smtpBlock, smtpXml, tempConf } from '../config/fixtures.js';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const plain = (user: string, pass: string): string => Buffer.from(`\0${user}\0${pass}`).toString('base64');

/** The sender rules of one <smtpserver> block as the config loader reads them. */
async function rulesFrom(inner: string): Promise<Partial<SmtpServerConfig>> {
  const conf = await tempConf({ 'smtpserver.xml': smtpXml(smtpBlock(inner)) });
  try {
    const loaded = await conf.load({});
    const block = loaded.config.smtp[0];
    assert.ok(block);
    const { announce, authRequired, requireAuthForRelay, authorizedAddresses, verifyIdentity } = block;
    return { announce, authRequired, requireAuthForRelay, authorizedAddresses, verifyIdentity };
  } finally {
    await conf.cleanup();
  }
}

async function withServer(inner: string, body: (h: SmtpHarness) => Promise<void>): Promise<void> {
  const h = await startHarness({ startWorker: false, config: await rulesFrom(inner) });
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

async function session(h: SmtpHarness, ehlo = 'client.example'): Promise<RawSmtpClient> {
  const { client, greeting } = await RawSmtpClient.connect(h.port);
  assert.equal(greeting.code, 220);
  assert.equal((await client.command(`EHLO ${ehlo}`)).code, 250);
  return client;
}

async function login(c: RawSmtpClient, user: string): Promise<void> {
  assert.match((await c.command(`AUTH PLAIN ${plain(user, USERS[user]!)}`)).text, /^235 /);
}

/** Sends one message in an open transaction; the final reply. */
async function data(c: RawSmtpClient, message: string): Promise<string> {
  assert.match((await c.command('DATA')).text, /^354 /);
  return (await c.command(`${message}\r\n.`)).text;
}

test('<auth><required>true</required>: MAIL FROM before AUTH gets 530 5.7.0, after AUTH the mail goes through', async () => {
  await withServer('<auth><announce>forUnauthorizedAddresses</announce><required>true</required><requireSSL>false</requireSSL></auth>', async (h) => {
    const c = await session(h);
    assert.match((await c.command('MAIL FROM:<someone@remote.example>')).text, /^530 5\.7\.0 Authentication required/);
    assert.match((await c.command('MAIL FROM:<>')).text, /^530 5\.7\.0/);
    await login(c, ALICE);
    assert.equal((await c.command(`MAIL FROM:<${ALICE}>`)).code, 250);
    assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
    assert.match(await data(c, `From: ${ALICE}\r\nSubject: submitted\r\n\r\nhi`), /^250 /);
    c.close();
    assert.equal((await inboxMessages(h.store, BOB)).filter((m) => m.includes('submitted')).length, 1);
  });
});

test('<auth><required>: a peer in authorizedAddresses is exempt, as in James', async () => {
  await withServer('<auth><required>true</required></auth><authorizedAddresses>127.0.0.0/8</authorizedAddresses>', async (h) => {
    const c = await session(h);
    assert.equal((await c.command('MAIL FROM:<someone@remote.example>')).code, 250);
    c.close();
  });
});

test('an MX (no <required>) keeps taking unauthenticated mail for local recipients, and relays nothing', async () => {
  await withServer('<auth><announce>never</announce><required>false</required></auth>', async (h) => {
    const c = await session(h, 'mx.remote.example');
    assert.equal((await c.command('MAIL FROM:<someone@remote.example>')).code, 250);
    assert.match((await c.command('RCPT TO:<friend@elsewhere.example>')).text, /^550 5\.7\.1/);
    assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
    assert.match(await data(c, 'From: someone@remote.example\r\nSubject: from outside\r\n\r\nhi'), /^250 /);
    c.close();
  });
});

test("James' legacy <authRequired>true</authRequired> with <verifyIdentity>true</verifyIdentity>: AUTH announced, local senders need it (JAMES-3225)", async () => {
  await withServer('<authRequired>true</authRequired><verifyIdentity>true</verifyIdentity>', async (h) => {
    const { client: c } = await RawSmtpClient.connect(h.port);
    const ehlo = await c.command('EHLO client.example');
    assert.ok(ehlo.lines.includes('AUTH PLAIN LOGIN'), ehlo.text);
    // Not a submission requirement: mail from outside still reaches local users...
    assert.equal((await c.command('MAIL FROM:<someone@remote.example>')).code, 250);
    assert.equal((await c.command('RSET')).code, 250);
    // ...but nobody unauthenticated may claim to be a local user.
    assert.match((await c.command(`MAIL FROM:<${ALICE}>`)).text, /^530 5\.7\.1/);
    await login(c, ALICE);
    assert.equal((await c.command(`MAIL FROM:<${ALICE}>`)).code, 250);
    c.close();
  });
});

for (const value of ['strict', 'true']) {
  test(`verifyIdentity ${value}: own address only when authenticated; a local sender needs AUTH even from a server-like EHLO`, async () => {
    await withServer(`<verifyIdentity>${value}</verifyIdentity>`, async (h) => {
      const anon = await session(h, 'mx.remote.example');
      assert.match((await anon.command(`MAIL FROM:<${BOB}>`)).text, /^530 5\.7\.1/);
      anon.close();
      const c = await session(h);
      await login(c, ALICE);
      assert.match((await c.command(`MAIL FROM:<${BOB}>`)).text, /^553 5\.7\.1/);
      assert.match((await c.command('MAIL FROM:<alice@remote.example>')).text, /^553 5\.7\.1/);
      assert.equal((await c.command(`MAIL FROM:<${ALICE}>`)).code, 250);
      assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
      // The From: header is checked too.
      assert.match(await data(c, `From: Bob <${BOB}>\r\nSubject: forged\r\n\r\nhi`), /^550 5\.7\.1/);
      c.close();
    });
  });
}

test('verifyIdentity relaxed: a server-like EHLO may carry a local sender unauthenticated, a bare name may not', async () => {
  await withServer('<verifyIdentity>relaxed</verifyIdentity>', async (h) => {
    const mx = await session(h, 'lists.remote.example');
    assert.equal((await mx.command(`MAIL FROM:<${ALICE}>`)).code, 250);
    assert.equal((await mx.command(`RCPT TO:<${BOB}>`)).code, 250);
    // Unauthenticated: the From: header is not checked under relaxed.
    assert.match(await data(mx, `From: ${ALICE}\r\nSubject: via list\r\n\r\nhi`), /^250 /);
    mx.close();
    const laptop = await session(h, 'laptop');
    assert.match((await laptop.command(`MAIL FROM:<${ALICE}>`)).text, /^530 5\.7\.1/);
    await login(laptop, ALICE);
    assert.match((await laptop.command(`MAIL FROM:<${BOB}>`)).text, /^553 5\.7\.1/);
    assert.equal((await laptop.command(`MAIL FROM:<${ALICE}>`)).code, 250);
    assert.equal((await laptop.command(`RCPT TO:<${BOB}>`)).code, 250);
    assert.match(await data(laptop, `From: ${BOB}\r\nSubject: forged\r\n\r\nhi`), /^550 5\.7\.1/);
    laptop.close();
  });
});

for (const value of ['disabled', 'false']) {
  test(`verifyIdentity ${value}: no sender check at all`, async () => {
    await withServer(`<verifyIdentity>${value}</verifyIdentity>`, async (h) => {
      const anon = await session(h, 'laptop');
      assert.equal((await anon.command(`MAIL FROM:<${ALICE}>`)).code, 250);
      anon.close();
      const c = await session(h);
      await login(c, ALICE);
      assert.equal((await c.command(`MAIL FROM:<${BOB}>`)).code, 250);
      assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
      assert.match(await data(c, `From: ${BOB}\r\nSubject: as bob\r\n\r\nhi`), /^250 /);
      c.close();
    });
  });
}

test('an authenticated MAIL FROM:<> is accepted (MDNs) but its From: header must be the user\'s own', async () => {
  await withServer('<verifyIdentity>strict</verifyIdentity>', async (h) => {
    const c = await session(h);
    await login(c, ALICE);
    const send = async (message: string): Promise<string> => {
      assert.equal((await c.command('MAIL FROM:<>')).code, 250);
      assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
      return data(c, message);
    };
    assert.match(await send(`From: Bob <${BOB}>\r\nSubject: null-forged\r\n\r\nhi`), /^550 5\.7\.1/);
    assert.match(await send(`From: ${ALICE}, ${BOB}\r\nSubject: null-forged\r\n\r\nhi`), /^550 5\.7\.1/);
    assert.match(await send('From: undisclosed:;\r\nSubject: null-forged\r\n\r\nhi'), /^550 5\.7\.1/);
    assert.match(await send('Subject: null-forged\r\n\r\nno From at all'), /^550 5\.6\.0/);
    assert.match(await send(`From: Alice <${ALICE}>\r\nSubject: receipt\r\n\r\nread`), /^250 /);
    c.close();
    const inbox = await inboxMessages(h.store, BOB);
    assert.equal(inbox.filter((m) => m.includes('null-forged')).length, 0);
    assert.equal(inbox.filter((m) => m.includes('Subject: receipt')).length, 1);
  });
});

test('strict: a From: naming the envelope sender checked at MAIL FROM costs no second users-database lookup; any other From: address is still checked', async () => {
  await withServer('<verifyIdentity>strict</verifyIdentity>', async (h) => {
    // Counts the real domain lookups (the users database) that ownership checks make.
    const domains = h.users.domains;
    const contains = domains.contains.bind(domains);
    let lookups = 0;
    domains.contains = (domain: string) => {
      lookups++;
      return contains(domain);
    };
    const c = await session(h);
    await login(c, ALICE);
    const send = async (from: string, subject: string): Promise<{ reply: string; lookups: number }> => {
      assert.equal((await c.command(`MAIL FROM:<${ALICE}>`)).code, 250);
      assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
      assert.match((await c.command('DATA')).text, /^354 /);
      const before = lookups;
      const reply = (await c.command(`From: ${from}\r\nSubject: ${subject}\r\n\r\nhi\r\n.`)).text;
      return { reply, lookups: lookups - before };
    };
    // The envelope sender again, in another case: owned, known since MAIL FROM.
    const same = await send(`Alice <${ALICE.toUpperCase()}>`, 'same-sender');
    assert.match(same.reply, /^250 /);
    assert.equal(same.lookups, 0);
    // Alice's subaddress is hers too, but it is not the envelope sender: looked up.
    const sub = await send(`alice+lists@${DOMAIN}`, 'subaddress');
    assert.match(sub.reply, /^250 /);
    assert.equal(sub.lookups, 1);
    // Someone else's address is still refused.
    assert.match((await send(`${ALICE}, ${BOB}`, 'forged')).reply, /^550 5\.7\.1/);
    c.close();
    const inbox = await inboxMessages(h.store, BOB);
    assert.equal(inbox.filter((m) => m.includes('Subject: same-sender') || m.includes('Subject: subaddress')).length, 2);
    assert.equal(inbox.filter((m) => m.includes('Subject: forged')).length, 0);
  });
});
