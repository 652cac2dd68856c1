// Runs `tessera serve` (the real CLI, as a child process) on a copy of one of James' sample conf/
// directories from ../shared/james-conf, and gives the test what it needs to check it: the JSON
// log lines, the port each listener bound, the data directory, and a clean stop.
//
// The copy is James' files unchanged except for what a test machine strictly needs, and nothing else:
// - every <bind> address becomes 127.0.0.1:0 (James binds 0.0.0.0 on privileged ports 25, 143, 465,
//   587, 993; a test must neither need root nor collide with other tests);
// - jmap.properties gets `jmap.port=0` (the samples leave James' default port 80), webadmin.properties
//   `port=0` (James' 8000 would collide with other tests).
// The data directory is given through TESSERA_DATA_DIR (the environment, not the conf), and one
// user, alice@localhost, is added with `tessera user add` before the start (the samples' domain is
// localhost; James' samples hold no users either).
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTessera, BIN } from '../cli/run-tessera.js';
import { withDeadline } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHARED_JAMES_CONF = path.resolve(ROOT, '../shared/james-conf');
export const USER = 'alice@localhost';
export const PASSWORD = 'sample-conf-password';

export interface LogLine {
  level: number;
  msg: string;
  file?: string;
  key?: string;
  where?: string;
  notice?: string;
  server?: string;
  addresses?: string[];
  fingerprint256?: string;
  listeners?: string[];
  path?: string;
  [k: string]: unknown;
}

export interface SampleCopy {
  home: string;
  confDir: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** Copies `sample` (a folder of SHARED_JAMES_CONF) to <tmp>/conf with the rewrites described above. */
export async function copySample(sample: string): Promise<SampleCopy> {
  const home = await mkdtemp(path.join(tmpdir(), 'tessera-james-'));
  const confDir = path.join(home, 'conf');
  await cp(path.join(SHARED_JAMES_CONF, sample), confDir, { recursive: true });
  for (const name of await readdir(confDir)) {
    const file = path.join(confDir, name);
    if (name.endsWith('.xml')) {
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(/<bind>[^<]*<\/bind>/g, '<bind>127.0.0.1:0</bind>'));
    }
  }
  const jmap = path.join(confDir, 'jmap.properties');
  const jmapText = await readFile(jmap, 'utf8').catch(() => undefined);
  if (jmapText !== undefined) {
    const withPort = /^\s*jmap\.port\s*[=:]/m.test(jmapText) ? jmapText.replace(/^(\s*jmap\.port\s*[=:]).*$/m, '$10') : `${jmapText}\njmap.port=0\n`;
    await writeFile(jmap, withPort);
  }
  const webadmin = path.join(confDir, 'webadmin.properties');
  const webadminText = await readFile(webadmin, 'utf8').catch(() => undefined);
  if (webadminText !== undefined) await writeFile(webadmin, webadminText.replace(/^(\s*port\s*[=:]).*$/m, '$10'));
  return { home, confDir, dataDir: path.join(home, 'var'), cleanup: () => rm(home, { recursive: true, force: true }) };
}

function env(copy: SampleCopy): NodeJS.ProcessEnv {
  return { TESSERA_DATA_DIR: copy.dataDir };
}

/** Adds alice@localhost through the CLI, as an administrator would. */
export async function addUser(copy: SampleCopy): Promise<void> {
  const r = await runTessera(['user', 'add', USER, '--conf', copy.confDir], { input: `${PASSWORD}\n`, env: env(copy) });
  if (r.code !== 0) throw new Error(`tessera user add failed (${r.code}): ${r.stderr}`);
}

export interface RunningSample {
  child: ChildProcess;
  logs: LogLine[];
  stderr(): string;
  /** The port listener `name` bound (from its "listening" line). */
  port(name: string): number;
  /** The address listener `name` bound, as its "listening" line gives it (e.g. "smtp://127.0.0.1:4321"). */
  address(name: string): string;
  stop(): Promise<number | null>;
}

function parseLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // A line cut in the middle by a read: the next parse sees it whole.
    }
  }
  return out;
}

export type StartOutcome = { ok: true; run: RunningSample } | { ok: false; code: number | null; stderr: string };

/** Starts `tessera serve`; resolves once it logs "tessera started", or with its exit when it refuses. */
export async function serve(copy: SampleCopy): Promise<StartOutcome> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['TESSERA_CONF', 'TESSERA_DATA_DIR', 'TESSERA_LOG_LEVEL']) delete base[k];
  const child = spawn(process.execPath, [BIN, 'serve', '--conf', copy.confDir], {
    cwd: ROOT,
    env: { ...base, TESSERA_FROM_SOURCE: '1', ...env(copy) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<boolean>((resolve) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('"msg":"tessera started"')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  // tsx compiles the sources on a cold cache: allow for a busy machine.
  const up = await withDeadline(started, 90_000, 'tessera serve to start or exit');
  if (!up) return { ok: false, code: await exited, stderr };
  const logs = (): LogLine[] => parseLines(stderr);
  const listening = (name: string): string => {
    const line = logs().find((l) => l.msg === 'listening' && l.server === name);
    const address = line?.addresses?.[0];
    if (!address) throw new Error(`no listening line for ${name}; servers: ${logs().filter((l) => l.msg === 'listening').map((l) => l.server).join(', ')}`);
    return address.split(' ')[0]!;
  };
  return {
    ok: true,
    run: {
      child,
      get logs() {
        return logs();
      },
      stderr: () => stderr,
      address: listening,
      port: (name) => Number(new URL(listening(name)).port),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return withDeadline(exited, 30_000, 'tessera serve to stop on SIGTERM');
      },
    },
  };
}
