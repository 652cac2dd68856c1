// What one small acknowledged submission costs the disk and the CPU: 8 clients, each on its own
// authenticated connection, send 1 KiB messages to a local user (durable delivery into the SQLite
// store) for N seconds; prints messages/s, p50 and p99 latency from the end of DATA to the 250, and
// server-process CPU per message. Fsyncs per message are counted from outside, since SQLite syncs
// from its own code:
//   strace -f -qq -c -e trace=fsync,fdatasync node --import tsx bench/smtp/fsync-per-message.ts [seconds]
// then divide the calls by the messages printed. Not part of the test suite; prints figures only.
import { startHarness, DOMAIN, USERS } from '../../test/smtp/harness.js';
import { RawSmtpClient } from '../../test/smtp/raw-client.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const SECONDS = Number(process.argv[2] ?? 5);
const CLIENTS = 8;
const BODY = `From: ${ALICE}\r\nTo: ${BOB}\r\nSubject: bench\r\n\r\n${'x'.repeat(76)}\r\n`.padEnd(1024 - 5, 'y') + '\r\n.\r\n';

function expect(code: number, got: { code: number; text: string }): void {
  if (got.code !== code) throw new Error(`expected ${code}, got ${got.text}`);
}

async function client(port: number, stop: () => boolean, latencies: number[]): Promise<void> {
  const { client: c } = await RawSmtpClient.connect(port);
  expect(250, await c.command('EHLO bench.example'));
  expect(235, await c.command(`AUTH PLAIN ${Buffer.from(`\0${ALICE}\0${USERS[ALICE]}`).toString('base64')}`));
  while (!stop()) {
    expect(250, await c.command(`MAIL FROM:<${ALICE}>`));
    expect(250, await c.command(`RCPT TO:<${BOB}>`));
    expect(354, await c.command('DATA'));
    const t0 = process.hrtime.bigint();
    c.write(BODY);
    expect(250, await c.read());
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await c.command('QUIT');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

const h = await startHarness({ startWorker: false, config: { connectionLimit: 0, connectionLimitPerIP: 0 } });
try {
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CLIENTS }, () => client(h.port, () => Date.now() >= end, latencies)));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const n = latencies.length;
  latencies.sort((a, b) => a - b);
  // Client and server share the process: the CPU figure includes the clients' (small) share.
  console.log(
    `${n} messages in ${elapsed.toFixed(1)} s at ${CLIENTS} clients: ${(n / elapsed).toFixed(1)} msg/s, ` +
      `p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ` +
      `CPU ${((cpu.user + cpu.system) / n).toFixed(0)} µs/message (process, clients included)`,
  );
} finally {
  await h.close();
}
