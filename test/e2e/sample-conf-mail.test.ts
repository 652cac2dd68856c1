// Mail a newcomer's `npm start` server must take, on the repository's sample conf (relocated to free
// ports): postmaster@ its domain (RFC 5321 §4.5.1; there is no postmaster user, so the user created
// first — the demo user — gets it) and a subaddress of the demo user (RFC 5233).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServe } from '../../src/server/serve.js';
import { protocolFactories, storeResource } from '../../src/server/protocols.js';
import { CapturedOutput } from '../server/capture.js';
import { RawSmtpClient } from '../smtp/raw-client.js';
import { relocatedConf } from './sample-conf.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function send(port: number, rcpt: string): Promise<string> {
  const { client } = await RawSmtpClient.connect(port);
  try {
    await client.command('EHLO sender.example');
    await client.command('MAIL FROM:<someone@elsewhere.example>');
    const r = await client.command(`RCPT TO:<${rcpt}>`);
    if (r.code !== 250) return r.text;
    await client.command('DATA');
    return (await client.command(`Subject: to ${rcpt}\r\n\r\nhello\r\n.`)).text;
  } finally {
    client.close();
  }
}

describe('the sample conf takes the mail RFC 5321 and RFC 5233 say it must', () => {
  it('postmaster@tessera.local and demo+tag@tessera.local reach the demo user', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tessera-sample-mail-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const { confDir, ports } = await relocatedConf(root);
    const running = await runServe({
      confDir,
      factories: protocolFactories,
      io: { stdout: new CapturedOutput(), logDestination: new CapturedOutput(), env: { TESSERA_DATA_DIR: join(root, 'var') } },
    });
    cleanups.push(() => running.stop());
    const mx = ports.get(2525)!;
    assert.match(await send(mx, 'postmaster@tessera.local'), /^250 /);
    assert.match(await send(mx, 'Postmaster@TESSERA.local'), /^250 /);
    assert.match(await send(mx, 'demo+newsletters@tessera.local'), /^250 /);
    assert.match(await send(mx, 'nobody@tessera.local'), /^550 /);

    const store = await running.context.use(storeResource);
    const inbox = (await store.findMailboxByRole('demo@tessera.local', 'inbox'))!;
    const messages = (await store.snapshot('demo@tessera.local', inbox.id)).messages;
    const subjects: string[] = [];
    for (const m of messages) subjects.push(/^Subject: (.*)$/m.exec((await store.readMessage('demo@tessera.local', m.emailId))!.toString())![1]!);
    assert.deepEqual(subjects, ['to postmaster@tessera.local', 'to Postmaster@TESSERA.local', 'to demo+newsletters@tessera.local']);
  });
});
