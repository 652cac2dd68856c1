// RFC 5321 §4.5.1: an SMTP server must accept mail for <postmaster> (no domain) and for
// postmaster@ each of its domains, whatever the case, and deliver it to someone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, USERS, inboxMessages, startHarness } from './harness.js';

async function send(port: number, rcpt: string): Promise<number> {
  const { client } = await RawSmtpClient.connect(port);
  try {
    await client.command('EHLO sender.example');
    await client.command('MAIL FROM:<someone@elsewhere.example>');
    const r = await client.command(`RCPT TO:${rcpt}`);
    if (r.code !== 250) return r.code;
    assert.equal((await client.command('DATA')).code, 354);
    return (await client.command(`Subject: for ${rcpt}\r\n\r\nhello postmaster\r\n.`)).code;
  } finally {
    client.close();
  }
}

test('postmaster@ each local domain and bare <postmaster> reach the postmaster user, in any case', async () => {
  const h = await startHarness({ startWorker: false, users: { ...USERS, [`postmaster@${DOMAIN}`]: 'postmaster-password' } });
  try {
    for (const rcpt of ['<postmaster>', '<Postmaster>', `<POSTMASTER@${DOMAIN}>`, `<postmaster@${DOMAIN.toUpperCase()}>`]) {
      assert.equal(await send(h.port, rcpt), 250, rcpt);
    }
    assert.equal((await inboxMessages(h.store, `postmaster@${DOMAIN}`)).length, 4);
  } finally {
    await h.close();
  }
});

test('without a postmaster user, postmaster mail goes to the configured postmaster', async () => {
  const h = await startHarness({ startWorker: false, postmaster: `alice@${DOMAIN}` });
  try {
    assert.equal(await send(h.port, '<postmaster>'), 250);
    assert.equal(await send(h.port, `<postmaster@${DOMAIN}>`), 250);
    assert.equal((await inboxMessages(h.store, `alice@${DOMAIN}`)).length, 2);
    assert.equal(await send(h.port, '<nobody>'), 501, 'only postmaster may come without a domain');
  } finally {
    await h.close();
  }
});

test('without a postmaster user or setting, postmaster mail reaches the user created first', async () => {
  // The harness creates alice, then bob; neither postmaster@ nor a postmaster setting exists.
  const h = await startHarness({ startWorker: false });
  try {
    assert.equal(await send(h.port, `<postmaster@${DOMAIN}>`), 250);
    assert.equal(await send(h.port, '<postmaster>'), 250);
    assert.equal((await inboxMessages(h.store, `alice@${DOMAIN}`)).length, 2);
    assert.equal((await inboxMessages(h.store, `bob@${DOMAIN}`)).length, 0);
  } finally {
    await h.close();
  }
});

test('a subaddress reaches its user (RCPT, delivery), keeps the detail on the route, and is the user’s own sender address', async () => {
  const h = await startHarness({ startWorker: false });
  const plain = Buffer.from(`\0alice@${DOMAIN}\0${USERS[`alice@${DOMAIN}`]}`).toString('base64');
  try {
    assert.equal(await send(h.port, `<alice+lists@${DOMAIN}>`), 250);
    assert.equal(await send(h.port, `<Alice+Shop+2024@${DOMAIN.toUpperCase()}>`), 250);
    assert.equal(await send(h.port, `<nobody+lists@${DOMAIN}>`), 550, 'the detail makes no unknown user known');
    const inbox = await inboxMessages(h.store, `alice@${DOMAIN}`);
    assert.equal(inbox.length, 2);
    assert.match(inbox[0]!, new RegExp(`for <alice\\+lists@${DOMAIN}>`), 'the Received: trace names the address as given');
    assert.deepEqual(await h.core.service.route(`alice+lists@${DOMAIN}`), {
      kind: 'local', address: `alice+lists@${DOMAIN}`, user: `alice@${DOMAIN}`, detail: 'lists',
    });

    // As sender: MAIL FROM and From: with alice's subaddress are alice's own; bob's are not.
    const { client } = await RawSmtpClient.connect(h.port);
    try {
      await client.command('EHLO client.example');
      assert.match((await client.command(`AUTH PLAIN ${plain}`)).text, /^235 /);
      assert.equal((await client.command(`MAIL FROM:<bob+x@${DOMAIN}>`)).code, 553);
      assert.equal((await client.command(`MAIL FROM:<alice+news@${DOMAIN}>`)).code, 250);
      assert.equal((await client.command(`RCPT TO:<bob@${DOMAIN}>`)).code, 250);
      assert.equal((await client.command('DATA')).code, 354);
      const r = await client.command(`From: Alice <alice+news@${DOMAIN}>\r\nSubject: newsletter\r\n\r\nhi\r\n.`);
      assert.equal(r.code, 250, r.text);
    } finally {
      client.close();
    }
    assert.equal((await inboxMessages(h.store, `bob@${DOMAIN}`)).length, 1);
  } finally {
    await h.close();
  }
});
