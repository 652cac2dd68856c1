// Hostile SMTP clients (issue #15 §1): N MX sessions each send a large DATA slowly, while a
// legitimate client sends a small message every second. Prints the server's RSS growth over its idle
// baseline and the legitimate session's latency (connect → 250 after DATA → QUIT), per second and in
// a summary. The server runs in a child process. Not part of the test suite.
//
//   node --import tsx bench/hostile/smtp-data.ts [--sessions 200] [--size-mb 40] [--seconds 60]
//        [--per-ip-limit 0]
// The server's own defaults allow 50 sessions per address; the bench lifts that (0) by default so
// the attack reaches the spool, where the memory bound is decided. --per-ip-limit 50 shows the default.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RawSmtpClient } from '../../test/smtp/raw-client.js';
import { DOMAIN } from '../../test/smtp/harness.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '200' },
    'size-mb': { type: 'string', default: '40' },
    seconds: { type: 'string', default: '60' },
    'per-ip-limit': { type: 'string', default: '0' },
  },
});
const SESSIONS = Number(values.sessions);
const SIZE = Math.round(Number(values['size-mb']) * 1024 * 1024);
const SECONDS = Number(values.seconds);
const PIECE = 64 * 1024;
const BOB = `bob@${DOMAIN}`;

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  sessions: number;
  bufferedBytes: number;
  peakSessionBytes: number;
}

const child = fork(fileURLToPath(new URL('./smtp-server-child.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, HOSTILE_MAX_MESSAGE: String(SIZE + 1024 * 1024), HOSTILE_PER_IP_LIMIT: values['per-ip-limit'] },
});
const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
const mem = (): Promise<Mem> =>
  new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Mem));
    child.send('mem');
  });
const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);

/** One piece of message text: 64 KiB of 78-byte lines, the same for every session. */
const piece = Buffer.from(`${'x'.repeat(76)}\r\n`.repeat(Math.ceil(PIECE / 78)).slice(0, PIECE - (PIECE % 78)), 'latin1');

async function expect(code: number, c: RawSmtpClient, line?: string): Promise<void> {
  const r = line === undefined ? await c.read() : await c.command(line);
  if (r.code !== code) throw new Error(`expected ${code} to ${line ?? 'message'}, got ${r.text}`);
}

/** One attacker: a transaction whose DATA trickles in over SECONDS. Resolves with the final reply code. */
async function attacker(stop: { refused: number }): Promise<number> {
  const { client: c, greeting } = await RawSmtpClient.connect(port);
  if (greeting.code !== 220) {
    stop.refused++;
    c.close();
    return greeting.code;
  }
  await expect(250, c, 'EHLO attacker.example');
  await expect(250, c, 'MAIL FROM:<a@attacker.example>');
  await expect(250, c, `RCPT TO:<${BOB}>`);
  await expect(354, c, 'DATA');
  await c.send(`Subject: hostile\r\n\r\n`);
  const pieces = Math.max(1, Math.floor(SIZE / piece.length));
  const start = Date.now();
  for (let i = 0; i < pieces; i++) {
    await c.send(piece);
    // Pace: piece i is due at start + i/pieces of the duration.
    const due = start + ((i + 1) / pieces) * SECONDS * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  c.write('.\r\n');
  const r = await c.read();
  c.close();
  return r.code;
}

/** A legitimate client: one small message; resolves with its latency in ms. */
async function legitimate(): Promise<number> {
  const t0 = performance.now();
  const { client: c } = await RawSmtpClient.connect(port);
  await expect(250, c, 'EHLO friend.example');
  await expect(250, c, 'MAIL FROM:<friend@example.org>');
  await expect(250, c, `RCPT TO:<${BOB}>`);
  await expect(354, c, 'DATA');
  await expect(250, c, 'Subject: hello\r\n\r\nhi\r\n.');
  await expect(221, c, 'QUIT');
  const ms = performance.now() - t0;
  c.close();
  return ms;
}

const base = await mem();
console.log(`SMTP DATA attack: ${SESSIONS} sessions × ${mb(SIZE)} MB over ${SECONDS} s (per-IP limit ${values['per-ip-limit'] === '0' ? 'off' : values['per-ip-limit']}); server idle RSS ${mb(base.rss)} MB`);
const stop = { refused: 0 };
let running = true;
const attack = Promise.all(Array.from({ length: SESSIONS }, () => attacker(stop).catch(() => -1))).finally(() => {
  running = false;
});
let maxGrowth = 0;
let maxBuffered = 0;
const latencies: number[] = [];
const t0 = Date.now();
while (running) {
  const ms = await legitimate();
  latencies.push(ms);
  const m = await mem();
  maxGrowth = Math.max(maxGrowth, m.rss - base.rss);
  maxBuffered = Math.max(maxBuffered, m.bufferedBytes);
  console.log(
    `t=${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}s  rss +${mb(m.rss - base.rss).padStart(6)} MB  heap +${mb(m.heapUsed - base.heapUsed).padStart(6)} MB  external +${mb(m.external - base.external).padStart(6)} MB  sessions ${String(m.sessions).padStart(4)}  buffered ${mb(m.bufferedBytes).padStart(6)} MB  legit ${ms.toFixed(1).padStart(7)} ms`,
  );
  await Promise.race([attack, new Promise((r) => setTimeout(r, 1000))]);
}
const codes = await attack;
const after = await mem();
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
const tally = new Map<number, number>();
for (const c of codes) tally.set(c, (tally.get(c) ?? 0) + 1);
console.log(`replies to the attack: ${[...tally].map(([code, n]) => `${code === -1 ? 'error' : code}×${n}`).join(', ')}${stop.refused ? ` (${stop.refused} refused at connect)` : ''}`);
console.log(`server RSS growth: max +${mb(maxGrowth)} MB during the attack, +${mb(after.rss - base.rss)} MB after; all sessions' buffers max ${mb(maxBuffered)} MB; one session's peak ${(after.peakSessionBytes / 1024).toFixed(0)} KiB`);
console.log(`legitimate session latency: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms over ${latencies.length} sessions`);
child.send('stop');
