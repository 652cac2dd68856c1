// Server memory while clients FETCH a big message (issue #19: message bytes are streamed from the
// store, never held whole). The IMAP server runs alone in its own process (./server-child.ts); one
// --size MiB message is appended, then --clients connections FETCH BODY.PEEK[] of it at once, --rounds
// times, reading as fast as they can. Printed: the server's RSS, heap and external memory after a full
// GC before, the highest figures sampled while the fetches ran (no GC), and after a full GC again.
//   node --import tsx bench/imap/fetch-memory.ts [--size=20] [--clients=8] [--rounds=3]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import net from 'node:net';

const { values: flags } = parseArgs({
  options: {
    size: { type: 'string', default: '20' },
    clients: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
  },
});
const SIZE = Number(flags.size) * 1024 * 1024;
const CLIENTS = Number(flags.clients);
const ROUNDS = Number(flags.rounds);

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
}

const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx', '--expose-gc'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const info = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
/** The server's memory; `gc`: after a full collection (what it keeps), else as it is now. */
const mem = (gc: boolean): Promise<Mem> =>
  new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Mem));
    child.send(gc ? 'mem' : 'sample');
  });

/** An IMAP connection that counts the bytes it reads until a tagged reply ends the command. */
class Client {
  private buffered = '';
  private waiter: { tag: string; resolve: () => void } | undefined;
  bytes = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.bytes += d.length;
      // Only the tail can hold the tagged reply; literal bytes are not kept.
      this.buffered = (this.buffered + d.toString('latin1')).slice(-8192);
      const w = this.waiter;
      if (w && new RegExp(`(^|\\r\\n)${w.tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n$`).test(this.buffered)) {
        this.waiter = undefined;
        this.buffered = '';
        w.resolve();
      }
    });
  }

  static async open(port: number, user: string): Promise<Client> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new Client(socket);
    await c.command('l', `LOGIN ${user} pw`);
    await c.command('s', 'SELECT INBOX');
    return c;
  }

  command(tag: string, text: string | Buffer, literal?: Buffer): Promise<void> {
    const done = new Promise<void>((resolve) => (this.waiter = { tag, resolve }));
    this.socket.write(typeof text === 'string' ? `${tag} ${text}\r\n` : text);
    if (literal) this.socket.write(Buffer.concat([literal, Buffer.from('\r\n')]));
    return done;
  }

  close(): void {
    this.socket.destroy();
  }
}

const body = Buffer.alloc(SIZE, 'All work and no play makes Jack a dull boy.\r\n');
const message = Buffer.concat([Buffer.from('From: a@example.org\r\nSubject: big\r\n\r\n'), body]);
const owner = await Client.open(info.port, 'bench0@example.org');
await owner.command('a', Buffer.from(`a APPEND INBOX {${message.length}+}\r\n`), message);
const clients: Client[] = [];
for (let i = 0; i < CLIENTS; i++) clients.push(await Client.open(info.port, 'bench0@example.org'));

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const show = (m: Mem): string => `rss ${mb(m.rss)}  heap ${mb(m.heapUsed)}  external ${mb(m.external)}`;
const before = await mem(true);
const peak: Mem = { rss: 0, heapUsed: 0, external: 0 };
let running = true;
const sampler = (async () => {
  while (running) {
    const m = await mem(false);
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  }
})();
const started = process.hrtime.bigint();
for (let r = 0; r < ROUNDS; r++) await Promise.all(clients.map((c, i) => c.command(`f${r}_${i}`, 'FETCH 1 (BODY.PEEK[])')));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
running = false;
await sampler;
const after = await mem(true);
const fetched = clients.reduce((n, c) => n + c.bytes, 0);
process.stdout.write(
  `bench/imap/fetch-memory: ${CLIENTS} clients × ${ROUNDS} rounds FETCH BODY.PEEK[] of a ${mb(message.length)} message, node ${process.version}\n` +
    `  before (full GC): ${show(before)}\n` +
    `  peak during:      ${show(peak)}  (growth: rss ${mb(peak.rss - before.rss)}, heap ${mb(peak.heapUsed - before.heapUsed)}, external ${mb(peak.external - before.external)})\n` +
    `  after (full GC):  ${show(after)}\n` +
    `  ${mb(fetched)} sent in ${seconds.toFixed(2)} s (${mb(fetched / seconds)}/s)\n`,
);
for (const c of [owner, ...clients]) c.close();
child.send('stop');
