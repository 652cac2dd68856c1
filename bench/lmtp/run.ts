// LMTP vs SMTP MX: the same 1 KiB message to the same local recipients (1 and 2 per message), over
// one reused connection per client at 1 and 8 concurrent clients, local durable delivery (fsynced
// store) on both. LMTP replies once per recipient after the data, SMTP once. Run:
// nice -n 10 node --import tsx bench/lmtp/run.ts [seconds-per-case]. Not part of the test suite.
import { startHarness, DOMAIN, type SmtpHarness } from '../../test/smtp/harness.js';
import { RawSmtpClient } from '../../test/smtp/raw-client.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const SECONDS = Number(process.argv[2] ?? 5);
const BODY = `From: sender@relay.example\r\nTo: ${BOB}\r\nSubject: bench\r\n\r\n${'x'.repeat(76)}\r\n`.padEnd(1024 - 5, 'y') + '\r\n.\r\n';

function expect(code: number, got: { code: number; text: string }): void {
  if (got.code !== code) throw new Error(`expected ${code}, got ${got.text}`);
}

/** One transaction; LMTP reads one reply per recipient after the data, SMTP one. */
async function oneMessage(c: RawSmtpClient, recipients: string[], lmtp: boolean): Promise<void> {
  expect(250, await c.command('MAIL FROM:<sender@relay.example>'));
  for (const r of recipients) expect(250, await c.command(`RCPT TO:<${r}>`));
  expect(354, await c.command('DATA'));
  c.write(BODY);
  for (let i = 0; i < (lmtp ? recipients.length : 1); i++) expect(250, await c.read());
}

async function measure(label: string, h: SmtpHarness, lmtp: boolean, recipients: string[], concurrency: number): Promise<void> {
  const end = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  const counts = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const { client } = await RawSmtpClient.connect(h.port);
      expect(250, await client.command(`${lmtp ? 'LHLO' : 'EHLO'} relay.example`));
      let n = 0;
      while (Date.now() < end) {
        await oneMessage(client, recipients, lmtp);
        n++;
      }
      await client.command('QUIT');
      return n;
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const messages = counts.reduce((a, b) => a + b, 0);
  const deliveries = messages * recipients.length;
  console.log(
    `${label.padEnd(6)} rcpt=${recipients.length} c=${String(concurrency).padStart(2)}  ${String(messages).padStart(6)} msgs  ${(deliveries / elapsed).toFixed(1).padStart(8)} deliveries/s`,
  );
}

async function main(): Promise<void> {
  const common = { startWorker: false, config: { connectionLimit: 0, connectionLimitPerIP: 0, announce: 'never' as const, maxMessageSize: 0 } };
  const smtp = await startHarness(common);
  const lmtp = await startHarness({ ...common, config: { ...common.config, lmtp: true as const, verifyIdentity: 'disabled' as const, disabledCommands: ['AUTH', 'STARTTLS'] } });
  try {
    console.log(`LMTP vs SMTP MX: ${SECONDS}s per case, 1 KiB messages, reused connections, local durable delivery (node ${process.version})`);
    for (const recipients of [[ALICE], [ALICE, BOB]]) {
      for (const concurrency of [1, 8]) {
        await measure('SMTP', smtp, false, recipients, concurrency);
        await measure('LMTP', lmtp, true, recipients, concurrency);
      }
    }
  } finally {
    await lmtp.close();
    await smtp.close();
  }
}

await main();
