// SMTP delivery to a node on PostgreSQL killed with SIGKILL in the middle of 1,000 messages sent over
// four connections: every message the node acknowledged (250 after DATA) is in the shared database
// afterwards, once. Acknowledged = committed (synchronous_commit=on) before the 250 is written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pg from 'pg';
import { createPostgresUsersRepository } from '../../src/auth/users/postgres-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { createTestDatabase, dropTemplate, postgresUnavailable, type TestDatabase } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';
import { CLUSTER_DOMAIN, startRelayNode, type RelayNode } from './harness.js';

const unavailable = await postgresUnavailable();
const MESSAGES = 1000;
const CONNECTIONS = 4;
const RCPT = `rcpt@${CLUSTER_DOMAIN}`;

/** A minimal SMTP client: sends its share of the messages one after another, noting each 250 after DATA. */
async function sendMany(port: number, tokens: string[], acked: Set<string>): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let buffer = '';
  const waiters: Array<(line: string) => void> = [];
  let failed: Error | undefined;
  socket.on('data', (d: string) => {
    buffer += d;
    for (;;) {
      const nl = buffer.indexOf('\r\n');
      if (nl < 0) break;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 2);
      // Only the last line of a multi-line reply completes it.
      if (/^\d{3} /.test(line)) waiters.shift()?.(line);
    }
  });
  const gone = new Promise<never>((_, reject) => {
    const end = (): void => {
      failed ??= new Error('connection closed');
      reject(failed);
    };
    socket.once('close', end);
    socket.once('error', (err) => {
      failed = err;
    });
  });
  gone.catch(() => undefined);
  const reply = (): Promise<string> => Promise.race([new Promise<string>((resolve) => waiters.push(resolve)), gone]);
  const command = async (text: string, expect: string): Promise<void> => {
    const answer = reply();
    socket.write(text);
    const line = await answer;
    if (!line.startsWith(expect)) throw new Error(`${text.trim().slice(0, 30)}: ${line}`);
  };
  try {
    const greeting = reply();
    if (!(await greeting).startsWith('220')) throw new Error('no greeting');
    await command('EHLO client.test\r\n', '250');
    for (const token of tokens) {
      await command(`MAIL FROM:<sender@remote.example>\r\n`, '250');
      await command(`RCPT TO:<${RCPT}>\r\n`, '250');
      await command('DATA\r\n', '354');
      await command(`From: sender@remote.example\r\nTo: ${RCPT}\r\nSubject: ${token}\r\nMessage-ID: <${token}@remote.example>\r\n\r\nbody of ${token}\r\n.\r\n`, '250');
      acked.add(token);
    }
    await command('QUIT\r\n', '221');
  } catch {
    // The node was killed: what was acknowledged so far is what counts.
  } finally {
    socket.destroy();
  }
}

describe('SMTP delivery to a node on PostgreSQL killed with SIGKILL', { skip: unavailable ?? false }, () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let node: RelayNode | undefined;

  before(async () => {
    db = await createTestDatabase();
    sink = await SmtpSink.start();
    const users = await createPostgresUsersRepository(
      { url: db.url },
      { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
      { domainnames: [CLUSTER_DOMAIN], defaultDomain: CLUSTER_DOMAIN },
      silentLogger(),
    );
    await users.users.add(RCPT, 'rcpt-password-1');
    await users.close();
  });

  after(async () => {
    await node?.stop().catch(() => undefined);
    await sink?.close();
    await db?.drop();
    await dropTemplate();
  });

  it('loses none of the messages it acknowledged', async () => {
    node = await startRelayNode('node-in', { url: db.url, smarthostPort: sink.port });
    const acked = new Set<string>();
    const run = Date.now().toString(36);
    const shares = Array.from({ length: CONNECTIONS }, (_, c) =>
      Array.from({ length: MESSAGES / CONNECTIONS }, (_, i) => `k${run}c${c}n${i}`),
    );
    const sending = Promise.all(shares.map((tokens) => sendMany(node!.smtpPort, tokens, acked)));
    await waitFor('a third of the messages acknowledged', () => acked.size >= MESSAGES / 3, 180_000);
    await node.kill9();
    node = undefined;
    await sending;
    const snapshot = [...acked];
    assert.ok(snapshot.length < MESSAGES, 'the kill came before the end');

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = await c.query<{ subject: string }>(
        'SELECT t.subject FROM email_text t JOIN email e ON e.id = t.email_id JOIN account a ON a.id = e.account_id WHERE a.name = $1',
        [RCPT],
      );
      const stored = new Map<string, number>();
      for (const r of rows.rows) stored.set(r.subject, (stored.get(r.subject) ?? 0) + 1);
      const lost = snapshot.filter((t) => !stored.has(t));
      assert.deepEqual(lost, [], `${lost.length} acknowledged messages lost`);
      assert.ok([...stored.values()].every((n) => n === 1), 'no message stored twice');
      process.stderr.write(`# inbound kill: ${snapshot.length} acknowledged, ${stored.size} stored (the rest were in flight)\n`);
    } finally {
      await c.end();
    }
  });
});
