// What a second server process gains (issue #18), not part of the test suite:
//   node --import tsx bench/processes/run.ts [seconds per workload, default 10] [clients, default 16]
// Runs the real `tessera serve` (SQLite store) with server.processes=1, then 2, and drives it over
// loopback from this process with minimal raw-socket clients (so that the load generator costs
// little of the two cores):
//  - IMAP logins/s: each client connects, LOGINs with a password (verified once, then from the
//    server's verified-password cache), LOGOUTs, again;
//  - SMTP deliveries/s: each client connects to the MX, sends one small message to a local user,
//    QUITs, again (each acknowledged message is stored and fsynced).
// Every loop is bounded by the duration; the load average is printed, since the machine may be shared.
import net from 'node:net';
import { loadavg } from 'node:os';
import { SERVED_DOMAIN, SERVED_PASSWORD, startServed, type Served } from '../../test/support/served.js';

const SECONDS = Number(process.argv[2] ?? 10);
const CLIENTS = Number(process.argv[3] ?? 16);
const USERS = Array.from({ length: 8 }, (_, i) => `user${i}@${SERVED_DOMAIN}`);

/** One connection speaking a line protocol: send a line, wait for a line matching `until`. */
class LineClient {
  private buffer = '';
  private wake: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Waits for a line that matches; returns it. */
  async expect(until: RegExp): Promise<string> {
    for (;;) {
      const lines = this.buffer.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        if (until.test(lines[i]!)) {
          this.buffer = lines.slice(i + 1).join('\r\n');
          return lines[i]!;
        }
      }
      if (this.closed) throw new Error(`connection closed before ${until}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  send(text: string): void {
    this.socket.write(text);
  }

  end(): void {
    this.socket.destroy();
  }
}

async function imapLogin(port: number, user: string): Promise<void> {
  const c = await LineClient.connect(port);
  try {
    await c.expect(/^\* OK/);
    c.send(`a LOGIN ${user} "${SERVED_PASSWORD}"\r\n`);
    const done = await c.expect(/^a /);
    if (!done.startsWith('a OK')) throw new Error(`login refused: ${done}`);
    c.send('b LOGOUT\r\n');
    await c.expect(/^b /);
  } finally {
    c.end();
  }
}

async function smtpDelivery(port: number, to: string, n: number): Promise<void> {
  const c = await LineClient.connect(port);
  try {
    await c.expect(/^220 /);
    c.send('EHLO bench.test\r\n');
    await c.expect(/^250 /);
    c.send(`MAIL FROM:<bench@remote.test>\r\nRCPT TO:<${to}>\r\nDATA\r\n`);
    await c.expect(/^250 /);
    await c.expect(/^250 /);
    await c.expect(/^354 /);
    c.send(`From: bench@remote.test\r\nTo: ${to}\r\nSubject: bench ${n}\r\nMessage-ID: <bench-${n}-${process.pid}@remote.test>\r\n\r\nA small message.\r\n.\r\n`);
    const done = await c.expect(/^\d{3} /);
    if (!done.startsWith('250')) throw new Error(`message refused: ${done}`);
    c.send('QUIT\r\n');
    await c.expect(/^221 /);
  } finally {
    c.end();
  }
}

/** CLIENTS loops of `op` for SECONDS; operations per second. */
async function rate(op: (client: number, n: number) => Promise<void>): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  let n = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (Date.now() < end) {
        await op(client, ++n);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

async function measure(processes: number): Promise<{ logins: number; deliveries: number }> {
  // Level info, as in production (each login writes its audit line).
  const served: Served = await startServed({ processes, users: USERS, logLevel: 'info' });
  try {
    // Warm-up: every user's password verified once in every worker (each keeps its own cache of
    // verified passwords; round-robin spreads these rounds over them), the code paths compiled.
    for (let round = 0; round < processes * 2; round++) await Promise.all(USERS.map((u) => imapLogin(served.imapPort, u)));
    const logins = await rate((client) => imapLogin(served.imapPort, USERS[client % USERS.length]!));
    const deliveries = await rate((client, n) => smtpDelivery(served.smtpPort, USERS[client % USERS.length]!, n));
    served.child.kill('SIGTERM');
    await served.exited;
    return { logins, deliveries };
  } finally {
    await served.dispose();
  }
}

process.stdout.write(`${SECONDS} s per workload, ${CLIENTS} clients, load average before: ${loadavg()[0]!.toFixed(1)}\n`);
const results: Array<[number, { logins: number; deliveries: number }]> = [];
for (const processes of [1, 2]) {
  const r = await measure(processes);
  results.push([processes, r]);
  process.stdout.write(
    `server.processes=${processes}: IMAP logins ${r.logins.toFixed(0)}/s, SMTP deliveries ${r.deliveries.toFixed(0)}/s (load average ${loadavg()[0]!.toFixed(1)})\n`,
  );
}
const [one, two] = [results[0]![1], results[1]![1]];
process.stdout.write(`gain of the second process: logins x${(two.logins / one.logins).toFixed(2)}, deliveries x${(two.deliveries / one.deliveries).toFixed(2)}\n`);
