// `server.processes=2`: the real `tessera serve` command runs a supervising primary and two workers
// that share every listener and one SQLite store. Connections land on both workers (each log line
// of a worker names it, and the IMAP ID a client sends is logged with its session), and what one
// worker does reaches sessions on the other: mail delivered over SMTP shows in IMAP IDLE on both, a
// revocation ends sessions on both, concurrent APPENDs on both never share or reorder UIDs.
// /metrics and `tessera sessions` (served by the first worker) cover both. A killed worker is
// restarted; SIGHUP replaces both workers (the first one's admin.sock included) while the listeners
// stay open, or, when the configuration has become unusable, leaves them serving; SIGTERM stops
// every process cleanly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { runTessera } from '../cli/run-tessera.js';
import { connectClient } from '../support/tcp.js';
import { parsePrometheusText, sampleValue } from '../support/prom-text.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { SERVED_DOMAIN, SERVED_PASSWORD, startServed, type Served } from '../support/served.js';
import { isAlive } from '../support/pids.js';

const ALICE = `alice@${SERVED_DOMAIN}`;
const BOB = `bob@${SERVED_DOMAIN}`;
const WAIT_MS = 30_000;
/** A worker's start compiles the sources through tsx; the machine may be loaded. */
const START_MS = 240_000;

/** The first line an IMAP server sends on a new connection (a refused connection rejects). */
async function greeting(port: number): Promise<string> {
  const socket = await connectClient(port, false, 'the IMAP listener');
  try {
    let text = '';
    return await withDeadline(
      new Promise<string>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.includes('\r\n')) resolve(text.slice(0, text.indexOf('\r\n')));
        });
        socket.on('close', () => reject(new Error(`closed before a greeting (read: ${JSON.stringify(text)})`)));
      }),
      WAIT_MS,
      'the IMAP greeting',
    );
  } finally {
    socket.destroy();
  }
}

/** Inodes of the sockets listening on `port` (state 0A in /proc/net/tcp and tcp6). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && Number.parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** Whether process `pid` has one of the socket `inodes` open. */
async function holdsAny(pid: number, inodes: Set<string>): Promise<boolean> {
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined && inodes.has(inode)) return true;
  }
  return false;
}

describe('server.processes=2: two workers sharing the listeners and one SQLite store', { timeout: 600_000 }, () => {
  let served: Served;
  let connections = 0;
  const open: ImapFlow[] = [];

  /** An IMAP login whose serving worker is read back from the log (by the unique ID it sends). */
  async function login(user: string): Promise<{ client: ImapFlow; worker: number }> {
    const name = `conn-${++connections}`;
    const client = new ImapFlow({ host: '127.0.0.1', port: served.imapPort, secure: false, auth: { user, pass: SERVED_PASSWORD }, logger: false, clientInfo: { name } });
    client.on('error', () => {});
    await client.connect();
    open.push(client);
    const line = await served.find(`the ID of ${name} in the log`, (l) => l.msg === 'imap client ID' && (l.clientId as Record<string, string> | undefined)?.name === name);
    return { client, worker: Number(line.worker) };
  }

  /** Logins until each worker serves at least one (the kernel spreads them, see supervisor.ts). */
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
    // Debug: the IMAP ID a client sends is logged with the worker that serves the connection.
    served = await startServed({
      processes: 2,
      users: [ALICE, BOB],
      logLevel: 'debug',
      // /metrics on the control listener, which the first worker serves.
      properties: ['control.http.enabled=true', 'control.http.bind=127.0.0.1:0'],
    });
  });

  after(async () => {
    for (const c of open) c.close();
    await served.dispose();
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
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: served.smtpPort, secure: false, ignoreTLS: true });
    // Four deliveries on four connections, each taken by either worker: both IDLE sessions must
    // see all four, including the mail the other process stored.
    for (let i = 1; i <= 4; i++) {
      await transport.sendMail({ from: `sender${i}@remote.test`, to: ALICE, subject: `hello ${i}`, text: `message ${i}\n` });
    }
    transport.close();
    await withDeadline(Promise.all(reached), WAIT_MS, `EXISTS 4 in IDLE on both workers (seen: ${JSON.stringify([...seen])})`);
  });

  it('ends the sessions of a revoked user on both workers', async () => {
    // Bob's first sessions: as many logins as it took to land on both workers, all left open.
    const before = connections;
    const sessions = await oneOnEach(BOB);
    const opened = connections - before;
    const closed = [...sessions.values()].map((client) => new Promise<void>((resolve) => client.once('close', () => resolve())));
    const revoked = await runTessera(['sessions', 'revoke', '--user', BOB, '--reason', 'test', '--conf', served.confDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    // Counted on both workers, not only on the first one, which serves admin.sock.
    assert.match(revoked.stderr, new RegExp(`: ${opened} live sessions ended`));
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

  it('answers /metrics, on the first worker, with the series of every worker added up', async () => {
    // Every IMAP session so far went through login(), on one worker or the other (each got some).
    const logins = connections;
    const seen = new Set(served.log.filter((l) => l.msg === 'imap client ID').map((l) => Number(l.worker)));
    assert.deepEqual([...seen].sort(), [1, 2]);
    const port = Number(new URL(String((served.log.find((l) => l.msg === 'listening' && l.server === 'control-http')!.addresses as string[])[0])).port);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    const { samples } = parsePrometheusText(await res.text());
    assert.equal(sampleValue(samples, 'tessera_sessions_total', { protocol: 'imap' }), logins);
    // Two processes' CPU, memory and heap: prom-client's process metrics are there, summed.
    assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes'));
  });

  it('lists the sessions of both workers with tessera sessions list', async () => {
    // Bob's earlier sessions were revoked: these are all he has.
    const workers: number[] = [];
    for (let i = 0; i < 12 && new Set(workers).size < 2; i++) workers.push((await login(BOB)).worker);
    assert.deepEqual([...new Set(workers)].sort(), [1, 2]);
    const list = await runTessera(['sessions', 'list', '--json', '--conf', served.confDir]);
    assert.equal(list.code, 0, list.stderr);
    const listed = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { user: string; protocol: string });
    assert.equal(listed.filter((s) => s.user === BOB && s.protocol === 'imap').length, workers.length, list.stdout);
  });

  it('lets each worker accept from the shared listening socket itself', async () => {
    // Round-robin (the supervisor accepting every connection and passing it on) cost a third more
    // CPU per login; see supervisor.ts. With it only the supervisor has the listening socket open
    // (its inode, from /proc/net/tcp*); shared, the supervisor keeps it too but never accepts.
    const listening = await listeningInodes(served.imapPort);
    assert.ok(listening.size > 0, `a listening socket on port ${served.imapPort}`);
    for (const [slot, pid] of served.workerPids()) assert.ok(await holdsAny(pid, listening), `worker ${slot} (pid ${pid}) holds the listening socket`);
  });

  it('restarts a worker that was killed, and the new one serves', async () => {
    const before = served.workerPids();
    const victim = before.get(2)!;
    const readyLines = served.log.filter((l) => l.msg === 'server process ready' && l.slot === 2).length;
    process.kill(victim, 'SIGKILL');
    await served.find('the supervisor to notice the death', (l) => l.msg === 'server process died; restarting it' && l.pid === victim);
    await waitFor('a new worker 2 to be ready', () => served.log.filter((l) => l.msg === 'server process ready' && l.slot === 2).length > readyLines, START_MS);
    const replacement = served.workerPids().get(2)!;
    assert.notEqual(replacement, victim);
    // Both workers serve again.
    await oneOnEach(ALICE);
  });

  it('keeps the running workers when SIGHUP finds a configuration the new ones cannot start with', async () => {
    const before = served.workerPids();
    const file = join(served.confDir, 'imapserver.xml');
    const good = await readFile(file, 'utf8');
    await writeFile(file, '<imapservers><imapserver enabled="true"><bind>127.0.0.1:0</bind>');
    const from = served.log.length;
    try {
      served.child.kill('SIGHUP');
      await waitFor('the reload to finish', () => served.log.slice(from).find((l) => l.msg === 'reload done'), START_MS);
    } finally {
      await writeFile(file, good);
    }
    const messages = served.log.slice(from).map((l) => l.msg);
    const failed = messages.filter((m) => m === 'reload: the new server process did not start; the old one keeps serving');
    assert.equal(failed.length, 2, 'both replacements failed');
    assert.ok(!messages.includes('server process died; restarting it'), 'a failed replacement is not taken for a dead worker');
    assert.deepEqual(served.workerPids(), before);
    for (const pid of before.values()) assert.ok(isAlive(pid), `worker ${pid} still runs`);
    await oneOnEach(ALICE);
    for (const c of open.splice(0)) c.close();
  });

  it('replaces both workers on SIGHUP, admin.sock included, and keeps serving throughout', async () => {
    for (const c of open.splice(0)) c.close();
    const before = served.workerPids();
    const from = served.log.length;
    served.child.kill('SIGHUP');
    // Connections all through the reload: the listeners never close, so none is refused. Each is
    // greeted by a worker; one that the old worker took just as it stopped is told so (BYE) and
    // ends, as on SIGTERM, and its client connects again.
    let reloaded = false;
    const greetings = { ok: 0, bye: 0 };
    const done = waitFor('the reload to finish', () => served.log.slice(from).find((l) => l.msg === 'reload done'), START_MS).then(() => (reloaded = true));
    while (!reloaded) {
      const line = await greeting(served.imapPort);
      if (line.startsWith('* OK')) greetings.ok++;
      else if (line.startsWith('* BYE')) greetings.bye++;
      else assert.fail(`greeting during the reload: ${line}`);
    }
    await done;
    const lines = served.log.slice(from);
    assert.deepEqual(lines.filter((l) => Number(l.level) >= 50).map((l) => l.msg), [], 'no error while reloading');
    const after = served.workerPids();
    for (const n of [1, 2]) assert.notEqual(after.get(n), before.get(n), `worker ${n} replaced`);
    for (const pid of before.values()) await waitFor(`old worker ${pid} to exit`, () => !isAlive(pid), WAIT_MS);
    assert.ok(greetings.ok > 0, `greetings during the reload: ${JSON.stringify(greetings)}`);
    // The new first worker serves admin.sock: the old one, stopping, left the file alone.
    const list = await runTessera(['sessions', 'list', '--json', '--conf', served.confDir]);
    assert.equal(list.code, 0, list.stderr);
    await oneOnEach(ALICE);
  });

  it('stops every process cleanly on SIGTERM', async () => {
    for (const c of open.splice(0)) c.close();
    const pids = [...served.workerPids().values()];
    served.child.kill('SIGTERM');
    const { code } = await withDeadline(served.exited, 60_000, 'the server to exit');
    assert.equal(code, 0);
    assert.ok(served.log.some((l) => l.msg === 'every server process stopped'));
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
  });
});
