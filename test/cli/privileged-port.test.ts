// A James conf/ binds ports 25, 143, 465, 587, 993 and 80. Started by an ordinary user, the kernel
// refuses them: `tessera serve` then fails with one line naming the configuration, the listener and
// the address once, and how to get the port (CAP_NET_BIND_SERVICE with setcap, or a port mapping).
// The server really runs unprivileged: as `nobody` through setpriv when the tests run as root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BIN } from './run-tessera.js';
import { withDeadline } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NOBODY = 65534;

/** The lowest port an unprivileged process may bind (Linux sysctl), 1024 when unknown. */
async function unprivilegedPortStart(): Promise<number> {
  const raw = await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(() => '1024');
  return Number(raw.trim());
}

function runUnprivileged(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? 'setpriv' : process.execPath;
  const argv = asRoot
    ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', process.execPath, BIN, ...args]
    : [BIN, ...args];
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['TESSERA_CONF', 'TESSERA_DATA_DIR', 'TESSERA_LOG_LEVEL']) delete base[k];
  const child = spawn(command, argv, { cwd: ROOT, env: { ...base, TESSERA_FROM_SOURCE: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return withDeadline(
    new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stderr }));
    }),
    60_000,
    'tessera serve to give up on a privileged port',
  );
}

describe('a privileged port as an ordinary user', () => {
  it('fails once, naming the listener, the address, CAP_NET_BIND_SERVICE, setcap and a port mapping', async (t) => {
    // Any port below net.ipv4.ip_unprivileged_port_start is privileged (25 where the kernel keeps it so).
    const start = await unprivilegedPortStart();
    if (start <= 1) {
      // No port is privileged on this kernel, so EACCES cannot happen (test/net/listen-error.test.ts
      // still checks the message). CI machines keep Linux's default of 1024: there it must run.
      assert.notEqual(process.env['CI'], 'true', 'net.ipv4.ip_unprivileged_port_start lets anyone bind every port on this CI machine');
      t.skip('net.ipv4.ip_unprivileged_port_start lets every user bind every port on this machine');
      return;
    }
    const port = Math.min(25, start - 1);
    const home = await mkdtemp(path.join(tmpdir(), 'tessera-priv-'));
    try {
      const conf = path.join(home, 'conf');
      await mkdir(conf);
      await writeFile(path.join(conf, 'tessera.properties'), `data.dir=${path.join(home, 'var')}\n`);
      await writeFile(
        path.join(conf, 'smtpserver.xml'),
        `<smtpservers><smtpserver enabled="true"><jmxName>smtpserver-global</jmxName><bind>127.0.0.1:${port}</bind></smtpserver></smtpservers>\n`,
      );
      // The unprivileged server reads the conf and writes its data directory.
      await chmod(home, 0o777);
      await chmod(conf, 0o755);
      const { code, stderr } = await runUnprivileged(['serve', '--conf', conf, '--log-level', 'fatal'], {});
      assert.equal(code, 1, stderr);
      const lines = stderr.split('\n').filter((l) => l.startsWith('tessera: '));
      assert.equal(lines.length, 1, stderr);
      const line = lines[0]!;
      assert.match(line, /smtpserver\.xml, block 1: smtpserver-global cannot listen on 127\.0\.0\.1:25: permission denied/);
      for (const hint of ['CAP_NET_BIND_SERVICE', 'setcap cap_net_bind_service=+ep', 'docker -p 25:']) assert.ok(line.includes(hint), `"${hint}" missing: ${line}`);
      assert.equal(line.split('127.0.0.1:25').length, 2, `the address is said once: ${line}`);
      assert.equal(line.split('smtpserver-global').length, 2, `the listener is named once: ${line}`);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
