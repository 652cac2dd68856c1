// Sieve at delivery: deliveries per second to a user whose active script has 20 rules (header,
// address, envelope, :matches, relational and size tests; the message matches none until the last,
// which files it) vs a user without a script, over SMTP with local durable delivery (fsynced store).
// Rounds alternate between the two so a shared machine's noise hits both alike. Run:
// nice -n 10 node --import tsx bench/sieve/run.ts [seconds-per-round] [rounds]. Not part of the test suite.
import { startHarness, DOMAIN, type SmtpHarness } from '../../test/smtp/harness.js';
import { RawSmtpClient } from '../../test/smtp/raw-client.js';
import { compileSieve, executeSieve } from '../../src/sieve/index.js';
import { parseOriginalHeaders } from '../../src/delivery/vacation/screen.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 7);
const CONCURRENCY = 4;

const RULES = [
  'if header :contains "subject" "[acme-users]" { fileinto "lists/acme"; stop; }',
  'if header :contains "list-id" "announce.example.org" { fileinto "lists/announce"; stop; }',
  'if address :domain :is "from" "bank.example" { fileinto "money"; stop; }',
  'if address :is "from" ["boss@work.example", "ceo@work.example"] { addflag "\\\\Flagged"; }',
  'if header :matches "subject" "*invoice*#*" { fileinto "invoices"; stop; }',
  'if envelope :domain :is "from" "spam.example" { discard; stop; }',
  'if header :contains "x-spam-flag" "YES" { fileinto "Junk"; stop; }',
  'if size :over 5M { fileinto "big"; stop; }',
  'if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "10" { fileinto "Junk"; stop; }',
  'if exists "x-github-reason" { fileinto "github"; stop; }',
  'if header :contains "from" "noreply@social.example" { fileinto "social"; stop; }',
  'if anyof (header :contains "subject" "newsletter", header :contains "precedence" "bulk") { fileinto "news"; stop; }',
  'if address :localpart :matches "to" "*-owner" { fileinto "owners"; stop; }',
  'if header :is "x-mailer" "BulkMailer 3000" { discard; stop; }',
  'if not exists "date" { fileinto "suspicious"; stop; }',
  'if header :contains "subject" ["viagra", "lottery", "winner"] { fileinto "Junk"; stop; }',
  'if address :domain :contains "cc" "partners.example" { fileinto "partners"; stop; }',
  'if allof (header :contains "subject" "report", address :domain :is "from" "monitoring.example") { fileinto "reports"; stop; }',
  'if header :matches "list-id" "*<*.lists.example.net>" { fileinto "lists/other"; stop; }',
  'if header :contains "subject" "bench" { fileinto :create "bench"; stop; }',
];
export const SCRIPT = `require ["fileinto", "mailbox", "envelope", "relational", "comparator-i;ascii-numeric", "imap4flags"];\n${RULES.join('\n')}\n`;

const message = (to: string): string =>
  `From: Sender <sender@relay.example>\r\nTo: ${to}\r\nDate: Thu, 03 Dec 2026 17:00:00 +0000\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@relay.example>\r\nSubject: bench message\r\n\r\n${'x'.repeat(76)}\r\n`.padEnd(1024 - 5, 'y') + '\r\n.\r\n';

function expect(code: number, got: { code: number; text: string }): void {
  if (got.code !== code) throw new Error(`expected ${code}, got ${got.text}`);
}

async function round(h: SmtpHarness, to: string): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  const counts = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const { client } = await RawSmtpClient.connect(h.port);
      expect(250, await client.command('EHLO relay.example'));
      let n = 0;
      while (Date.now() < end) {
        expect(250, await client.command('MAIL FROM:<sender@relay.example>'));
        expect(250, await client.command(`RCPT TO:<${to}>`));
        expect(354, await client.command('DATA'));
        client.write(message(to));
        expect(250, await client.read());
        n++;
      }
      await client.command('QUIT');
      return n;
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return counts.reduce((a, b) => a + b, 0) / elapsed;
}

/**
 * CPU alone, free of I/O noise: microseconds per execution of the compiled script on the bench
 * message (what each delivery adds besides one script lookup), over many executions.
 */
async function cpuPerExecution(): Promise<number> {
  const compiled = compileSieve(SCRIPT);
  if (!compiled.ok) throw new Error(`bench script does not compile: ${compiled.errors[0]!.message}`);
  const bytes = Buffer.from(message(ALICE).slice(0, -3), 'utf8');
  const headers = parseOriginalHeaders(bytes);
  const run = () => executeSieve(compiled.script, { headers, size: bytes.length, envelope: { from: 'sender@relay.example', to: ALICE }, bytes: async () => bytes }, { now: new Date() });
  for (let i = 0; i < 500; i++) await run();
  const n = 5000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run();
  return Number(process.hrtime.bigint() - started) / 1e3 / n;
}

async function main(): Promise<void> {
  const h = await startHarness({ startWorker: false, config: { connectionLimit: 0, connectionLimitPerIP: 0, announce: 'never', maxMessageSize: 0 } });
  try {
    await h.store.ensureAccount(ALICE);
    await h.store.putSieveScript(ALICE, 'rules', SCRIPT);
    await h.store.setActiveSieveScript(ALICE, 'rules');
    console.log(`Sieve at delivery: ${ROUNDS} alternating rounds of ${SECONDS}s, c=${CONCURRENCY}, 1 KiB messages over SMTP, durable local delivery (node ${process.version})`);
    await round(h, BOB); // warm-up: JIT, store caches, the compiled script
    await round(h, ALICE);
    const none: number[] = [];
    const sieve: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      none.push(await round(h, BOB));
      sieve.push(await round(h, ALICE));
      console.log(`round ${i + 1}: no script ${none[i]!.toFixed(1)}/s, 20-rule script ${sieve[i]!.toFixed(1)}/s`);
    }
    // Medians: one round disturbed by another process on a shared machine does not move them.
    const median = (xs: number[]): number => {
      const s = [...xs].sort((x, y) => x - y);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const [a, b] = [median(none), median(sieve)];
    console.log(`no script:      ${a.toFixed(1)} deliveries/s (median)`);
    console.log(`20-rule script: ${b.toFixed(1)} deliveries/s (median; ${(((a - b) / a) * 100).toFixed(1)} % slower)`);
    const cpu = await cpuPerExecution();
    console.log(`script execution alone: ${cpu.toFixed(1)} µs per message (${((cpu / (1e6 / a)) * 100).toFixed(1)} % of one delivery at the no-script rate)`);
    const filed = await h.store.findMailboxByPath(ALICE, 'bench');
    if (!filed) throw new Error('the script did not file the messages: the benchmark measured the wrong thing');
  } finally {
    await h.close();
  }
}

await main();
