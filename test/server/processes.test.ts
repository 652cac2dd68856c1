// `server.processes=2`: the real `tessera serve` command runs a supervising primary and two workers
// that share every listener and one SQLite store. Connections land on both workers (each log line
// of a worker names it, and the IMAP ID a client sends is logged with its session), and what one
// worker does reaches sessions on the other: mail delivered over SMTP shows in IMAP IDLE on both, a
// revocation ends sessions on both, concurrent APPENDs on both never share or reorder UIDs. A killed
// worker is restarted; SIGTERM stops every process cleanly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { runTessera, spawnTessera } from '../cli/run-tessera.js';
import { waitFor, withDeadline } from '../support/wait.js';

const DOMAIN = 'example.test';
const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const PASSWORD = 'correct horse battery';
/** Start-up compiles the sources through tsx in three processes; the machine may be loaded. */
const START_MS = 240_000;
const WAIT_MS = 30_000;

type LogLine = Record<string, unknown>;

const files = (dataDir: string): Record<string, string> => ({
  'tessera.properties': [
    `data.dir=${dataDir}`,
    'storage.engine=sqlite',
    'server.processes=2',
    // Debug: the IMAP ID a client sends is logged with the worker that serves the connection.
    'log.level=debug',
    'devIdp.enabled=false',
    'shutdown.timeout=2',
    'demo.seed=false',
    'auth.throttle.address.freeFailures=1000',
    'auth.throttle.address.blockAfter=100000',
    '',
  ].join('\n'),
  'domainlist.xml': `<domainlist><domainnames><domainname>${DOMAIN}</domainname></domainnames><defaultDomain>${DOMAIN}</defaultDomain></domainlist>\n`,
  'usersrepository.xml': '<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
  'imapserver.xml': `<imapservers><imapserver enabled="true"><jmxName>imap</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="false" startTLS="false"/><auth><plainAuthEnabled>true</plainAuthEnabled><requireSSL>false</requireSSL></auth>
</imapserver></imapservers>\n`,
  'smtpserver.xml': `<smtpservers><smtpserver enabled="true"><jmxName>smtp-mx</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="false" startTLS="false"/><helloName autodetect="false">mail.${DOMAIN}</helloName>
  <auth><announce>never</announce><requireAuthForRelay>true</requireAuthForRelay><plainAuthEnabled>false</plainAuthEnabled><requireSSL>false</requireSSL></auth>
</smtpserver></smtpservers>\n`,
});

describe('server.processes=2: two workers sharing the listeners and one SQLite store', { timeout: 600_000 }, () => {
  let root: string;
  let confDir: string;
  let server: ChildProcess;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  const log: LogLine[] = [];
  const text: string[] = [];
  let imapPort = 0;
  let smtpPort = 0;
  let connections = 0;
  const open: ImapFlow[] = [];

  const find = (what: string, pred: (l: LogLine) => boolean, ms = WAIT_MS): Promise<LogLine> =>
    waitFor(what, () => log.find(pred), ms).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- server log (last 40 lines) ---\n${text.slice(-40).join('\n')}`);
    });

  /** Pid of each slot's current worker, from the supervisor's "ready" lines. */
  const workerPids = (): Map<number, number> => {
    const pids = new Map<number, number>();
    for (const l of log) if (l.msg === 'server process ready') pids.set(Number(l.slot), Number(l.pid));
    return pids;
  };

  /** An IMAP login whose serving worker is read back from the log (by the unique ID it sends). */
  async function login(user: string): Promise<{ client: ImapFlow; worker: number }> {
    const name = `conn-${++connections}`;
    const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user, pass: PASSWORD }, logger: false, clientInfo: { name } });
    client.on('error', () => {});
    await client.connect();
    open.push(client);
    const line = await find(`the ID of ${name} in the log`, (l) => l.msg === 'imap client ID' && (l.clientId as Record<string, string> | undefined)?.name === name);
    return { client, worker: Number(line.worker) };
  }

  /** Logins until each worker serves at least one; round-robin makes that quick. */
  async function oneOnEach(user: string): Promise<Map<number, ImapFlow>> {
    const byWorker = new Map<number, ImapFlow>();
    for (let i = 0; i < 12 && byWorker.size < 2; i++) {
      const { client, worker } = await login(user);
      if (!byWorker.has(worker)) byWorker.set(worker, client);
    }
    assert.deepEqual([...byWorker.keys()].sort(), [1, 2], 'connections landed on both workers');
    return byWorker;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tessera-processes-'));
    confDir = join(root, 'conf');
    await mkdir(confDir);
    for (const [name, content] of Object.entries(files(join(root, 'var')))) await writeFile(join(confDir, name), content);
    for (const user of [ALICE, BOB]) {
      const added = await runTessera(['user', 'add', user, '--conf', confDir, '--password', PASSWORD]);
      assert.equal(added.code, 0, added.stderr);
    }
    server = spawnTessera(['serve', '--conf', confDir]);
    exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
    server.stdout!.resume();
    createInterface({ input: server.stderr! }).on('line', (line) => {
      text.push(line);
      try {
        log.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line (a stack trace): kept in the text only.
      }
    });
    await find('every server process to be ready', (l) => l.msg === 'every server process is ready', START_MS);
    const port = (name: string): number => {
      const lines = log.filter((l) => l.msg === 'listening' && l.server === name);
      const ports = new Set(lines.map((l) => Number(new URL(String((l.addresses as string[])[0])).port)));
      assert.equal(ports.size, 1, `both workers listen on the same ${name} port: ${[...ports].join(', ')}`);
      return [...ports][0]!;
    };
    imapPort = port('imap');
    smtpPort = port('smtp-mx');
  });

  after(async () => {
    for (const c of open) c.close();
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      for (const pid of workerPids().values()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    await rm(root, { recursive: true, force: true });
  });

  it('shows mail delivered over SMTP (on either worker) in IMAP IDLE on both workers', async () => {
    const watchers = await oneOnEach(ALICE);
    const seen = new Map<number, number>();
    const reached = [...watchers].map(async ([worker, client]) => {
      await client.mailboxOpen('INBOX');
      const target = new Promise<void>((resolve) => {
        client.on('exists', (data: { count: number }) => {
          seen.set(worker, data.count);
          if (data.count >= 4) resolve();
        });
      });
      void client.idle().catch(() => {});
      return target;
    });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    // Four deliveries on four connections: round-robin puts them on both workers, so each IDLE
    // session sees mail that the other process stored.
    for (let i = 1; i <= 4; i++) {
      await transport.sendMail({ from: `sender${i}@remote.test`, to: ALICE, subject: `hello ${i}`, text: `message ${i}\n` });
    }
    transport.close();
    await withDeadline(Promise.all(reached), WAIT_MS, `EXISTS 4 in IDLE on both workers (seen: ${JSON.stringify([...seen])})`);
  });

  it('ends the sessions of a revoked user on both workers', async () => {
    const sessions = await oneOnEach(BOB);
    const closed = [...sessions.values()].map((client) => new Promise<void>((resolve) => client.once('close', () => resolve())));
    const revoked = await runTessera(['sessions', 'revoke', '--user', BOB, '--reason', 'test', '--conf', confDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    await withDeadline(Promise.all(closed), WAIT_MS, "bob's IMAP sessions on both workers to end");
  });

  it('gives concurrent APPENDs on both workers distinct, increasing UIDs', async () => {
    const clients: ImapFlow[] = [];
    const workers = new Set<number>();
    // Two clients per worker (logins until each worker has two).
    const per = new Map<number, number>();
    for (let i = 0; i < 20 && clients.length < 4; i++) {
      const { client, worker } = await login(ALICE);
      if ((per.get(worker) ?? 0) >= 2) continue;
      per.set(worker, (per.get(worker) ?? 0) + 1);
      workers.add(worker);
      clients.push(client);
    }
    assert.equal(workers.size, 2, 'APPENDs run on both workers');
    const mailbox = 'Storm';
    await clients[0]!.mailboxCreate(mailbox);
    const PER_CLIENT = 25;
    const uids = await Promise.all(
      clients.map(async (client, c) => {
        const mine: number[] = [];
        for (let i = 0; i < PER_CLIENT; i++) {
          const res = await client.append(mailbox, `From: c${c}@remote.test\r\nSubject: storm ${c}-${i}\r\n\r\nbody\r\n`);
          assert.ok(res && typeof res.uid === 'number', 'APPENDUID answered');
          mine.push(res.uid);
        }
        return mine;
      }),
    );
    for (const mine of uids) assert.deepEqual(mine, [...mine].sort((a, b) => a - b), 'one client sees its UIDs increase');
    const all = uids.flat();
    assert.equal(new Set(all).size, all.length, 'no UID given twice');
    const status = await clients[0]!.status(mailbox, { messages: true, uidNext: true });
    if (!status) assert.fail('STATUS answered');
    assert.equal(status.messages, clients.length * PER_CLIENT);
    assert.equal(status.uidNext, Math.max(...all) + 1);
  });

  it('restarts a worker that was killed, and the new one serves', async () => {
    const before = workerPids();
    const victim = before.get(2)!;
    const readyLines = log.filter((l) => l.msg === 'server process ready' && l.slot === 2).length;
    process.kill(victim, 'SIGKILL');
    await find('the supervisor to notice the death', (l) => l.msg === 'server process died; restarting it' && l.pid === victim);
    await waitFor('a new worker 2 to be ready', () => log.filter((l) => l.msg === 'server process ready' && l.slot === 2).length > readyLines, START_MS);
    const replacement = workerPids().get(2)!;
    assert.notEqual(replacement, victim);
    // Both workers serve again.
    await oneOnEach(ALICE);
  });

  it('stops every process cleanly on SIGTERM', async () => {
    for (const c of open.splice(0)) c.close();
    const pids = [...workerPids().values()];
    server.kill('SIGTERM');
    const { code } = await withDeadline(exited, 60_000, 'the server to exit');
    assert.equal(code, 0);
    assert.ok(log.some((l) => l.msg === 'every server process stopped'));
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
  });
});
