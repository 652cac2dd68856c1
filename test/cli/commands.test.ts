import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { makeTestConf, type TestConf } from '../server/conf-fixture.js';
import { cli, cliOnTerminal } from './in-process.js';
import { COMMANDS } from '../../src/cli/run.js';
import { generalHelp } from '../../src/cli/commands/help.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function verify(c: TestConf, username: string, password: string): Promise<boolean> {
  const embedded = await createEmbeddedUsersRepository(
    c.dataDir,
    { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
    { domainnames: [], defaultDomain: 'example.test' },
    silentLogger(),
  );
  try {
    return await embedded.users.verifyPassword(username, password);
  } finally {
    await embedded.close();
  }
}

describe('tessera commands (in-process)', () => {
  let c: TestConf;
  before(async () => {
    c = await makeTestConf({ domains: ['example.test'] });
  });
  after(() => c.dispose());
  const conf = (): string[] => ['--conf', c.confDir];

  it('shows usage with help COMMAND and --help, and exits 2 on bad arguments', async () => {
    assert.match((await cli(['help', 'domain'])).stdout, /tessera domain remove DOMAIN/);
    assert.match((await cli(['user', '--help'])).stdout, /tessera user passwd NAME/);
    assert.equal((await cli(['--help'])).code, 0);
    assert.match((await cli(['--version'])).stdout, /^tessera \d+\.\d+\.\d+\n$/);
    for (const args of [
      ['help', 'nope'],
      ['user'],
      ['user', 'frob'],
      ['user', 'list', 'extra'],
      ['user', 'remove', 'a@example.test', '--password', 'x'],
      ['domain', 'add'],
      ['domain', 'list', 'x'],
      ['serve', 'extra'],
      ['user', 'list', '--conf'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: tessera/);
    }
  });

  it('adds, lists and removes domains, refusing duplicates and configured ones', async () => {
    assert.equal((await cli(['domain', 'add', 'Other.Test', ...conf()])).code, 0);
    assert.deepEqual((await cli(['domain', 'list', ...conf()])).stdout.trim().split('\n'), ['example.test', 'other.test']);
    const dup = await cli(['domain', 'add', 'other.test', ...conf()]);
    assert.deepEqual([dup.code, dup.stderr], [1, 'tessera: domain other.test already exists\n']);
    assert.equal((await cli(['domain', 'remove', 'OTHER.test', ...conf()])).code, 0);
    const configured = await cli(['domain', 'remove', 'example.test', ...conf()]);
    assert.equal(configured.code, 1);
    assert.match(configured.stderr, /configured in domainlist\.xml/);
    const bad = await cli(['domain', 'add', 'not a domain', ...conf()]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not a valid domain name/);
  });

  it('refuses to remove a domain that still has users', async () => {
    assert.equal((await cli(['domain', 'add', 'busy.test', ...conf()])).code, 0);
    assert.equal((await cli(['user', 'add', 'carol@busy.test', ...conf()], { input: 'pw\n' })).code, 0);
    const r = await cli(['domain', 'remove', 'busy.test', ...conf()]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'tessera: domain busy.test still has 1 user; remove it first (tessera user list)\n');
    assert.match((await cli(['domain', 'list', ...conf()])).stdout, /busy\.test/);
  });

  it('refuses a user in a domain outside the list, saying how to add it', async () => {
    const r = await cli(['user', 'add', 'bob@nowhere.test', ...conf()], { input: 'pw\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /domain nowhere\.test is not in the domain list; add it first with: tessera domain add nowhere\.test/);
  });

  it('takes only the first line of stdin as the password', async () => {
    assert.equal((await cli(['user', 'add', 'lines@example.test', ...conf()], { input: 'line one\nline two\n' })).code, 0);
    assert.equal(await verify(c, 'lines@example.test', 'line one'), true);
  });

  it('accepts --password with a warning that argv is visible to other users', async () => {
    const r = await cli(['user', 'add', 'dave@example.test', '--password', 'on-argv', ...conf()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: a password given with --password is visible to other users/);
    assert.equal(await verify(c, 'dave@example.test', 'on-argv'), true);
  });

  it('fails without a password on stdin, and refuses an existing user or an unusable password', async () => {
    const empty = await cli(['user', 'add', 'erin@example.test', ...conf()]);
    assert.deepEqual([empty.code, empty.stderr], [1, 'tessera: no password on standard input\n']);
    const blank = await cli(['user', 'add', 'erin@example.test', ...conf()], { input: '\n' });
    assert.deepEqual([blank.code, blank.stderr], [1, 'tessera: the password is empty\n']);
    const exists = await cli(['user', 'add', 'DAVE@example.test', ...conf()], { input: 'pw\n' });
    assert.deepEqual([exists.code, exists.stderr], [1, 'tessera: user dave@example.test already exists\n']);
    const unknown = await cli(['user', 'passwd', 'ghost@example.test', ...conf()], { input: 'pw\n' });
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'tessera: user ghost@example.test does not exist\n']);
  });

  it('refuses malformed user names on one line', async () => {
    const r = await cli(['user', 'add', 'no-domain', ...conf()], { input: 'pw\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tessera: "no-domain" must be of the form user@domain \(virtual hosting is on\)\n$/);
  });

  it('prompts twice on a terminal without echoing, and restores the terminal', async () => {
    const r = await cliOnTerminal(['user', 'add', 'tty@example.test', ...conf()], ['typed secret\r', 'typed secret\r']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /New password for tty@example\.test: \nRetype the password: \n/);
    assert.equal(r.stderr.includes('typed secret'), false);
    assert.deepEqual(r.terminal.rawModes, [true, false, true, false]);
    assert.equal(await verify(c, 'tty@example.test', 'typed secret'), true);
  });

  it('applies backspace on the terminal and refuses two different entries', async () => {
    const fixed = await cliOnTerminal(['user', 'passwd', 'tty@example.test', ...conf()], ['newx\u007f!\r', 'new!\r']);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(await verify(c, 'tty@example.test', 'new!'), true);
    const differ = await cliOnTerminal(['user', 'passwd', 'tty@example.test', ...conf()], ['one\r', 'two\r']);
    assert.deepEqual([differ.code, differ.stderr.trim().split('\n').at(-1)], [1, 'tessera: the two passwords differ; nothing was changed']);
    assert.equal(await verify(c, 'tty@example.test', 'new!'), true);
    const aborted = await cliOnTerminal(['user', 'passwd', 'tty@example.test', ...conf()], ['\u0003']);
    assert.equal(aborted.code, 1);
    assert.match(aborted.stderr, /password entry aborted/);
  });

  it('finds the conf directory through TESSERA_CONF', async () => {
    const r = await cli(['domain', 'list'], { env: { TESSERA_CONF: c.confDir } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^example\.test$/m);
  });

  it('reports a missing conf directory as a one-line configuration error', async () => {
    const r = await cli(['domain', 'list', '--conf', join(c.root, 'nowhere')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tessera: .*nowhere.*no such directory[^\n]*\n$/);
  });

  it('reads only what each command needs: a broken or noisy listener file neither stops nor clutters administration', async () => {
    const noisy = await makeTestConf({ imapBlocks: '<imapserver enabled="true"><bind>127.0.0.1:1143</bind><tls socketTLS="maybe"' });
    try {
      await writeFile(join(noisy.confDir, 'smtpserver.xml'), '<smtpservers><smtpserver enabled="true"><bind>127.0.0.1:0</bind><handlerchain/><dnsService/></smtpserver></smtpservers>\n');
      await writeFile(join(noisy.confDir, 'jmap.properties'), 'enabled=true\njmap.port=0\nsome.james.key=1\n');
      const conf = ['--conf', noisy.confDir];
      assert.match((await cli(['serve', ...conf])).stderr, /imapserver\.xml/, 'the server itself does read the broken file');
      for (const [args, input] of [
        [['domain', 'add', 'noisy.test'], undefined],
        [['domain', 'list'], undefined],
        [['user', 'add', 'gina@noisy.test'], 'pw\n'],
        [['user', 'passwd', 'gina@noisy.test'], 'pw2\n'],
        [['user', 'list'], undefined],
      ] as const) {
        const r = await cli([...args, ...conf], input === undefined ? {} : { input });
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /warning|imapserver|smtpserver|jmap\.properties/, `${args.join(' ')} reads no listener file`);
      }
      assert.equal((await cli(['user', 'list', ...conf])).stdout, 'gina@noisy.test\n');
      const sessions = await cli(['sessions', 'list', ...conf]);
      assert.equal(sessions.code, 1);
      assert.doesNotMatch(sessions.stderr, /warning|imapserver|smtpserver|jmap\.properties/);
      assert.match(sessions.stderr, /not running/);
      const mbox = join(noisy.root, 'in.mbox');
      await writeFile(mbox, 'From gina@noisy.test Mon Jan  2 10:00:00 2023\nSubject: hi\n\nhello\n');
      const imported = await cli(['import', '--user', 'gina@noisy.test', mbox, ...conf]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.doesNotMatch(imported.stderr, /warning|imapserver|smtpserver|jmap\.properties/);
      const exported = await cli(['export', '--user', 'gina@noisy.test', '--mailbox', 'INBOX', join(noisy.root, 'out.mbox'), ...conf]);
      assert.equal(exported.code, 0, exported.stderr);
      assert.doesNotMatch(exported.stderr, /warning|imapserver|smtpserver|jmap\.properties/);
    } finally {
      await noisy.dispose();
    }
  });

  it('help texts name only tessera.properties keys that exist (the sample documents every key)', async () => {
    const sample = await readFile(join(ROOT, 'conf', 'tessera.properties'), 'utf8');
    const documented = new Set([...sample.matchAll(/^#?\s*([A-Za-z][\w.]*)\s*=/gm)].map((m) => m[1]!));
    const texts = [generalHelp(COMMANDS), ...COMMANDS.map((c) => c.usage)].join('\n');
    const named = [...texts.matchAll(/([A-Za-z][\w.]*) in tessera\.properties/g)].map((m) => m[1]!);
    assert.ok(named.length > 0, 'the help names some key');
    for (const key of named) assert.ok(documented.has(key), `help names "${key}", which tessera.properties does not have`);
    assert.match((await cli(['serve', '--help'])).stdout, /log\.level in tessera\.properties/);
  });

  it('manages bare names when virtual hosting is off', async () => {
    const bare = await makeTestConf({ virtualHosting: false });
    try {
      assert.equal((await cli(['user', 'add', 'Frank', '--conf', bare.confDir], { input: 'pw\n' })).code, 0);
      assert.equal((await cli(['user', 'list', '--conf', bare.confDir])).stdout, 'frank\n');
      const withDomain = await cli(['user', 'add', 'frank@example.test', '--conf', bare.confDir], { input: 'pw\n' });
      assert.equal(withDomain.code, 1);
      assert.match(withDomain.stderr, /virtual hosting is off/);
    } finally {
      await bare.dispose();
    }
  });
});
