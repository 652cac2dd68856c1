// Message-model benchmark (not part of the test suite): how fast the servers turn stored messages
// into IMAP ENVELOPE + BODYSTRUCTURE and JMAP Email/get bodies, on one account of N messages of
// varied structure (see messages.ts), over real sockets.
//
//   node --import tsx bench/message-model/run.ts [--messages 2000] [--rounds 5] [--window 1.5]
//
// Measures
//   IMAP `UID FETCH 1:* (ENVELOPE BODYSTRUCTURE)`: the first (cold) round, then the median of
//        --rounds rounds, as messages/s;
//   IMAP `FETCH n (ENVELOPE BODYSTRUCTURE)` for n = 1, 2, … in a loop, one client: requests/s;
//   JMAP `Email/get` of 50 ids (from, to, cc, subject, sentAt, preview, bodyStructure, textBody,
//        htmlBody, attachments, hasAttachment, keywords, mailboxIds) at 1 and 4 clients:
//        requests/s and emails/s.
// Loops run --rounds windows of --window seconds each and report the median window. Every row also
// shows the server process's CPU time per message, the steadier figure on a shared machine. It only uses
// interfaces meant to outlive refactors (the test harnesses that start the servers, the store's
// append API, IMAP and JMAP over sockets), so the same script gives "before" and "after" figures.
// The response sizes and the IMAP response digest are printed to show whether the output changed.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ImapClient } from '../support/imap-client.js';
import { JmapClient } from './jmap-client.js';
import type { ChildReady } from './server-child.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const MESSAGES = arg('messages', 2000);
const ROUNDS = arg('rounds', 5);
const WINDOW_MS = arg('window', 1.5) * 1000;
const BATCH = 50;
const PROPERTIES = ['from', 'to', 'cc', 'subject', 'sentAt', 'preview', 'bodyStructure', 'textBody', 'htmlBody', 'attachments', 'hasAttachment', 'keywords', 'mailboxIds'];
/** A word no message contains: a text search for it waits for the full-text indexer to catch up. */
const PROBE = 'indexcatchupprobe';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface Row {
  what: string;
  clients: number;
  reqPerSec: number;
  msgPerSec: number;
  p50: number;
  p99: number;
  /** Server CPU time (user + system, all threads) per message served, µs. */
  cpuPerMsg: number;
  spread: string;
}

interface WindowResult {
  requests: number;
  messages: number;
  latencies: number[];
  ms: number;
}

/** Runs `clients` loops of `once` for WINDOW_MS, ROUNDS times; the row shows the median window. */
async function windows(what: string, clients: number, once: (client: number) => Promise<number>): Promise<Row> {
  const results: WindowResult[] = [];
  const cpu0 = await serverCpu();
  for (let round = 0; round < ROUNDS; round++) {
    const r: WindowResult = { requests: 0, messages: 0, latencies: [], ms: 0 };
    const start = performance.now();
    const until = start + WINDOW_MS;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        while (performance.now() < until) {
          const s = performance.now();
          const served = await once(c);
          r.messages += served;
          r.latencies.push(performance.now() - s);
          r.requests++;
        }
      }),
    );
    r.ms = performance.now() - start;
    results.push(r);
  }
  const cpu = (await serverCpu()) - cpu0;
  const rates = results.map((r) => (r.requests / r.ms) * 1000);
  const all = results.flatMap((r) => r.latencies);
  return {
    what,
    clients,
    reqPerSec: median(rates),
    msgPerSec: median(results.map((r) => (r.messages / r.ms) * 1000)),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    cpuPerMsg: cpu / results.reduce((sum, r) => sum + r.messages, 0),
    spread: `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))} req/s`,
  };
}

const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [String(MESSAGES)], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
const info = await Promise.race([
  new Promise<ChildReady>((resolve) => child.once('message', (m) => resolve(m as ChildReady))),
  exited.then((code) => Promise.reject(new Error(`server process exited (${code}) before it was ready`))),
]);
/** The server process's CPU time so far, µs. */
function serverCpu(): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { cpuMicros: number }).cpuMicros));
    child.send('cpu');
  });
}

console.log(
  `message-model bench: ${info.messages} messages, ${(info.bytes / 1e6).toFixed(1)} MB, ` +
    `appended to the IMAP store and to the JMAP store (2 × ${info.messages}, appendMany) in ${(info.fillMs / 1000).toFixed(1)} s`,
);

const rows: Row[] = [];
const notes: string[] = [];
const imap = await ImapClient.connect(info.imapPort);
try {
  await imap.command(`LOGIN "${info.user}" "${info.password}"`);
  const selected = await imap.command('SELECT INBOX', { keepLines: true });
  const exists = Number(selected.untagged.map((l) => /^\* (\d+) EXISTS/.exec(l)?.[1]).find((n) => n !== undefined));
  if (exists !== info.messages) throw new Error(`INBOX has ${exists} messages, expected ${info.messages}`);

  const jmap = await JmapClient.connect(info.jmapUrl, info.user, info.password);
  const ids: string[] = [];
  while (ids.length < info.messages) {
    const { responses } = await jmap.call([
      ['Email/query', { accountId: jmap.accountId, sort: [{ property: 'receivedAt', isAscending: true }], position: ids.length, limit: 500 }, 'q'],
    ]);
    const page = (responses[0]![1].ids as string[] | undefined) ?? [];
    if (page.length === 0) break;
    ids.push(...page);
  }
  if (ids.length !== info.messages) throw new Error(`Email/query found ${ids.length} messages, expected ${info.messages}`);

  // Both stores index in the background after the bulk fill; wait for them so no indexer competes
  // with the measurements.
  let t = performance.now();
  await imap.command(`SEARCH BODY ${PROBE}`);
  await jmap.call([['Email/query', { accountId: jmap.accountId, filter: { body: PROBE } }, 'p']]);
  console.log(`full-text indexes caught up in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // IMAP: the whole mailbox in one command.
  const roundMs: number[] = [];
  let cold = 0;
  let coldCpu = 0;
  let warmCpu = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const cpu0 = await serverCpu();
    t = performance.now();
    const r = await imap.command('UID FETCH 1:* (ENVELOPE BODYSTRUCTURE)', { digest: round === 0 });
    const ms = performance.now() - t;
    const cpu = (await serverCpu()) - cpu0;
    if (round === 0) coldCpu = cpu;
    else warmCpu += cpu;
    if (r.fetches !== info.messages) throw new Error(`UID FETCH 1:* returned ${r.fetches} messages, expected ${info.messages}`);
    if (round === 0) {
      cold = ms;
      notes.push(`IMAP UID FETCH 1:* response: ${(r.bytes / 1e6).toFixed(2)} MB, sha256 ${r.digest!.slice(0, 16)}`);
    } else roundMs.push(ms);
  }
  rows.push({ what: 'IMAP UID FETCH 1:* (ENVELOPE BODYSTRUCTURE), first round', clients: 1, reqPerSec: 1000 / cold, msgPerSec: (info.messages / cold) * 1000, p50: cold, p99: cold, cpuPerMsg: coldCpu / info.messages, spread: 'cold' });
  const rates = roundMs.map((ms) => (info.messages / ms) * 1000);
  rows.push({
    what: `IMAP UID FETCH 1:* (ENVELOPE BODYSTRUCTURE), median of ${ROUNDS}`,
    clients: 1,
    reqPerSec: 1000 / median(roundMs),
    msgPerSec: median(rates),
    p50: median(roundMs),
    p99: Math.max(...roundMs),
    cpuPerMsg: warmCpu / (ROUNDS * info.messages),
    spread: `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))} msg/s`,
  });

  // IMAP: one message per command, walking the mailbox.
  let seq = 0;
  let perMessageBytes = 0;
  let perMessageCount = 0;
  rows.push(
    await windows('IMAP FETCH n (ENVELOPE BODYSTRUCTURE), n = 1, 2, …', 1, async () => {
      seq = (seq % info.messages) + 1;
      const r = await imap.command(`FETCH ${seq} (ENVELOPE BODYSTRUCTURE)`);
      if (r.fetches !== 1) throw new Error(`FETCH ${seq} returned ${r.fetches} responses`);
      perMessageBytes += r.bytes;
      perMessageCount++;
      return 1;
    }),
  );
  notes.push(`IMAP FETCH n response: ${Math.round(perMessageBytes / perMessageCount)} bytes on average`);

  // JMAP: Email/get of consecutive batches of 50, clients taking the next batch in turn.
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH) batches.push(ids.slice(i, i + BATCH));
  let nextBatch = 0;
  let jmapBytes = 0;
  let jmapRequests = 0;
  const getBatch = async (): Promise<number> => {
    const batch = batches[nextBatch++ % batches.length]!;
    const { responses, bytes } = await jmap.call([['Email/get', { accountId: jmap.accountId, ids: batch, properties: PROPERTIES }, 'g']]);
    const args = responses[0]![1] as { list: unknown[]; notFound: unknown[] };
    if (args.list.length !== batch.length || args.notFound.length) throw new Error(`Email/get returned ${args.list.length} of ${batch.length}`);
    jmapBytes += bytes;
    jmapRequests++;
    return args.list.length;
  };
  for (let i = 0; i < batches.length; i++) await getBatch();
  jmapBytes = 0;
  jmapRequests = 0;
  for (const clients of [1, 4]) rows.push(await windows(`JMAP Email/get, ${BATCH} ids, ${PROPERTIES.length} properties`, clients, getBatch));
  notes.push(`JMAP Email/get response: ${Math.round(jmapBytes / jmapRequests / 1024)} KiB per ${BATCH} emails on average`);
} finally {
  imap.close();
  child.send('stop');
  await exited;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const header = ['measurement', 'clients', 'req/s', 'messages/s', 'p50 ms', 'p99 ms', 'server CPU µs/msg', 'spread of rounds'];
const table = rows.map((r) => [r.what, String(r.clients), fmt(r.reqPerSec, 1), fmt(r.msgPerSec), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.cpuPerMsg), r.spread]);
const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 || c === header.length - 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
console.log();
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));
console.log();
console.log('(UID FETCH 1:* rows: p50 = median round time, p99 = slowest round; loops: latency of every request.');
console.log(' Server CPU = user + system time of the server process per message served; steadier than the rates on a busy machine.)');
for (const n of notes) console.log(n);
