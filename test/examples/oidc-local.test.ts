// Runs the local single sign-on example as its README says to: examples/oidc/start.sh (slapd,
// LemonLDAP::NG, Apache httpd + mod_oauth2, Tessera, on free loopback ports in a fresh run directory),
// then check.sh, whose every step must PASS, then stop.sh, which must leave none of the processes
// start.sh recorded running. Without the Debian packages the test skips with a notice; under CI=true
// it installs them (examples/oidc/install-packages.sh, as root) or fails.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXAMPLE = fileURLToPath(new URL('../../examples/oidc/', import.meta.url));
const ci = process.env['CI'] === 'true';
// What start.sh runs; each comes with one of the packages install-packages.sh installs.
const NEEDED = ['/usr/sbin/slapd', '/usr/sbin/llng-fastcgi-server', '/usr/sbin/nginx', '/usr/sbin/apache2', '/usr/lib/apache2/modules/mod_oauth2.so'];
const missing = (): string[] => NEEDED.filter((p) => !existsSync(p));

let skip: string | false = false;
if (missing().length > 0) {
  if (ci) {
    // CI installs what the example needs, as .ci/run does for slapd; a failure shows in the test below.
    const r = spawnSync(join(EXAMPLE, 'install-packages.sh'), { stdio: 'inherit' });
    if (r.status !== 0) console.log(`# install-packages.sh exited ${r.status}`);
  } else {
    skip = `examples/oidc needs ${missing().join(', ')} (run examples/oidc/install-packages.sh as root)`;
    console.log(`# ${skip}`);
  }
}

interface Run {
  code: number | null;
  out: string;
}

/** Runs one of the example's scripts to its end (each bounds its own waits) and collects its output. */
function script(name: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(EXAMPLE, name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('examples/oidc (local: slapd, LemonLDAP::NG, Apache httpd + mod_oauth2, Tessera)', { skip }, () => {
  let run: string | undefined;
  let started = false;
  after(async () => {
    if (run && started) await script('stop.sh', [run]);
    if (run) await rm(run, { recursive: true, force: true });
  });

  it('starts with one command, passes every check step, and stop.sh stops exactly what start.sh started', async () => {
    assert.deepEqual(missing(), [], 'the example needs these (examples/oidc/install-packages.sh)');
    run = await mkdtemp(join(tmpdir(), 'tessera-oidc-example-'));
    started = true;
    const start = await script('start.sh', [run]);
    assert.equal(start.code, 0, `start.sh failed:\n${start.out}`);
    const pidFiles = await readdir(join(run, 'pids'));
    assert.deepEqual(pidFiles.sort(), ['apache.pid', 'llng.pid', 'nginx.pid', 'slapd.pid', 'tessera.pid']);
    const pids = await Promise.all(pidFiles.map(async (f) => Number((await readFile(join(run!, 'pids', f), 'utf8')).trim())));
    for (const pid of pids) assert.ok(alive(pid), `pid ${pid} recorded by start.sh is running`);

    const check = await script('check.sh', [run]);
    console.log(check.out.trimEnd());
    assert.equal(check.code, 0, `check.sh failed:\n${check.out}`);
    assert.doesNotMatch(check.out, /^FAIL/m);
    assert.match(check.out, /^ALL PASSED$/m);
    // Every step of the issue is there.
    for (const stepName of [
      'password grant',
      'userinfo',
      'JMAP session through the gateway with the token',
      'refused without a token',
      'forged X-User',
      'IMAP AUTHENTICATE OAUTHBEARER',
      'IMAP AUTHENTICATE XOAUTH2',
      'SMTP submission with XOAUTH2',
      'the message is in INBOX over IMAP',
      'the message is in the mailbox over JMAP',
      'logout at the provider ends the IMAP IDLE',
      'IMAP refuses plain passwords',
      'SMTP refuses plain passwords',
      'JMAP refuses plain passwords',
    ]) {
      assert.match(check.out, new RegExp(`^PASS  .*${stepName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), stepName);
    }

    const stop = await script('stop.sh', [run]);
    started = false;
    assert.equal(stop.code, 0, `stop.sh failed:\n${stop.out}`);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still running after stop.sh`);
    assert.deepEqual(await readdir(join(run, 'pids')), []);
  });
});
