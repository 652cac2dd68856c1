// SMTP throughput: connect → EHLO → AUTH (PLAIN, or OAUTHBEARER with a provider JWT) → one 1 KiB
// message → QUIT, with local durable delivery (fsynced store), at 1, 8 and 32 concurrent clients; and
// the same messages over one reused, authenticated connection. Run: node --import tsx bench/smtp/run.ts
// [seconds-per-case]. Not part of the test suite; prints figures only.
import { startHarness, DOMAIN, USERS, type SmtpHarness } from '../../test/smtp/harness.js';
import { RawSmtpClient } from '../../test/smtp/raw-client.js';
import { startTestIdp } from '../../test/support/oidc-provider.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const SECONDS = Number(process.argv[2] ?? 5);
const BODY = `From: ${ALICE}\r\nTo: ${BOB}\r\nSubject: bench\r\n\r\n${'x'.repeat(76)}\r\n`.padEnd(1024 - 5, 'y') + '\r\n.\r\n';

type AuthLine = () => string;

function expect(code: number, got: { code: number; text: string }): void {
  if (got.code !== code) throw new Error(`expected ${code}, got ${got.text}`);
}

async function oneMessage(c: RawSmtpClient): Promise<void> {
  expect(250, await c.command(`MAIL FROM:<${ALICE}>`));
  expect(250, await c.command(`RCPT TO:<${BOB}>`));
  expect(354, await c.command('DATA'));
  c.write(BODY);
  expect(250, await c.read());
}

async function fullSession(port: number, auth: AuthLine): Promise<void> {
  const { client } = await RawSmtpClient.connect(port);
  expect(250, await client.command('EHLO bench.example'));
  expect(235, await client.command(auth()));
  await oneMessage(client);
  expect(221, await client.command('QUIT'));
  await client.closed;
}

async function measure(label: string, concurrency: number, work: (stop: () => boolean) => Promise<number>): Promise<void> {
  const end = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  const counts = await Promise.all(Array.from({ length: concurrency }, () => work(() => Date.now() >= end)));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const total = counts.reduce((a, b) => a + b, 0);
  console.log(`${label.padEnd(34)} c=${String(concurrency).padStart(2)}  ${String(total).padStart(6)} msgs  ${(total / elapsed).toFixed(1).padStart(8)} msg/s`);
}

async function main(): Promise<void> {
  const idp = await startTestIdp({ users: [{ email: ALICE }] });
  let h: SmtpHarness | undefined;
  try {
    // Bench defaults: no throttling interference, large limits.
    h = await startHarness({ startWorker: false, auth: { oidc: idp.oidcConfig() }, config: { connectionLimit: 0, connectionLimitPerIP: 0 } });
    const port = h.port;
    const token = await idp.accessToken(ALICE);
    const plain: AuthLine = () => `AUTH PLAIN ${Buffer.from(`\0${ALICE}\0${USERS[ALICE]}`).toString('base64')}`;
    const bearer: AuthLine = () =>
      `AUTH OAUTHBEARER ${Buffer.from(`n,a=${ALICE},\x01host=127.0.0.1\x01port=${port}\x01auth=Bearer ${token}\x01\x01`).toString('base64')}`;
    console.log(`SMTP benchmark: ${SECONDS}s per case, 1 KiB messages, local durable delivery (node ${process.version})`);
    for (const [name, auth] of [['connect+EHLO+AUTH PLAIN+msg+QUIT', plain], ['connect+EHLO+AUTH OAUTHBEARER+msg+QUIT', bearer]] as const) {
      for (const concurrency of [1, 8, 32]) {
        await measure(name, concurrency, async (stop) => {
          let n = 0;
          while (!stop()) {
            await fullSession(port, auth);
            n++;
          }
          return n;
        });
      }
    }
    for (const concurrency of [1, 8, 32]) {
      await measure('reused connection (AUTH once)', concurrency, async (stop) => {
        const { client } = await RawSmtpClient.connect(port);
        expect(250, await client.command('EHLO bench.example'));
        expect(235, await client.command(bearer()));
        let n = 0;
        while (!stop()) {
          await oneMessage(client);
          n++;
        }
        await client.command('QUIT');
        return n;
      });
    }
  } finally {
    await h?.close();
    await idp.close();
  }
}

await main();
