// The repository's sample conf (relocated to free ports) running as `npm start` runs it: the mail it
// must take (RFC 5321 §4.5.1 postmaster, with no postmaster user, goes to the user created first —
// the demo user; RFC 5233 subaddresses), and the README naming every capability each protocol
// advertises on it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { protocolFactories, storeResource } from '../../src/server/protocols.js';
import { CapturedOutput } from '../server/capture.js';
import { RawSmtpClient } from '../smtp/raw-client.js';
import { RawClient } from '../imap/raw-client.js';
import { relocatedConf, ROOT } from './sample-conf.js';

let running: RunningServer;
let ports: Map<number, number>;
let demoPassword: string;
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tessera-sample-server-'));
  const relocated = await relocatedConf(root);
  ports = relocated.ports;
  const stdout = new CapturedOutput();
  running = await runServe({
    confDir: relocated.confDir,
    factories: protocolFactories,
    io: { stdout, logDestination: new CapturedOutput(), env: { TESSERA_DATA_DIR: join(root, 'var') } },
  });
  demoPassword = /demo user demo@tessera\.local with password: (\S+)/.exec(stdout.text())![1]!;
});
after(async () => {
  await running?.stop();
  await rm(root, { recursive: true, force: true });
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

describe('the sample conf, running', () => {
  it('takes postmaster@tessera.local and demo+tag@tessera.local for the demo user', async () => {
    const mx = ports.get(2525)!;
    assert.match(await send(mx, 'postmaster@tessera.local'), /^250 /);
    assert.match(await send(mx, 'Postmaster@TESSERA.local'), /^250 /);
    assert.match(await send(mx, 'demo+newsletters@tessera.local'), /^250 /);
    assert.match(await send(mx, 'nobody@tessera.local'), /^550 /);

    const store = await running.context.use(storeResource);
    const inbox = (await store.findMailboxByRole('demo@tessera.local', 'inbox'))!;
    const subjects: string[] = [];
    for (const m of (await store.snapshot('demo@tessera.local', inbox.id)).messages) {
      subjects.push(/^Subject: (.*)$/m.exec((await store.readMessage('demo@tessera.local', m.emailId))!.toString())![1]!);
    }
    assert.deepEqual(subjects, ['to postmaster@tessera.local', 'to Postmaster@TESSERA.local', 'to demo+newsletters@tessera.local']);
  });

  it('the README names every capability IMAP, SMTP and JMAP advertise', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const paragraph = (label: string): string => {
      const start = readme.indexOf(`**${label}**`);
      assert.ok(start >= 0, `README has a **${label}** paragraph`);
      return readme.slice(start, readme.indexOf('\n\n', start));
    };
    const named = (text: string, word: string): boolean =>
      new RegExp(`(?<![A-Za-z0-9=+:.-])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9=+:-])`).test(text);
    const missing: string[] = [];

    // IMAP: CAPABILITY before TLS, after STARTTLS, and after login.
    const imap = await RawClient.connect(ports.get(1143)!);
    const imapCaps = new Set<string>();
    const take = (lines: string[]): void => {
      for (const l of lines) if (l.startsWith('* CAPABILITY ')) for (const c of l.slice(13).split(' ')) imapCaps.add(c);
    };
    take(await imap.command('a', 'CAPABILITY'));
    assert.match((await imap.command('b', 'STARTTLS')).at(-1)!, /^b OK/);
    await imap.upgrade();
    take(await imap.command('c', 'CAPABILITY'));
    assert.match((await imap.command('d', `LOGIN demo@tessera.local ${demoPassword}`)).at(-1)!, /^d OK/);
    take(await imap.command('e', 'CAPABILITY'));
    imap.close();
    // A capability carrying a configured number (APPENDLIMIT=67108864) is named by its keyword.
    for (const cap of imapCaps) if (!named(paragraph('IMAP'), cap.replace(/=\d+$/, ''))) missing.push(`IMAP ${cap}`);

    // SMTP submission: EHLO before and after STARTTLS.
    const { client: smtp } = await RawSmtpClient.connect(ports.get(5587)!);
    const smtpKeywords = new Set<string>();
    const keywords = (lines: string[]): void => {
      for (const l of lines.slice(1)) smtpKeywords.add(l.split(' ')[0]!);
    };
    keywords((await smtp.command('EHLO client.example')).lines);
    assert.equal((await smtp.command('STARTTLS')).code, 220);
    await smtp.upgrade();
    const secureEhlo = await smtp.command('EHLO client.example');
    keywords(secureEhlo.lines);
    smtp.close();
    for (const kw of smtpKeywords) if (!named(paragraph('SMTP'), kw)) missing.push(`SMTP ${kw}`);
    // The SASL mechanisms offered after TLS are named somewhere in the README.
    const mechanisms = secureEhlo.lines.find((l) => l.startsWith('AUTH '))!.split(' ').slice(1);
    for (const m of mechanisms) if (!named(readme, m)) missing.push(`SASL ${m}`);

    // JMAP: the capabilities of the session resource, over the sample's HTTPS listener.
    const session = await new Promise<{ capabilities: Record<string, unknown> }>((resolve, reject) => {
      const req = request(
        `https://127.0.0.1:${ports.get(8000)!}/jmap/session`,
        { rejectUnauthorized: false, headers: { Authorization: `Basic ${Buffer.from(`demo@tessera.local:${demoPassword}`).toString('base64')}` } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as { capabilities: Record<string, unknown> }) : reject(new Error(`session: ${res.statusCode} ${body}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
    for (const urn of Object.keys(session.capabilities)) if (!named(paragraph('JMAP'), urn)) missing.push(`JMAP ${urn}`);

    assert.deepEqual(missing, [], 'advertised but not named in the README');
  });
});
