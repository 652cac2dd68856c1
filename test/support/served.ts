// `tessera serve` as the operator runs it (bin/tessera.js in a child process) on a minimal SQLite
// conf directory: IMAP and an SMTP MX without TLS on 127.0.0.1 port 0, passwords allowed, the login
// throttle out of the way, and `server.processes` as asked. Its JSON log lines are collected so that
// tests and benchmarks can wait for what the server said (who is ready, which worker served what).
// Used by test/server/processes.test.ts and bench/processes.
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runTessera, spawnTessera } from '../cli/run-tessera.js';
import { waitFor } from './wait.js';

export const SERVED_DOMAIN = 'example.test';
export const SERVED_PASSWORD = 'correct horse battery';

export type LogLine = Record<string, unknown>;

export interface Served {
  readonly confDir: string;
  readonly child: ChildProcess;
  readonly log: LogLine[];
  readonly imapPort: number;
  readonly smtpPort: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first log line matching `pred`, awaited under a deadline whose error shows the log's end. */
  find(what: string, pred: (l: LogLine) => boolean, ms?: number): Promise<LogLine>;
  /** Pid of each slot's current worker (processes > 1), from the supervisor's "ready" lines. */
  workerPids(): Map<number, number>;
  /** SIGKILLs whatever still runs and removes the directory. */
  dispose(): Promise<void>;
}

const WAIT_MS = 30_000;

function files(dataDir: string, processes: number, logLevel: string, extra: readonly string[]): Record<string, string> {
  return {
    'tessera.properties': [
      `data.dir=${dataDir}`,
      'storage.engine=sqlite',
      `server.processes=${processes}`,
      `log.level=${logLevel}`,
      'devIdp.enabled=false',
      'shutdown.timeout=2',
      'demo.seed=false',
      'auth.throttle.address.freeFailures=1000',
      'auth.throttle.address.blockAfter=100000',
      ...extra,
      '',
    ].join('\n'),
    'domainlist.xml': `<domainlist><domainnames><domainname>${SERVED_DOMAIN}</domainname></domainnames><defaultDomain>${SERVED_DOMAIN}</defaultDomain></domainlist>\n`,
    'usersrepository.xml': '<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
    'imapserver.xml': `<imapservers><imapserver enabled="true"><jmxName>imap</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="false" startTLS="false"/><auth><plainAuthEnabled>true</plainAuthEnabled><requireSSL>false</requireSSL></auth>
</imapserver></imapservers>\n`,
    'smtpserver.xml': `<smtpservers><smtpserver enabled="true"><jmxName>smtp-mx</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="false" startTLS="false"/><helloName autodetect="false">mail.${SERVED_DOMAIN}</helloName>
  <connectionLimitPerIP>0</connectionLimitPerIP>
  <auth><announce>never</announce><requireAuthForRelay>true</requireAuthForRelay><plainAuthEnabled>false</plainAuthEnabled><requireSSL>false</requireSSL></auth>
</smtpserver></smtpservers>\n`,
  };
}

export async function startServed(options: {
  processes: number;
  users: string[];
  logLevel?: string;
  startMs?: number;
  /** More tessera.properties lines. */
  properties?: readonly string[];
  /** Conf files written instead of (or besides) the minimal ones, by file name. */
  files?: Record<string, string>;
}): Promise<Served> {
  const root = await mkdtemp(join(tmpdir(), 'tessera-served-'));
  const confDir = join(root, 'conf');
  await mkdir(confDir);
  const conf = { ...files(join(root, 'var'), options.processes, options.logLevel ?? 'info', options.properties ?? []), ...options.files };
  for (const [name, content] of Object.entries(conf)) {
    await writeFile(join(confDir, name), content);
  }
  for (const user of options.users) {
    const added = await runTessera(['user', 'add', user, '--conf', confDir, '--password', SERVED_PASSWORD]);
    if (added.code !== 0) throw new Error(`tessera user add ${user} failed: ${added.stderr}`);
  }
  const child = spawnTessera(['serve', '--conf', confDir]);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stdout!.resume();
  const log: LogLine[] = [];
  const text: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    text.push(line);
    try {
      log.push(JSON.parse(line) as LogLine);
    } catch {
      // Not a log line (a stack trace): kept in the text only.
    }
  });
  const find = (what: string, pred: (l: LogLine) => boolean, ms = WAIT_MS): Promise<LogLine> =>
    waitFor(what, () => log.find(pred), ms).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- server log (last 40 lines) ---\n${text.slice(-40).join('\n')}`);
    });
  const workerPids = (): Map<number, number> => {
    const pids = new Map<number, number>();
    for (const l of log) if (l.msg === 'server process ready') pids.set(Number(l.slot), Number(l.pid));
    return pids;
  };
  const dispose = async (): Promise<void> => {
    const pids = [...workerPids().values()];
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    const ready = options.processes > 1 ? 'every server process is ready' : 'tessera started';
    await find('the server to be ready', (l) => l.msg === ready, options.startMs ?? 240_000);
    const port = (name: string): number => {
      const ports = new Set(log.filter((l) => l.msg === 'listening' && l.server === name).map((l) => Number(new URL(String((l.addresses as string[])[0])).port)));
      if (ports.size !== 1) throw new Error(`expected one ${name} port over every worker, got ${[...ports].join(', ')}`);
      return [...ports][0]!;
    };
    return { confDir, child, log, imapPort: port('imap'), smtpPort: port('smtp-mx'), exited, find, workerPids, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
