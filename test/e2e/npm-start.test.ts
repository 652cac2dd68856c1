// What `npm start` gives a newcomer, run as a child process: `tessera serve` on the repository's
// sample conf (copied, with its fixed ports moved to free ones so a developer's running server is
// not disturbed). The banner lists every listener, the printed dev-IdP commands work as printed
// (token with the one-time demo password, IMAP login with that token over OAUTHBEARER, JMAP with it
// as a bearer), and SIGTERM stops the server with exit code 0.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from './harness.js';
import { relocatedConf, ROOT } from './sample-conf.js';

const BIN = join(ROOT, 'bin', 'tessera.js');

const curlFound = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
const ci = process.env['CI'] === 'true';
if (!curlFound && !ci) console.log('# npm-start smoke test skipped: curl is not installed');

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...options, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('npm start smoke test', { skip: !curlFound && !ci ? 'curl is not installed' : false }, () => {
  it('serves the sample conf: banner, dev-IdP token, IMAP login with it over curl, clean SIGTERM', async () => {
    assert.ok(curlFound, 'curl is required under CI=true');
    const root = await mkdtemp(join(tmpdir(), 'tessera-npm-start-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const { confDir, ports } = await relocatedConf(root);
    const dataDir = join(root, 'var');

    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_FROM_SOURCE: '1', TESSERA_DATA_DIR: dataDir };
    // The child must not pick up settings of the developer's shell.
    delete env['TESSERA_CONF'];
    delete env['TESSERA_LOG_LEVEL'];
    const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--conf', confDir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const bannerDone = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', () => {
        if (stdout.includes('Stop with Ctrl-C or SIGTERM.')) resolve();
      });
      void exited.then(({ code }) => reject(new Error(`tessera serve exited (${code}) before its banner:\n${stdout}\n${stderr}`)));
    });
    // tsx compiles the sources on first run: allow for a cold cache on a busy machine.
    await withTimeout(bannerDone, 90_000, `the start-up banner (stdout so far: ${JSON.stringify(stdout)})`);

    // Every listener of the sample conf, on the rewritten port.
    const port = (sample: number): number => ports.get(sample)!;
    const expected: Array<[string, RegExp]> = [
      ['imap', new RegExp(`imap://127\\.0\\.0\\.1:${port(1143)} \\(STARTTLS\\)`)],
      ['imaps', new RegExp(`imaps://127\\.0\\.0\\.1:${port(1993)}`)],
      ['smtp-mx', new RegExp(`smtp://127\\.0\\.0\\.1:${port(2525)}`)],
      ['smtp-submission', new RegExp(`smtp://127\\.0\\.0\\.1:${port(5587)} \\(STARTTLS\\)`)],
      ['smtps', new RegExp(`smtps://127\\.0\\.0\\.1:${port(4465)}`)],
      ['jmap', new RegExp(`https://127\\.0\\.0\\.1:${port(8000)}/jmap`)],
      ['dev-openid', new RegExp(`http://127\\.0\\.0\\.1:${port(8600)}`)],
      ['webadmin', new RegExp(`http://127\\.0\\.0\\.1:${port(8002)}/`)],
    ];
    for (const [name, address] of expected) {
      const line = stdout.split('\n').find((l) => l.trimStart().startsWith(`${name} `));
      assert.ok(line, `the banner has a ${name} row:\n${stdout}`);
      assert.match(line, address, `the ${name} row names its address`);
    }
    assert.ok(stdout.includes(dataDir), 'the banner names the data directory');
    assert.doesNotMatch(stdout, /:(1143|1993|2525|5587|4465|8000|8002|8600)\b/, 'no sample port is left in the banner');

    const demo = /Created the demo user (\S+) with password: (\S+)/.exec(stdout);
    assert.ok(demo, `the one-time demo password is printed:\n${stdout}`);
    const [, demoUser, demoPassword] = demo;
    assert.ok(!stderr.includes(demoPassword!), 'the demo password is never logged');

    // The printed token command, with the demo password where the banner shows "…".
    const tokenLine = /TOKEN=\$\(curl -s -d email=(\S+) -d password=… (http:\/\/\S+\/dev\/token)\)/.exec(stdout);
    assert.ok(tokenLine, `the banner prints a token command:\n${stdout}`);
    assert.equal(tokenLine[1], demoUser);
    const tokenRun = await run('curl', ['-s', '-d', `email=${tokenLine[1]}`, '-d', `password=${demoPassword}`, tokenLine[2]!]);
    assert.equal(tokenRun.code, 0, tokenRun.stderr);
    const token = tokenRun.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, `a JWT access token, got ${JSON.stringify(tokenRun.stdout)}`);
    const wrong = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-d', `email=${demoUser}`, '-d', 'password=wrong', tokenLine[2]!]);
    assert.notEqual(wrong.stdout, '200', 'no token without the right password');

    // The printed IMAP login command, run by a shell exactly as printed, with $TOKEN set.
    const imapLine = stdout.split('\n').find((l) => l.includes('IMAP login:'));
    assert.ok(imapLine, `the banner prints an IMAP login command:\n${stdout}`);
    const imapCommand = imapLine.slice(imapLine.indexOf('curl '));
    assert.match(imapCommand, new RegExp(`imap://127\\.0\\.0\\.1:${port(1143)}/`));
    assert.match(imapCommand, /--login-options AUTH=OAUTHBEARER --oauth2-bearer "\$TOKEN"/);
    assert.match(imapCommand, /--ssl-reqd --cacert /, 'under requireSSL the printed command uses STARTTLS');
    const imap = await run('sh', ['-c', imapCommand], { cwd: root, env: { ...process.env, TOKEN: token } });
    assert.equal(imap.code, 0, `curl IMAP login failed:\n${imap.stderr}`);
    assert.match(imap.stdout, /\* LIST .*INBOX/i, 'logged in, the mailbox list came back');
    assert.match(imap.stderr, /AUTHENTICATE OAUTHBEARER/, 'curl used OAUTHBEARER');
    const badImap = await run('sh', ['-c', imapCommand], { cwd: root, env: { ...process.env, TOKEN: `${token.slice(0, -4)}AAAA` } });
    assert.notEqual(badImap.code, 0, 'a token with a broken signature is refused');

    // The printed SMTP command too, from a directory holding message.eml.
    const smtpLine = stdout.split('\n').find((l) => l.includes('SMTP login:'));
    assert.ok(smtpLine, `the banner prints an SMTP login command:\n${stdout}`);
    await writeFile(join(root, 'message.eml'), `From: ${demoUser}\r\nTo: ${demoUser}\r\nSubject: smoke\r\n\r\nhello from curl\r\n`);
    const smtp = await run('sh', ['-c', smtpLine.slice(smtpLine.indexOf('curl '))], { cwd: root, env: { ...process.env, TOKEN: token } });
    assert.equal(smtp.code, 0, `curl SMTP submission failed:\n${smtp.stderr}`);
    const examine = await run('curl', [
      '-s', '--ssl-reqd', '-k', `imap://127.0.0.1:${port(1143)}/`, '--login-options', 'AUTH=OAUTHBEARER', '--oauth2-bearer', token, '--user', `${demoUser}:`, '-X', 'EXAMINE INBOX',
    ]);
    assert.equal(examine.code, 0, examine.stderr);
    assert.match(examine.stdout, /\* 1 EXISTS/, 'the message sent with the printed SMTP command is in INBOX');

    // The same token is a JMAP bearer on the HTTPS listener (self-signed, hence -k).
    const jmap = await run('curl', ['-sk', '-H', `Authorization: Bearer ${token}`, `https://127.0.0.1:${port(8000)}/jmap/session`]);
    assert.equal(jmap.code, 0, jmap.stderr);
    const session = JSON.parse(jmap.stdout) as { username?: string };
    assert.equal(session.username, demoUser);

    // The sample conf is what newcomers copy: it must start without a warning, and nothing above
    // went wrong on the server side.
    const complaints = stderr
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => {
        try {
          return (JSON.parse(l) as { level?: number }).level! >= 40;
        } catch {
          return true; // not a log record: something wrote to stderr behind the logger's back
        }
      });
    assert.deepEqual(complaints, [], 'no warning, error or stray output on stderr');

    child.kill('SIGTERM');
    const { code, signal } = await withTimeout(exited, 30_000, 'tessera serve to exit after SIGTERM');
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr.split('\n').slice(-10).join('\n'));
  });
});
