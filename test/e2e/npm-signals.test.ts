// `npm start` as a service manager runs it: SIGTERM goes to the npm process only (systemd with
// KillMode=process, `kill <pid>`, a container whose PID 1 is npm). The server must get the signal
// and stop; nothing may be left running with the ports held. The package's real start script runs
// from a temp copy of package.json beside a relocated sample conf (pre-scripts skipped: the build is
// not what is under test, and the sources run through tsx).
import { canConnect } from '../support/tcp.js';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, withDeadline } from '../support/wait.js';
import { relocatedConf, ROOT } from './sample-conf.js';
import { isAlive } from '../support/pids.js';

const linux = existsSync('/proc/self/stat');
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Parent PID of `pid` from /proc, or undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live process below `root` (children, grandchildren, …). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid !== undefined) parents.set(Number(name), ppid);
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

describe('npm start under signals', { skip: linux ? false : 'reads the process tree from /proc' }, () => {
  it('SIGTERM to the npm process stops the server: no process left, every port free', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tessera-npm-signal-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const { ports } = await relocatedConf(root);
    await copyFile(join(ROOT, 'package.json'), join(root, 'package.json'));
    await symlink(join(ROOT, 'bin'), join(root, 'bin'));

    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_FROM_SOURCE: '1', TESSERA_DATA_DIR: join(root, 'var') };
    for (const k of ['TESSERA_CONF', 'TESSERA_LOG_LEVEL']) delete env[k];
    // --ignore-scripts skips prestart (the build) but still runs the start script itself.
    const npm: ChildProcess = spawn('npm', ['start', '--ignore-scripts', '--silent'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    let below: number[] = [];
    cleanups.push(async () => {
      // Whatever outlived the test (an orphaned server) is ended here, by PID.
      for (const pid of below) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    npm.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const banner = new Promise<void>((resolve, reject) => {
      npm.stdout!.on('data', () => {
        if (stdout.includes('Stop with Ctrl-C or SIGTERM.')) resolve();
      });
      void npmExited.then(() => reject(new Error(`npm start ended before the banner:\n${stdout}\n${stderr}`)));
    });
    await withDeadline(banner, 90_000, 'the start-up banner of npm start');

    below = descendants(npm.pid!);
    assert.ok(below.length > 0, 'npm runs the server below itself');
    const listening = [...ports.values()];
    for (const port of listening) assert.equal(await canConnect(port), true, `port ${port} is served before the signal`);

    npm.kill('SIGTERM');
    await withDeadline(npmExited, 30_000, 'npm to exit after SIGTERM');
    await waitFor(`every process below npm (${below.join(', ')}) to end`, () => below.every((pid) => !isAlive(pid)), 30_000);
    for (const port of listening) assert.equal(await canConnect(port), false, `port ${port} is free again`);
    assert.match(stderr, /"msg":"signal received, shutting down"/, 'the server itself got the signal and stopped cleanly');
  });
});
