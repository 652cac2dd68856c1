// Failed-login throttling across a whole running Tessera (runServe with every protocol factory): one
// throttle serves IMAP LOGIN, SMTP AUTH, JMAP Basic and the development IdP's POST /dev/token,
// configured by tessera.properties `auth.throttle.*`. Clients are plain sockets bound to different
// loopback addresses (127.0.0.0/8 all reaches the server on Linux), so each test has attackers and
// owners at addresses of its own.
//
// What must hold (issue "Hold under hostile clients", §2): parallel guesses cannot outrun the limit;
// an attacker elsewhere cannot lock the owner out; one user's failures do not lock out the others
// behind the same address; a blocked address is refused even with the right password until the
// block ends; every throttle and block is logged at warn, without the password.
import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { protocolFactories } from '../../src/server/protocols.js';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { listenerPort } from '../support/tessera-conf.js';
import { withDeadline } from '../support/wait.js';
import { LogSink } from './harness.js';

const DOMAIN = 'example.test';
const ALICE = `alice@${DOMAIN}`;
const ALICE_PW = 'alice-Throttle-secret-1';
const BOB = `bob@${DOMAIN}`;
const BOB_PW = 'bob-Throttle-secret-2';
// The office test has users of its own, untouched by the other tests' failures.
const CAROL = `carol@${DOMAIN}`;
const CAROL_PW = 'carol-Throttle-secret-3';
const DAVE = `dave@${DOMAIN}`;
const DAVE_PW = 'dave-Throttle-secret-4';
const WRONG = 'Wrong-guess-secret-';

/** Small settings so a test reaches each threshold in a few attempts. */
const USER_BLOCK_AFTER = 5;
const ADDRESS_BLOCK_AFTER = 12;
const BLOCK_SECONDS = 600;

const DEADLINE_MS = 60_000;

let root: string;
let running: RunningServer;
let log: LogSink;
let imapPort: number;
let smtpPort: number;
let jmapPort: number;
let devIdpPort: number;
/** Every password the tests send, to show none of them reaches the log. */
const sentPasswords = new Set<string>([ALICE_PW, BOB_PW, CAROL_PW, DAVE_PW]);
/** Password checks the users repository performed, per user name. */
const verifications = new Map<string, number>();

async function writeConf(confDir: string, dataDir: string): Promise<void> {
  const files: Record<string, string> = {
    'tessera.properties': [
      `data.dir=${dataDir}`,
      'log.level=info',
      'devIdp.enabled=true',
      'devIdp.port=0',
      'shutdown.timeout=2',
      'demo.seed=false',
      'auth.throttle.user.freeFailures=1',
      `auth.throttle.user.blockAfter=${USER_BLOCK_AFTER}`,
      'auth.throttle.address.freeFailures=6',
      `auth.throttle.address.blockAfter=${ADDRESS_BLOCK_AFTER}`,
      'auth.throttle.delayMs=1',
      'auth.throttle.maxDelayMs=4',
      `auth.throttle.block=${BLOCK_SECONDS}`,
      '',
    ].join('\n'),
    'domainlist.xml': `<domainlist><domainnames><domainname>${DOMAIN}</domainname></domainnames><defaultDomain>${DOMAIN}</defaultDomain></domainlist>\n`,
    'usersrepository.xml': '<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
    // Plain listeners with passwords allowed: the subject here is throttling, not TLS policy.
    'imapserver.xml': `<imapservers><imapserver enabled="true"><jmxName>imap</jmxName><bind>127.0.0.1:0</bind>
      <tls socketTLS="false" startTLS="false"/><connectionLimit>2000</connectionLimit><connectionLimitPerIP>1000</connectionLimitPerIP>
      <auth><plainAuthEnabled>true</plainAuthEnabled><requireSSL>false</requireSSL></auth></imapserver></imapservers>\n`,
    'smtpserver.xml': `<smtpservers><smtpserver enabled="true"><jmxName>submission</jmxName><bind>127.0.0.1:0</bind>
      <tls socketTLS="false" startTLS="false"/><helloName autodetect="false">mail.${DOMAIN}</helloName>
      <auth><announce>always</announce><requireAuthForRelay>true</requireAuthForRelay><plainAuthEnabled>true</plainAuthEnabled><requireSSL>false</requireSSL></auth>
      </smtpserver></smtpservers>\n`,
    'jmap.properties': ['enabled=true', 'jmap.host=127.0.0.1', 'jmap.port=0', 'tls.enabled=false', 'authentication.strategy.rfc8621=basic', 'auth.plainAuthEnabled=true', 'auth.requireSSL=false', ''].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tessera-throttle-'));
  const confDir = join(root, 'conf');
  const dataDir = join(root, 'var');
  await mkdir(confDir);
  await writeConf(confDir, dataDir);
  // Users exist before start, so the development IdP knows them.
  const embedded = await createEmbeddedUsersRepository(
    dataDir,
    { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
    { domainnames: [DOMAIN], defaultDomain: DOMAIN },
    silentLogger(),
  );
  await embedded.users.add(ALICE, ALICE_PW);
  await embedded.users.add(BOB, BOB_PW);
  await embedded.users.add(CAROL, CAROL_PW);
  await embedded.users.add(DAVE, DAVE_PW);
  await embedded.close();

  log = new LogSink();
  running = await runServe({ confDir, factories: protocolFactories, io: { stdout: new LogSink(), logDestination: log, env: {} } });
  imapPort = listenerPort(running, 'imap');
  smtpPort = listenerPort(running, 'submission');
  jmapPort = listenerPort(running, 'jmap');
  const idpLine = running.servers.find((s) => s.name === 'dev-openid')?.describe().join('\n') ?? '';
  devIdpPort = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(idpLine)?.[1] ?? 0);
  assert.ok(devIdpPort > 0, `development IdP address not found in ${JSON.stringify(idpLine)}`);

  // Counts the credential checks that reach the users repository (what the throttle must bound).
  const users = running.context.users;
  const verify = users.verifyPassword.bind(users);
  users.verifyPassword = async (username: string, password: string) => {
    verifications.set(username.toLowerCase(), (verifications.get(username.toLowerCase()) ?? 0) + 1);
    return verify(username, password);
  };
});

after(async () => {
  mock.timers.reset();
  await running?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A line reader over a socket. */
class Lines {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 2);
      }
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  /** The next line matching `pred` (earlier lines are skipped). */
  async next(pred: (line: string) => boolean): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) {
        if (pred(line)) return line;
        continue;
      }
      if (this.ended) throw new Error('connection closed before the expected line');
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}

async function open(port: number, from: string): Promise<Lines> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  const lines = new Lines(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return lines;
}

function quoted(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** IMAP LOGIN from `from`; the tagged answer. */
async function imapLogin(from: string, user: string, password: string): Promise<string> {
  sentPasswords.add(password);
  const c = await open(imapPort, from);
  try {
    await c.next((l) => l.startsWith('* OK'));
    c.socket.write(`a LOGIN ${quoted(user)} ${quoted(password)}\r\n`);
    return await c.next((l) => l.startsWith('a '));
  } finally {
    c.socket.destroy();
  }
}

/** SMTP AUTH PLAIN from `from`; the reply line. */
async function smtpAuth(from: string, user: string, password: string): Promise<string> {
  sentPasswords.add(password);
  const c = await open(smtpPort, from);
  try {
    await c.next((l) => l.startsWith('220 '));
    c.socket.write('EHLO client.example\r\n');
    await c.next((l) => l.startsWith('250 '));
    c.socket.write(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}\r\n`);
    return await c.next((l) => /^\d{3} /.test(l));
  } finally {
    c.socket.destroy();
  }
}

/** An HTTP request from `from`; the status code. */
function httpStatus(from: string, port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, method: init.method ?? 'GET', headers: { connection: 'close', ...init.headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** JMAP session with Basic credentials from `from`; the status code. */
function jmapBasic(from: string, user: string, password: string): Promise<number> {
  sentPasswords.add(password);
  return httpStatus(from, jmapPort, '/jmap/session', { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
}

/** POST /dev/token from `from`; the status code. */
function devToken(from: string, user: string, password: string): Promise<number> {
  sentPasswords.add(password);
  return httpStatus(from, devIdpPort, '/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: user, password }).toString(),
  });
}

const IMAP_OK = /^a OK /;
const IMAP_INVALID = /^a NO \[AUTHENTICATIONFAILED\]/;
const IMAP_THROTTLED = /^a NO \[UNAVAILABLE\]/;
const SMTP_OK = /^235 /;
const SMTP_THROTTLED = /^454 4\.7\.0 /;

/** The right password on every protocol from `from`: what each answered. */
async function rightPasswordEverywhere(from: string, user: string, password: string): Promise<{ imap: string; smtp: string; jmap: number; devIdp: number }> {
  return {
    imap: await imapLogin(from, user, password),
    smtp: await smtpAuth(from, user, password),
    jmap: await jmapBasic(from, user, password),
    devIdp: await devToken(from, user, password),
  };
}

describe('failed-login throttling across IMAP, SMTP, JMAP and the development IdP', () => {
  it('200 parallel wrong-password IMAP logins for one user from one address: only the allowance is verified', async () => {
    verifications.clear();
    const answers = await withDeadline(
      Promise.all(Array.from({ length: 200 }, (_, i) => imapLogin('127.0.0.10', ALICE, `${WRONG}${i}`))),
      DEADLINE_MS,
      '200 parallel IMAP logins',
    );
    assert.equal(verifications.get(ALICE), USER_BLOCK_AFTER, 'password checks that reached the users repository');
    assert.equal(answers.filter((a) => IMAP_INVALID.test(a)).length, USER_BLOCK_AFTER);
    assert.equal(answers.filter((a) => IMAP_THROTTLED.test(a)).length, 200 - USER_BLOCK_AFTER);
  });

  it('an attacker hammering alice from one address, over every protocol, does not lock alice out from another', async () => {
    const attacker = '127.0.0.20';
    for (let i = 0; i < 4; i++) assert.match(await imapLogin(attacker, ALICE, `${WRONG}imap${i}`), /^a NO /);
    for (let i = 0; i < 4; i++) assert.match(await smtpAuth(attacker, ALICE, `${WRONG}smtp${i}`), /^(535|454) /);
    for (let i = 0; i < 4; i++) assert.notEqual(await jmapBasic(attacker, ALICE, `${WRONG}jmap${i}`), 200);

    const atAttacker = await rightPasswordEverywhere(attacker, ALICE, ALICE_PW);
    assert.match(atAttacker.imap, IMAP_THROTTLED);
    assert.match(atAttacker.smtp, SMTP_THROTTLED);
    assert.equal(atAttacker.jmap, 429);
    assert.equal(atAttacker.devIdp, 429);

    const owner = await rightPasswordEverywhere('127.0.0.21', ALICE, ALICE_PW);
    assert.match(owner.imap, IMAP_OK);
    assert.match(owner.smtp, SMTP_OK);
    assert.equal(owner.jmap, 200);
    assert.equal(owner.devIdp, 200);
  });

  it('the development IdP token endpoint counts failures in the same throttle', async () => {
    const attacker = '127.0.0.25';
    for (let i = 0; i < USER_BLOCK_AFTER; i++) assert.equal(await devToken(attacker, BOB, `${WRONG}dev${i}`), 401);
    assert.equal(await devToken(attacker, BOB, BOB_PW), 429);
    assert.match(await imapLogin(attacker, BOB, BOB_PW), IMAP_THROTTLED, 'blocked on IMAP by failures at the IdP');
    assert.equal(await devToken('127.0.0.26', BOB, BOB_PW), 200);
  });

  it("one user's failures do not lock out the other users behind the same address", async () => {
    const office = '127.0.0.30';
    for (let i = 0; i < 11; i++) assert.match(await imapLogin(office, CAROL, `${WRONG}office${i}`), /^a NO /);
    assert.match(await imapLogin(office, CAROL, CAROL_PW), IMAP_THROTTLED, 'the guessed account is blocked at this address');
    assert.match(await imapLogin(office, DAVE, DAVE_PW), IMAP_OK);
    assert.match(await smtpAuth(office, DAVE, DAVE_PW), SMTP_OK);
    assert.equal(await jmapBasic(office, DAVE, DAVE_PW), 200);
    assert.match(await imapLogin('127.0.0.31', CAROL, CAROL_PW), IMAP_OK, 'carol herself from elsewhere');
  });

  it('failures against many names block the address, even with the right password, until the block ends', async () => {
    const sprayer = '127.0.0.40';
    for (let i = 0; i < ADDRESS_BLOCK_AFTER; i++) assert.match(await imapLogin(sprayer, `user${i}@${DOMAIN}`, `${WRONG}spray${i}`), IMAP_INVALID);
    const blocked = await rightPasswordEverywhere(sprayer, ALICE, ALICE_PW);
    assert.match(blocked.imap, IMAP_THROTTLED);
    assert.match(blocked.smtp, SMTP_THROTTLED);
    assert.equal(blocked.jmap, 429);
    assert.equal(blocked.devIdp, 429);
    assert.match(await imapLogin('127.0.0.41', ALICE, ALICE_PW), IMAP_OK, 'other addresses are not blocked');

    // Move the clock to the end of the block (only Date: sockets and timers keep running).
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      mock.timers.tick(BLOCK_SECONDS * 1000 - 1000);
      assert.match(await imapLogin(sprayer, ALICE, ALICE_PW), IMAP_THROTTLED, 'still blocked just before the end');
      mock.timers.tick(2000);
      assert.match(await imapLogin(sprayer, ALICE, ALICE_PW), IMAP_OK, 'admitted once the block has ended');
    } finally {
      mock.timers.reset();
    }
  });

  it('throttle and block events are logged at warn with address, user and protocol, never the password', () => {
    const events = log
      .text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const blocks = events.filter((e) => e.event === 'auth-throttle' && e.action === 'block');
    const warn = 40;
    assert.ok(
      blocks.some((e) => e.level === warn && e.peer === '127.0.0.20' && e.user === ALICE && e.scope === 'address+user' && typeof e.protocol === 'string'),
      'pair block logged',
    );
    assert.ok(blocks.some((e) => e.level === warn && e.peer === '127.0.0.25' && e.user === BOB && e.protocol === 'devidp'), 'block at the IdP logged');
    assert.ok(blocks.some((e) => e.level === warn && e.peer === '127.0.0.40' && e.scope === 'address' && e.protocol === 'imap'), 'address block logged');
    assert.ok(events.some((e) => e.event === 'auth-throttle' && e.action === 'delay' && e.level === warn && typeof e.delayMs === 'number'), 'delays logged');
    const refusals = events.filter((e) => e.event === 'auth' && e.result === 'throttled');
    assert.ok(refusals.length > 0 && refusals.every((e) => e.level === warn && typeof e.peer === 'string' && typeof e.protocol === 'string'));
    assert.ok(refusals.some((e) => e.protocol === 'smtp' && e.user === ALICE) && refusals.some((e) => e.protocol === 'jmap'));
    const text = log.text();
    for (const password of sentPasswords) assert.ok(!text.includes(password), `a password reached the log`);
  });
});
