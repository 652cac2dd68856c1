// A listener whose James <handlerchain> loads no AUTH (NoAuthCmdHandlerLoader, James' port 25):
// AUTH is answered 502 and never announced, whatever <announce> and requireSSL say, and relaying is
// refused outright rather than with "authenticate first". The same listener with every command
// takes the same credentials, so the refusal is the chain's doing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, USERS, startHarness, type SmtpHarness } from './harness.js';

const ALICE = `alice@${DOMAIN}`;
const plain = (user: string, pass: string): string => Buffer.from(`\0${user}\0${pass}`).toString('base64');

async function session(port: number): Promise<RawSmtpClient> {
  const { client, greeting } = await RawSmtpClient.connect(port);
  assert.equal(greeting.code, 220);
  return client;
}

describe('SMTP commands the listener\'s James handler chain does not load', () => {
  let noAuth: SmtpHarness;
  let full: SmtpHarness;
  before(async () => {
    const config = { announce: 'always' as const, requireAuthForRelay: true };
    noAuth = await startHarness({ startWorker: false, config: { ...config, disabledCommands: ['AUTH'] } });
    full = await startHarness({ startWorker: false, config });
  });
  after(async () => {
    await noAuth.close();
    await full.close();
  });

  it('AUTH is 502 in clear text even with requireSSL false and announce always; EHLO and HELP do not list it', async () => {
    const c = await session(noAuth.port);
    try {
      const ehlo = await c.command('EHLO client.test');
      assert.equal(ehlo.code, 250);
      assert.ok(!ehlo.lines.some((l) => /AUTH/i.test(l)), ehlo.text);
      assert.ok(ehlo.lines.some((l) => /STARTTLS/.test(l)), 'the rest of the extensions stay');
      const auth = await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`);
      assert.equal(auth.code, 502);
      assert.match(auth.text, /^502 5\.5\.1 AUTH not available on this port/);
      const help = await c.command('HELP');
      assert.equal(help.code, 214);
      assert.doesNotMatch(help.text, /AUTH/);
      assert.match(help.text, /STARTTLS/);
      // Without AUTH there is no way to become allowed to relay: refused, not "authenticate first".
      assert.equal((await c.command(`MAIL FROM:<someone@elsewhere.test>`)).code, 250);
      const relay = await c.command('RCPT TO:<friend@remote.test>');
      assert.equal(relay.code, 550);
      assert.match(relay.text, /5\.7\.1/);
      assert.equal((await c.command(`RCPT TO:<${ALICE}>`)).code, 250, 'local delivery is what an MX is for');
    } finally {
      c.close();
    }
  });

  it('AUTH after STARTTLS is 502 too: the command is not there at all', async () => {
    const c = await session(noAuth.port);
    try {
      await c.command('EHLO client.test');
      assert.equal((await c.command('STARTTLS')).code, 220);
      await c.upgrade();
      const ehlo = await c.command('EHLO client.test');
      assert.ok(!ehlo.lines.some((l) => /AUTH/i.test(l)), ehlo.text);
      assert.equal((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).code, 502);
    } finally {
      c.close();
    }
  });

  it('with every command loaded the same login succeeds and relaying asks for it', async () => {
    const c = await session(full.port);
    try {
      const ehlo = await c.command('EHLO client.test');
      assert.ok(ehlo.lines.some((l) => /^AUTH /.test(l)), ehlo.text);
      assert.equal((await c.command('MAIL FROM:<someone@elsewhere.test>')).code, 250);
      assert.equal((await c.command('RCPT TO:<friend@remote.test>')).code, 530);
      assert.equal((await c.command('RSET')).code, 250);
      assert.equal((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).code, 235);
    } finally {
      c.close();
    }
  });
});
