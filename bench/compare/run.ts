// Tessera side by side with Dovecot 2.3 and Postfix 3.7 (issue #18), on this machine, interleaved
// (Tessera, peer, Tessera, peer…), medians of the rounds:
//   1. token logins: IMAP connect → AUTHENTICATE OAUTHBEARER (SASL-IR, RS256 JWT, keys cached) →
//      SELECT INBOX → LOGOUT, `--clients` at once (also with XOAUTH2);
//   2. submission: connect → EHLO → AUTH OAUTHBEARER → 1 KiB message to a local user → QUIT,
//      `--clients` at once; both servers fsync before the 250 (Postfix its queue file, then LMTP to
//      Dovecot in the background: its CPU is counted until every message is in the Maildir);
//   2b. token logins with opaque tokens checked by RFC 7662 introspection at the bench's provider:
//      cold (a new token each login) and warm (tokens reused; Tessera caches verified tokens);
//   3. durable IMAP APPEND of 2–250 KB messages (cycled sizes; running text, each message distinct)
//      into INBOX, at 1 and `--clients` logged-in connections, of users of their own; both servers
//      fsync each message before the OK;
//   4. memory per authenticated IMAP IDLE connection with `--idle` connections, measured after all
//      the rounds above (`--rounds` times): Tessera's growth after a full GC in each of its processes,
//      summed over them (the larger of RSS less V8's young generation, which V8 sizes by the
//      allocation rate, and V8's heap+external); PSS growth summed over Dovecot's, from a baseline
//      taken once Dovecot has ended the processes that earlier sessions left waiting.
// Tessera runs as `tessera serve` does with `server.processes=--processes`: by default `auto`, one
// server process per core, as an operator comparing it with Dovecot and Postfix (which spread over
// processes and so over every core) would set it; `--processes=1` measures one process alone. With
// several, the supervisor and its workers are one process tree: CPU per operation is summed over it.
// Before the rounds each (non-APPEND) user's INBOX gets `--inbox` messages of 2–16 KB, the same on
// every server, so SELECT works on mailboxes that hold mail, alike in every round.
// With --tls every connection uses implicit TLS (IMAPS, SMTPS) with one certificate for all servers.
// The peers run as `--peers` says (dovecot.ts, postfix.ts): tuned by default, the fastest set-up
// their documentation gives that keeps their durability.
// Server CPU per operation comes from /proc/<pid>/stat of each server's process tree. With --cpu-prof
// each Tessera process writes its own profile (summarise one with profile-summary.ts).
//
//   node --import tsx bench/compare/run.ts [--seconds=10] [--warmup=10] [--rounds=3] [--clients=8] [--idle=500]
//        [--users=64] [--inbox=100] [--only=login,xoauth2,introspect,submission,append,idle] [--tls] [--tessera-only] [--cpu-prof=DIR] [--peers=tuned|login-hp|stock]
//        [--processes=auto|N]
//
// Installs nothing: without Dovecot/Postfix it prints the apt command and measures Tessera alone.
// Must run as root (Dovecot and Postfix drop privileges themselves). Not part of the test suite.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DOMAIN, startBenchIdp } from './idp.js';
import { startTessera } from './tessera.js';
import { PEER_PROFILES, startDovecot, type DovecotServer, type PeerProfile } from './dovecot.js';
import { startPostfix, type PostfixServer } from './postfix.js';
import { processRss, treeCpuSeconds, treePids, treePss, untilAtMost, untilQuiet } from './proc.js';
import { median, range, row } from './stats.js';
import { waitFor } from '../../test/support/wait.js';
import { makeCertificate, type TlsFiles } from './tls.js';
import { freePort } from './free-port.js';
import {
  APPEND_SIZES_KB,
  loginSession,
  openIdlers,
  runAppendLoad,
  seedInboxes,
  runLoad,
  submissionSession,
  type Account,
  type Endpoint,
  type LoadResult,
  type Mechanism,
} from './workloads.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '8' },
    idle: { type: 'string', default: '500' },
    users: { type: 'string', default: '64' },
    inbox: { type: 'string', default: '100' },
    only: { type: 'string', default: 'login,xoauth2,introspect,submission,append,idle' },
    tls: { type: 'boolean', default: false },
    'tessera-only': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    peers: { type: 'string', default: 'tuned' },
    processes: { type: 'string', default: 'auto' },
  },
});
const SECONDS = Number(flags.seconds);
/**
 * Seconds of logins, then of submissions, on each server before the rounds (the same for every
 * server). Tessera needs some ten seconds of a workload before V8 has compiled the code it runs:
 * after three, its first submission round (5 s) cost 3.1-3.4 ms of CPU per message and the steady
 * 2.1-2.4 came from the third round on, V8's compiler threads taking 10% of a core in the first
 * round and 3% later; after ten, the first round cost 2.6 ms and the next 2.2-2.3.
 */
const WARMUP_SECONDS = Number(flags.warmup);
const ROUNDS = Number(flags.rounds);
const CLIENTS = Number(flags.clients);
const IDLE = Number(flags.idle);
/** Messages put into each login user's INBOX before the rounds. */
const INBOX = Number(flags.inbox);
const WORKLOADS = new Set(flags.only.split(','));
/** APPEND runs with one client and with `--clients`. */
const APPEND_CLIENTS = [...new Set([1, CLIENTS])];
/** Tessera's server.processes: `auto` is one per core, as the setting's own `auto` counts them. */
const PROCESSES = flags.processes === 'auto' ? availableParallelism() : Number(flags.processes);
if (!Number.isSafeInteger(PROCESSES) || PROCESSES < 1) fail('--processes is auto or a whole number from 1');
const PEERS: PeerProfile = PEER_PROFILES.find((p) => p === flags.peers) ?? fail(`--peers is one of ${PEER_PROFILES.join(', ')}`);

function fail(message: string): never {
  throw new Error(message);
}

const APT = 'apt-get install -y dovecot-imapd dovecot-lmtpd dovecot-core postfix';

function installed(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Messages in every user's Maildir (new/ and cur/): what Dovecot's LMTP has delivered. */
async function maildirCount(mailRoot: string): Promise<number> {
  let n = 0;
  for (const user of await readdir(mailRoot).catch(() => [] as string[])) {
    for (const sub of ['new', 'cur']) n += (await readdir(join(mailRoot, user, 'Maildir', sub)).catch(() => [] as string[])).length;
  }
  return n;
}

interface Sample {
  rate: number;
  cpuMsPerOp: number;
  failures: number;
  firstError?: string;
}

interface Side {
  name: string;
  imap: Endpoint;
  submission: Endpoint;
  /** The IMAP listener that checks opaque tokens by introspection, and who is billed for it. */
  introspect: Endpoint;
  introspectPids: () => Promise<number[]>;
  /** Process trees whose CPU the login / submission work is billed to. */
  loginPids: () => Promise<number[]>;
  submissionPids: () => Promise<number[]>;
  /** Waits until what was acknowledged is delivered (Postfix → LMTP → Maildir); resolves false on timeout. */
  settle: (acknowledged: number) => Promise<boolean>;
  /**
   * Notes how much mail is delivered now, for the next settle(): seeded and APPENDed messages land in
   * the same Maildirs, so counting from the previous settle would end the wait before LMTP is done.
   */
  markDelivered: () => Promise<void>;
  /** Memory of the server, bytes: see MemoryReading. */
  memory: () => Promise<MemoryReading>;
  /**
   * Waits until the server holds no more processes than when it was idle after start, and says
   * whether it got there. Tuned Dovecot keeps an imap process that served a session (up to 100 of
   * them) waiting for its next one until `idle_kill` (1 min): a baseline taken among them already
   * holds the memory the next idlers move into, and one run measured 566, 146 and then 18 kB per
   * connection for the same 300 sessions.
   */
  rest?: () => Promise<boolean>;
}

/**
 * One reading of a server's memory. `bytes`: PSS over Dovecot's tree; for Tessera, RSS after full
 * collections summed over its processes, less V8's young generation (`youngGeneration`, given apart:
 * a per-process allocation buffer that V8 sizes by the allocation rate, not by what the connections
 * hold). `v8`: Tessera's V8 heap in use plus external memory, steadier than RSS, which moves with the
 * heap's free pages.
 */
interface MemoryReading {
  bytes: number;
  youngGeneration?: number;
  v8?: number;
}

/** Every server's process tree, for quiesce(). */
let allServerPids: () => Promise<number[]> = async () => [];

/**
 * Waits (at most 20 s) until the servers have gone quiet, so that the leftovers of the previous
 * measurement (500 IDLE processes exiting, LMTP deliveries, Tessera's full-text indexing catching
 * up with the appends) are not billed to the next one.
 */
function quiesce(): Promise<void> {
  return untilQuiet(allServerPids, 20_000);
}

async function measure(side: Side, pids: number[], load: () => Promise<LoadResult>, settle = false): Promise<Sample> {
  await quiesce();
  if (settle) await side.markDelivered();
  const cpuBefore = treeCpuSeconds(pids);
  const r = await load();
  if (settle && !(await side.settle(r.ops))) process.stdout.write(`  (${side.name}: not every message delivered within 60 s)\n`);
  // What a server still does for the round once it is over (Tessera's full-text index catching up
  // with the appends, 0.2-0.5 ms per append on two cores) is part of what the operations cost.
  await quiesce();
  const cpu = treeCpuSeconds(pids) - cpuBefore;
  const sample: Sample = { rate: r.ops / r.seconds, cpuMsPerOp: r.ops > 0 ? (cpu * 1000) / r.ops : NaN, failures: r.failures };
  if (r.firstError) sample.firstError = r.firstError;
  return sample;
}

function logSample(work: string, side: string, s: Sample): void {
  const err = s.failures ? `, ${s.failures} failed (${s.firstError ?? ''})` : '';
  process.stdout.write(`  ${work.padEnd(11)} ${side.padEnd(16)} ${s.rate.toFixed(1).padStart(8)} /s  ${s.cpuMsPerOp.toFixed(2).padStart(6)} ms CPU/op${err}\n`);
}

/** Memory per IDLE connection: the growth of each figure of the side's MemoryReading, per connection. */
async function idleBytesPerConnection(side: Side, accounts: readonly Account[]): Promise<MemoryReading> {
  if (side.rest && !(await side.rest())) process.stdout.write(`  (${side.name}: processes of earlier sessions still waiting after 150 s)\n`);
  await quiesce();
  const before = await side.memory();
  const clients = await openIdlers(side.imap, accounts, IDLE);
  try {
    const after = await side.memory();
    const per = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined ? (a - b) / IDLE : undefined);
    const growth: MemoryReading = { bytes: (after.bytes - before.bytes) / IDLE };
    const young = per(after.youngGeneration, before.youngGeneration);
    const v8 = per(after.v8, before.v8);
    if (young !== undefined) growth.youngGeneration = young;
    if (v8 !== undefined) growth.v8 = v8;
    return growth;
  } finally {
    for (const c of clients) c.close();
  }
}

async function main(): Promise<void> {
  const peersInstalled = installed('dovecot') && installed('postfix') && installed('/usr/lib/dovecot/lmtp');
  const withPeers = peersInstalled && !flags['tessera-only'];
  if (!peersInstalled) process.stdout.write(`Dovecot/Postfix not installed: measuring Tessera alone. To compare: ${APT}\n`);
  const root = await mkdtemp(join(tmpdir(), 'tessera-compare-'));
  // Dovecot's and Postfix's unprivileged processes must reach their directories below it.
  await chmod(root, 0o755);
  const idp = await startBenchIdp();
  const accounts: Account[] = [];
  for (let i = 0; i < Number(flags.users); i++) {
    const user = `user${i}@${DOMAIN}`;
    accounts.push({ user, token: await idp.token(user) });
  }
  // The APPEND rounds fill their own users' inboxes (thousands of messages a round). Every other
  // workload uses the other users, whose inboxes hold the seeded messages and what submission adds,
  // so that SELECT costs the same in every round: when the login rounds also picked the appenders,
  // the peers' login rates fell by three quarters from round 1 to round 2.
  const appendUsers = Math.max(...APPEND_CLIENTS);
  if (accounts.length <= appendUsers) fail(`--users must exceed --clients (${appendUsers} users append)`);
  const appenders = accounts.slice(-appendUsers);
  const users = accounts.slice(0, -appendUsers);
  const stops: Array<() => Promise<void>> = [() => idp.close()];
  try {
    for (const d of ['tessera', 'dovecot', 'postfix']) await mkdir(join(root, d));
    const tls: TlsFiles | undefined = flags.tls ? await makeCertificate(join(root, 'tls')) : undefined;
    const secure = tls !== undefined;
    const tessera = await startTessera(join(root, 'tessera'), idp, accounts.map((a) => a.user), { processes: PROCESSES, cpuProfDir: flags['cpu-prof'], tls });
    stops.unshift(() => tessera.stop());
    const sides: Side[] = [
      {
        name: 'Tessera',
        imap: { port: tessera.imapPort, tls: secure },
        introspect: { port: tessera.introspectImapPort, tls: secure },
        introspectPids: async () => [tessera.pid],
        submission: { port: tessera.submissionPort, tls: secure },
        loginPids: async () => [tessera.pid],
        submissionPids: async () => [tessera.pid],
        settle: async () => true,
        markDelivered: async () => {},
        memory: async () => {
          const m = await tessera.memoryAfterGc();
          return { bytes: m.rss - m.youngGeneration, youngGeneration: m.youngGeneration, v8: m.heapUsed + m.external };
        },
      },
    ];
    let dovecot: DovecotServer | undefined;
    let introspectingDovecot: DovecotServer | undefined;
    let postfix: PostfixServer | undefined;
    if (withPeers) {
      dovecot = await startDovecot(join(root, 'dovecot'), await freePort(), idp, { profile: PEERS, tls });
      stops.unshift(() => dovecot!.stop());
      await untilQuiet(async () => [dovecot!.pid], 10_000);
      const restingProcesses = treePids([dovecot.pid]).length;
      // Dovecot's passdb cannot differ by listener: introspected logins get an instance of their own.
      if (WORKLOADS.has('introspect')) {
        await mkdir(join(root, 'dovecot-introspect'));
        const di = await startDovecot(join(root, 'dovecot-introspect'), await freePort(), idp, { profile: PEERS, tls, tokenCheck: 'introspection' });
        stops.unshift(() => di.stop());
        introspectingDovecot = di;
      }
      postfix = await startPostfix(join(root, 'postfix'), await freePort(), dovecot, PEERS, tls);
      stops.unshift(() => postfix!.stop());
      const dv = dovecot;
      const pf = postfix;
      let delivered = 0;
      sides.push({
        name: 'Dovecot/Postfix',
        imap: { port: dv.imapPort, tls: secure },
        introspect: { port: introspectingDovecot?.imapPort ?? 0, tls: secure },
        introspectPids: async () => (introspectingDovecot ? [introspectingDovecot.pid] : []),
        submission: { port: pf.submissionPort, tls: secure },
        loginPids: async () => [dv.pid],
        submissionPids: async () => [dv.pid, await pf.pid()],
        settle: async (acknowledged) => {
          const target = delivered + acknowledged;
          const ok = await waitFor('Dovecot deliveries', async () => (await maildirCount(dv.mailRoot)) >= target, 60_000).then(() => true, () => false);
          delivered = await maildirCount(dv.mailRoot);
          return ok;
        },
        markDelivered: async () => {
          delivered = await maildirCount(dv.mailRoot);
        },
        memory: async () => ({ bytes: treePss([dv.pid]) }),
        rest: () => untilAtMost([dv.pid], restingProcesses, 150_000),
      });
    }

    // Opaque tokens for the introspection rounds: one per account (warm), or a new one per login (cold).
    const opaqueAccounts: Account[] = users.map((a) => ({ user: a.user, token: idp.opaqueToken(a.user) }));
    const to = (k: number, i: number): string => users[(k * 7 + i + 1) % users.length]!.user;
    allServerPids = async () =>
      (await Promise.all(sides.map(async (side) => [...(await side.loginPids()), ...(await side.submissionPids()), ...(await side.introspectPids())]))).flat();
    // Preflight: every side accepts a good token and refuses one with a broken signature.
    for (const side of sides) {
      await loginSession(side.imap, users[0]!, 'OAUTHBEARER');
      await side.markDelivered();
      await submissionSession(side.submission, users[0]!, users[1]!.user);
      await side.settle(1);
      const forged = { ...users[0]!, token: `${users[0]!.token.slice(0, -6)}AAAAAA` };
      const refused = await loginSession(side.imap, forged, 'OAUTHBEARER').then(
        () => false,
        () => true,
      );
      if (!refused) throw new Error(`${side.name} accepted a token with a forged signature`);
      // Warm-up: every account logged in once (the first login creates the mailboxes) and the code
      // paths run, so the rounds measure a steady state.
      const warm = await runLoad(WARMUP_SECONDS, CLIENTS, (k, i) => loginSession(side.imap, accounts[(k + i * CLIENTS) % accounts.length]!, 'OAUTHBEARER'));
      for (let i = warm.ops; i < accounts.length; i++) await loginSession(side.imap, accounts[i]!, 'OAUTHBEARER');
      await side.markDelivered();
      const sent = await runLoad(WARMUP_SECONDS, CLIENTS, (k, i) => submissionSession(side.submission, users[k % users.length]!, to(k, i)));
      await side.settle(sent.ops);
      await seedInboxes(side.imap, users, INBOX);
      if (WORKLOADS.has('introspect')) {
        // Every opaque token used once: the warm rounds find them in the cache (where there is one).
        for (const a of opaqueAccounts) await loginSession(side.introspect, a, 'OAUTHBEARER');
        const unknown = { ...opaqueAccounts[0]!, token: 'not-a-token-the-provider-issued' };
        if (await loginSession(side.introspect, unknown, 'OAUTHBEARER').then(() => true, () => false)) {
          throw new Error(`${side.name} accepted a token its introspection endpoint does not know`);
        }
      }
    }

    process.stdout.write(
      `\nbench/compare: ${ROUNDS} rounds of ${SECONDS} s, ${secure ? 'implicit TLS' : 'clear text'}, Tessera with ${PROCESSES} process${PROCESSES > 1 ? 'es' : ''}, ${CLIENTS} clients, ${IDLE} IDLE connections, ${users.length} users with ${INBOX}+ messages in INBOX (${appenders.length} more for APPEND), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
    );
    if (dovecot && postfix) process.stdout.write(`peers: ${dovecot.summary}\n       ${postfix.summary}\n`);
    const samples = new Map<string, Sample[]>();
    const idle = new Map<string, number[]>();
    const add = (key: string, s: Sample): void => void samples.set(key, [...(samples.get(key) ?? []), s]);
    for (let round = 1; round <= ROUNDS; round++) {
      process.stdout.write(`round ${round}\n`);
      for (const side of sides) {
        for (const [work, mechanism] of [['login', 'OAUTHBEARER'], ['xoauth2', 'XOAUTH2']] as const) {
          if (!WORKLOADS.has(work)) continue;
          const m: Mechanism = mechanism;
          const s = await measure(side, await side.loginPids(), () =>
            runLoad(SECONDS, CLIENTS, (k, i) => loginSession(side.imap, users[(k + i * CLIENTS) % users.length]!, m)),
          );
          add(`${work}/${side.name}`, s);
          logSample(work, side.name, s);
        }
        for (const temperature of WORKLOADS.has('introspect') ? (['cold', 'warm'] as const) : []) {
          const pick = (k: number, i: number): Account => {
            const a = opaqueAccounts[(k + i * CLIENTS) % opaqueAccounts.length]!;
            return temperature === 'warm' ? a : { user: a.user, token: idp.opaqueToken(a.user) };
          };
          // One unmeasured second first: after an idle spell Dovecot's HTTP client stalls for seconds on
          // its first introspections (seen at 8 clients even with the provider keeping connections open).
          await runLoad(1, CLIENTS, (k, i) => loginSession(side.introspect, pick(k, i), 'OAUTHBEARER'));
          const before = idp.introspections();
          const s = await measure(side, await side.introspectPids(), () => runLoad(SECONDS, CLIENTS, (k, i) => loginSession(side.introspect, pick(k, i), 'OAUTHBEARER')));
          const asked = idp.introspections() - before;
          add(`introspect-${temperature}/${side.name}`, s);
          logSample(`intro ${temperature}`, side.name, s);
          process.stdout.write(`              (${(asked / Math.max(1, s.rate * SECONDS)).toFixed(2)} introspection requests per login)\n`);
        }
        if (WORKLOADS.has('submission')) {
          const s = await measure(
            side,
            await side.submissionPids(),
            () => runLoad(SECONDS, CLIENTS, (k, i) => submissionSession(side.submission, users[k % users.length]!, to(k, i))),
            true,
          );
          add(`submission/${side.name}`, s);
          logSample('submission', side.name, s);
        }
        for (const clients of WORKLOADS.has('append') ? APPEND_CLIENTS : []) {
          const s = await measure(side, await side.loginPids(), () => runAppendLoad(side.imap, appenders.slice(0, clients), SECONDS, clients));
          add(`append-${clients}/${side.name}`, s);
          logSample(`append ×${clients}`, side.name, s);
        }
      }
    }
    // IDLE after every throughput round, not inside them: a peer that starts a process per IDLE
    // connection (Dovecot) ran its next round's logins at a third of its first round's rate, so the
    // login medians measured the aftermath of the IDLE phase rather than the logins.
    for (let round = 1; round <= (WORKLOADS.has('idle') ? ROUNDS : 0); round++) {
      process.stdout.write(`idle round ${round}\n`);
      for (const side of sides) {
        const { bytes, youngGeneration, v8 } = await idleBytesPerConnection(side, users);
        // Per connection, the larger of the RSS growth (less the young generation's) and V8's own
        // growth: with a few hundred connections the idlers may fill pages the process already holds,
        // and RSS alone then says less than what the connections keep alive.
        idle.set(side.name, [...(idle.get(side.name) ?? []), Math.max(bytes, v8 ?? bytes)]);
        const kB = (b: number): string => `${(b / 1024).toFixed(1)} kB`;
        const details = [
          ...(youngGeneration !== undefined ? [`V8 young generation ${youngGeneration < 0 ? '' : '+'}${kB(youngGeneration)}, not counted`] : []),
          ...(v8 !== undefined ? [`V8 heap+external ${kB(v8)}`] : []),
        ];
        const v8Note = details.length > 0 ? ` (${details.join('; ')})` : '';
        process.stdout.write(`  ${'idle'.padEnd(11)} ${side.name.padEnd(16)} ${(bytes / 1024).toFixed(1).padStart(8)} kB per connection${v8Note}\n`);
      }
    }

    const [t, p] = sides;
    process.stdout.write(`\n${row(['Work', 'Tessera (median, range)', 'Peer (median, range)', 'Ratio', 'CPU ms/op Tessera', 'CPU ms/op peer'])}\n`);
    process.stdout.write(`${row(['---', '---', '---', '---', '---', '---'])}\n`);
    const labels: Record<string, string> = {
      login: `IMAP OAUTHBEARER login+SELECT+LOGOUT, ${CLIENTS} clients (/s)`,
      xoauth2: `IMAP XOAUTH2 login+SELECT+LOGOUT, ${CLIENTS} clients (/s)`,
      submission: `SMTP EHLO+AUTH OAUTHBEARER+1 KiB+QUIT, ${CLIENTS} clients (msg/s)`,
    };
    labels['introspect-cold'] = `IMAP OAUTHBEARER login (opaque token, introspection, new token each login), ${CLIENTS} clients (/s)`;
    labels['introspect-warm'] = `IMAP OAUTHBEARER login (opaque token, introspection, tokens reused), ${CLIENTS} clients (/s)`;
    for (const n of APPEND_CLIENTS) labels[`append-${n}`] = `IMAP APPEND ${APPEND_SIZES_KB[0]}–${APPEND_SIZES_KB.at(-1)} KB, durable, ${n} client${n > 1 ? 's' : ''} (/s)`;
    const works = ['login', 'xoauth2', 'introspect-cold', 'introspect-warm', 'submission', ...APPEND_CLIENTS.map((n) => `append-${n}`)];
    for (const work of works) {
      if (!WORKLOADS.has(work.replace(/-(\d+|cold|warm)$/, '')) || !t) continue;
      const ts = samples.get(`${work}/${t.name}`) ?? [];
      const ps = p ? (samples.get(`${work}/${p.name}`) ?? []) : [];
      const tm = median(ts.map((s) => s.rate));
      const pm = median(ps.map((s) => s.rate));
      process.stdout.write(
        `${row([
          labels[work] ?? work,
          `${tm.toFixed(0)} (${range(ts.map((s) => s.rate))})`,
          p ? `${pm.toFixed(0)} (${range(ps.map((s) => s.rate))})` : '–',
          p ? `${(tm / pm).toFixed(2)}×` : '–',
          median(ts.map((s) => s.cpuMsPerOp)).toFixed(2),
          p ? median(ps.map((s) => s.cpuMsPerOp)).toFixed(2) : '–',
        ])}\n`,
      );
    }
    if (WORKLOADS.has('idle') && t) {
      const tk = (idle.get(t.name) ?? []).map((b) => b / 1024);
      const pk = p ? (idle.get(p.name) ?? []).map((b) => b / 1024) : [];
      process.stdout.write(
        `${row([
          `Memory per IMAP IDLE connection, ${IDLE} connections (kB; Tessera the larger of RSS after GC less V8's young generation and V8 heap+external, over its ${PROCESSES} process${PROCESSES > 1 ? 'es' : ''}; Dovecot PSS)`,
          `${median(tk).toFixed(1)} (${range(tk, 1)})`,
          p ? `${median(pk).toFixed(1)} (${range(pk, 1)})` : '–',
          p ? `${(median(pk) / median(tk)).toFixed(1)}× less` : '–',
          '',
          '',
        ])}\n`,
      );
    }
    const tesseraRss = treePids([tessera.pid]).reduce((sum, pid) => sum + processRss(pid), 0);
    process.stdout.write(`Tessera RSS now ${(tesseraRss / 1048576).toFixed(0)} MiB (every process)\n`);
  } finally {
    for (const stop of stops) await stop().catch((e: unknown) => process.stdout.write(`stop failed: ${String(e)}\n`));
    await rm(root, { recursive: true, force: true });
  }
}

await main();
