// SIGHUP to a single `tessera serve` process: the TLS key material is read again (a renewed
// certificate is served to new connections while open ones go on), a configuration that no longer
// loads leaves the running certificate in place, and the server never dies of the signal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { generateSelfSignedPem } from '../../src/server/self-signed.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { startServed, type LogLine, type Served } from '../support/served.js';

const WAIT_MS = 30_000;

/** The certificate's CN and the greeting of a new IMAPS connection, left open for the caller. */
async function connect(port: number): Promise<{ socket: tls.TLSSocket; cn: string; greeting: string }> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  socket.on('error', () => {});
  return withDeadline(
    new Promise((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        const end = text.indexOf('\r\n');
        if (end >= 0) resolve({ socket, cn: String(socket.getPeerCertificate().subject.CN), greeting: text.slice(0, end) });
      });
      socket.once('close', () => reject(new Error(`closed before the greeting (${JSON.stringify(text)})`)));
    }),
    WAIT_MS,
    'an IMAPS greeting',
  );
}

describe('SIGHUP to a single server process reloads the TLS certificates', { timeout: 300_000 }, () => {
  let served: Served;
  let dir: string;
  const open: tls.TLSSocket[] = [];

  async function writePair(names: string[]): Promise<void> {
    const pem = await generateSelfSignedPem(names);
    await writeFile(join(dir, 'key.pem'), pem.key);
    await writeFile(join(dir, 'cert.pem'), pem.cert);
  }

  /** Sends SIGHUP and waits for the first line after it that `done` accepts. */
  async function hangup(done: (l: LogLine) => boolean): Promise<LogLine> {
    const from = served.log.length;
    served.child.kill('SIGHUP');
    return waitFor('the reload to be logged', () => served.log.slice(from).find(done), WAIT_MS);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-tls-reload-'));
    await writePair(['one.example.test']);
    const imaps = `<imapservers><imapserver enabled="true"><jmxName>imap</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="true" startTLS="false"><privateKey>${join(dir, 'key.pem')}</privateKey><certificates>${join(dir, 'cert.pem')}</certificates></tls>
  <auth><plainAuthEnabled>true</plainAuthEnabled><requireSSL>true</requireSSL></auth>
</imapserver></imapservers>\n`;
    served = await startServed({ processes: 1, users: [], files: { 'imapserver.xml': imaps } });
  });

  after(async () => {
    for (const s of open) s.destroy();
    await served?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a renewed certificate to new connections; open ones go on', async () => {
    const first = await connect(served.imapPort);
    open.push(first.socket);
    assert.equal(first.cn, 'one.example.test');
    await writePair(['two.example.test']);
    const line = await hangup((l) => l.msg === 'TLS certificates reloaded; other settings take effect at restart (with server.processes > 1, SIGHUP applies them all)');
    assert.equal(line.listeners, 1);
    const second = await connect(served.imapPort);
    open.push(second.socket);
    assert.equal(second.cn, 'two.example.test');
    assert.match(second.greeting, /^\* OK/);
    // The connection opened before the reload still answers.
    const answered = new Promise<string>((resolve) => first.socket.on('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    first.socket.write('a NOOP\r\n');
    assert.match(await withDeadline(answered, WAIT_MS, 'NOOP on the older connection'), /^a OK/);
  });

  it('keeps the running certificate when the configuration no longer loads', async () => {
    await writeFile(join(dir, 'cert.pem'), 'not a certificate\n');
    const line = await hangup((l) => Number(l.level) >= 40);
    assert.equal(line.msg, 'TLS reload failed: the configuration could not be read; the running certificates stay');
    assert.match(String(line.err), /cert\.pem/, 'the error names the file');
    const again = await connect(served.imapPort);
    open.push(again.socket);
    assert.equal(again.cn, 'two.example.test');
    assert.equal(served.child.exitCode, null, 'still running');
  });

  it('still stops cleanly on SIGTERM', async () => {
    for (const s of open.splice(0)) s.destroy();
    served.child.kill('SIGTERM');
    const { code } = await withDeadline(served.exited, 60_000, 'the server to exit');
    assert.equal(code, 0);
  });
});
