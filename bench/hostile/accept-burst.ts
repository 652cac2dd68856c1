// How much work the IMAP server does before it accepts a connection queued behind a burst of
// connects while it is busy with pipelining floods (bench, not a test): `node --import tsx
// bench/hostile/accept-burst.ts [--floods N] [--burst N] [--rounds N]`. The server runs in this
// process; the floods and bursts come from ./accept-burst-child.ts. For each round it prints, for the
// one connection made right behind the burst, the loop iterations and the server's CPU time (ms)
// until it was accepted, and the wall time to its greeting. libuv accepts one connection per busy
// loop iteration, so what matters is the work per iteration; CPU time, unlike wall time, does not
// depend on the machine's other load.
import { subscribe } from 'node:diagnostics_channel';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startImap } from '../../test/imap/harness.js';

const { values } = parseArgs({
  options: {
    floods: { type: 'string', default: '200' },
    burst: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '6' },
  },
});
const h = await startImap({ users: { 'owner@example.org': 'owner-password' }, config: { connectionLimit: 0, connectionLimitPerIP: 0 } });

let iterations = 0;
let counting = true;
const tick = (): void => {
  iterations++;
  if (counting) setImmediate(tick);
};
tick();
const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
/** When each connection was accepted, by the client's port. */
const accepted = new Map<number, { iterations: number; cpu: number }>();
subscribe('net.server.socket', (m) => {
  const port = (m as { socket: net.Socket }).socket.remotePort;
  if (port !== undefined) accepted.set(port, { iterations, cpu: cpuMs() });
});

const child = fork(fileURLToPath(new URL('./accept-burst-child.ts', import.meta.url)), [String(h.port), values.floods, values.burst], { execArgv: ['--import', 'tsx'] });
await once(child, 'message');
console.log(`accept behind a burst: ${values.floods} connections pipelining NOOP, bursts of ${values.burst} connects`);
const rows: Array<{ iterations: number; cpu: number; wall: number }> = [];
for (let round = 0; round < Number(values.rounds); round++) {
  child.send('burst');
  await once(child, 'message');
  const i0 = iterations;
  const c0 = cpuMs();
  const t0 = performance.now();
  const s = net.connect(h.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    s.once('data', () => resolve());
    s.once('error', reject);
  });
  const a = accepted.get(s.localPort ?? -1);
  const row = { iterations: a ? a.iterations - i0 : NaN, cpu: a ? a.cpu - c0 : NaN, wall: performance.now() - t0 };
  rows.push(row);
  console.log(`  round ${round + 1}: accepted after ${row.iterations} loop iterations, ${row.cpu.toFixed(0)} ms of server CPU; greeting after ${row.wall.toFixed(0)} ms`);
  s.destroy();
  child.send('clear');
  await once(child, 'message');
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
console.log(`median: ${median(rows.map((r) => r.cpu)).toFixed(0)} ms of server CPU, ${median(rows.map((r) => r.wall)).toFixed(0)} ms to the greeting`);
counting = false;
child.send('exit');
await once(child, 'exit');
await h.close();
