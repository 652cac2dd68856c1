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
