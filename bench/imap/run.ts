// IMAP benchmark (not part of the test suite): `node --import tsx bench/imap/run.ts`.
// Prints logins/s (connect → AUTHENTICATE with SASL-IR → SELECT INBOX → LOGOUT) at 1, 8 and 32
// clients for PLAIN and OAUTHBEARER, server memory per authenticated IDLE connection at N=2000,
// and a mixed FETCH/STORE/SEARCH/APPEND/EXPUNGE workload. The server runs in a child process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const IDLE_N = Number(process.env.BENCH_IDLE ?? 2000);

interface ChildInfo {
  port: number;
  tokens: Record<string, string>;
}
interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
}

const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx', '--expose-gc'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const info = await new Promise<ChildInfo>((resolve) => child.once('message', (m) => resolve(m as ChildInfo)));
const mem = (): Promise<Mem> =>
  new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Mem));
    child.send('mem');
  });

/** A minimal line client: sends a command, resolves at its tagged reply. */
class Conn {
  private buf = '';
  private waiting?: { tag: string; resolve: (line: string) => void };
  private onGreeting?: () => void;
  private greeted = false;
  readonly socket: net.Socket;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        if (!this.greeted) {
          this.greeted = true;
          this.onGreeting?.();
        } else if (this.waiting && line.startsWith(this.waiting.tag + ' ')) {
          const w = this.waiting;
          this.waiting = undefined;
          w.resolve(line);
        } else if (this.waiting?.tag === '+' && line.startsWith('+')) {
          const w = this.waiting;
          this.waiting = undefined;
          w.resolve(line);
        }
      }
    });
    this.socket.on('error', () => undefined);
  }
  ready(): Promise<void> {
    return this.greeted ? Promise.resolve() : new Promise((r) => (this.onGreeting = r));
  }
  cmd(tag: string, text: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = { tag, resolve };
      this.socket.write(`${tag} ${text}\r\n`);
    });
  }
  /** Sends `tag IDLE` and resolves at the `+` continuation. */
  idle(tag: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = { tag: '+', resolve };
      this.socket.write(`${tag} IDLE\r\n`);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

const users = Object.keys(info.tokens);
const plainIR = (u: string): string => Buffer.from(`\0${u}\0pw`).toString('base64');
const bearerIR = (u: string): string => Buffer.from(`n,a=${u},\x01auth=Bearer ${info.tokens[u]}\x01\x01`).toString('base64');

async function loginLoop(clients: number, mech: 'PLAIN' | 'OAUTHBEARER'): Promise<number> {
  return (await loginLoopFor(clients, mech, DURATION_MS)) / (DURATION_MS / 1000);
}

async function loginLoopFor(clients: number, mech: 'PLAIN' | 'OAUTHBEARER', ms: number): Promise<number> {
  let done = 0;
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const u = users[i % users.length]!;
      const ir = mech === 'PLAIN' ? plainIR(u) : bearerIR(u);
      while (Date.now() < until) {
        const c = new Conn(info.port);
        await c.ready();
        const a = await c.cmd('a', `AUTHENTICATE ${mech} ${ir}`);
        if (!a.startsWith('a OK')) throw new Error(`login failed: ${a}`);
        await c.cmd('b', 'SELECT INBOX');
        await c.cmd('c', 'LOGOUT');
        c.close();
        done++;
      }
    }),
  );
  return done;
}

async function idleMemory(n: number): Promise<{ perConn: number; rssPerConn: number }> {
  // Warm up (JIT, store statements, account creation) so the baseline is steady.
  await loginLoopFor(8, 'PLAIN', 1000);
  await new Promise((r) => setTimeout(r, 1000));
  const before = await mem();
  const conns: Conn[] = [];
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, async (_, k) => {
        const c = new Conn(info.port);
        await c.ready();
        const u = users[(i + k) % users.length]!;
        await c.cmd('a', `AUTHENTICATE PLAIN ${plainIR(u)}`);
        await c.cmd('b', 'SELECT INBOX');
        await c.idle('i');
        conns.push(c);
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 500));
  const after = await mem();
  for (const c of conns) c.close();
  await new Promise((r) => setTimeout(r, 500));
  return { perConn: (after.heapUsed + after.external - before.heapUsed - before.external) / n, rssPerConn: (after.rss - before.rss) / n };
}

async function mixed(clients: number): Promise<number> {
  let ops = 0;
  const until = Date.now() + DURATION_MS;
  const msg = 'From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\nhello world\r\n';
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const u = users[32 + (i % 32)] ?? users[i % users.length]!;
      const c = new Conn(info.port);
      await c.ready();
      await c.cmd('a', `AUTHENTICATE PLAIN ${plainIR(u)}`);
      await c.cmd('b', 'SELECT INBOX');
      let n = 0;
      while (Date.now() < until) {
        const step = n++ % 5;
        if (step === 0) await c.cmd('t', `APPEND INBOX {${msg.length}+}\r\n${msg}`);
        else if (step === 1) await c.cmd('t', 'FETCH 1:* (FLAGS UID ENVELOPE)');
        else if (step === 2) await c.cmd('t', 'STORE 1:* +FLAGS (\\Seen)');
        else if (step === 3) await c.cmd('t', 'SEARCH UNSEEN SUBJECT bench');
        else await c.cmd('t', 'UID STORE 1:* +FLAGS.SILENT (\\Deleted)').then(() => c.cmd('u', 'EXPUNGE'));
        ops++;
      }
      await c.cmd('z', 'LOGOUT');
      c.close();
    }),
  );
  return ops / (DURATION_MS / 1000);
}

const fmt = (n: number): string => n.toFixed(1);
const m = await idleMemory(IDLE_N);
console.log(`memory per authenticated IDLE connection (N=${IDLE_N}): heap+external ${fmt(m.perConn / 1024)} kB, rss ${fmt(m.rssPerConn / 1024)} kB`);
for (const mech of ['PLAIN', 'OAUTHBEARER'] as const) {
  for (const n of [1, 8, 32]) console.log(`logins/s ${mech.padEnd(11)} clients=${String(n).padStart(2)}: ${fmt(await loginLoop(n, mech))}`);
}
for (const n of [1, 8]) console.log(`mixed FETCH/STORE/SEARCH/APPEND/EXPUNGE ops/s clients=${n}: ${fmt(await mixed(n))}`);
child.send('stop');
