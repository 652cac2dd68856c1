// Issue #16: a James administrator's conf/ starts unchanged and does what it says. For each sample
// conf/ of James in ../shared/james-conf, a copy (binds moved to free loopback ports, see
// james-sample-run.ts for the only rewrites) is started with the real `tessera serve`, and:
// - the start-up log names each James file Tessera does not serve exactly once, says each default
//   that is safer than James' exactly once, warns about every listener taking credentials in clear
//   text, and never takes a real James key for a typo ("check its spelling");
// - the missing conf/keystore is created, its fingerprint logged, and real TLS clients verifying
//   that certificate complete their handshakes;
// - every listener offers (or not) logins exactly as its James settings say, checked with real
//   SMTP, IMAP and HTTP clients.
// The expectations are one table entry per sample: other items of the issue add fields and checks to
// it (see SampleExpectations.checks).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { RawClient } from '../imap/raw-client.js';
import { RawSmtpClient } from '../smtp/raw-client.js';
import { javaKeystore, pemPairs } from '../config/fixtures.js';
import { addUser, copySample, PASSWORD, serve, SHARED_JAMES_CONF, USER, type LogLine, type RunningSample, type SampleCopy } from './james-sample-run.js';

const run = promisify(execFile);

/**
 * How a listener takes logins:
 * - 'not-served': no AUTH command at all (James' NoAuthCmdHandlerLoader): 502, relaying refused;
 * - 'after-starttls': refused before STARTTLS (requireSSL), accepted after it;
 * - 'implicit-tls': the connection is TLS from the first byte, logins accepted;
 * - 'clear-text': accepted without TLS (requireSSL false) — and warned about at start;
 * - 'impossible': requireSSL without any TLS: refused, and warned about at start.
 */
type Login = 'not-served' | 'after-starttls' | 'implicit-tls' | 'clear-text' | 'impossible';

interface ListenerExpectation {
  protocol: 'smtp' | 'imap';
  login: Login;
}

interface SampleExpectations {
  /** Folder of ../shared/james-conf. */
  sample: string;
  /** 'ok', or the one-line refusal expected at start (with why, for the reader). */
  start: 'ok' | { refusedWith: RegExp; because: string };
  /** Listeners by jmxName. */
  listeners: Record<string, ListenerExpectation>;
  /** JMAP: on loopback only (Tessera's default) and Basic only through a TLS-terminating proxy. */
  jmap?: 'proxy-only';
  /** Listeners named in a CLEAR-TEXT CREDENTIALS warning. */
  clearText: string[];
  /** Each "safer than James" line expected exactly once (and no other). */
  notices: RegExp[];
  /** Other checks on the running sample, for further items of the issue. */
  checks?: Array<(s: RunningSample, copy: SampleCopy) => Promise<void>>;
}

/** Files of a conf/ directory Tessera reads; every other configuration file is named as not served. */
const SERVED = new Set(['imapserver.xml', 'smtpserver.xml', 'lmtpserver.xml', 'pop3server.xml', 'managesieveserver.xml', 'jmap.properties', 'webadmin.properties', 'dnsservice.xml', 'usersrepository.xml', 'domainlist.xml', 'tessera.properties']);
/** Data referenced by configuration, not configuration: not reported. */
const DATA_FILES = new Set(['jwt_publickey', 'keystore']);

const LITERALS = /^not set: IMAP literals \(APPEND\) up to 64 MB \(James: unlimited\)/;
const JMAP_LOOPBACK = /^not set: JMAP listens on 127\.0\.0\.1:0 only \(James: every interface\).*set jmap\.host=0\.0\.0\.0/;
const AUTH_BEFORE_STARTTLS = /^under requireSSL, AUTH before STARTTLS is refused \(538 5\.7\.11\).*James only leaves AUTH out of EHLO/;

/** James' three SMTP listeners as every server sample has them: MX without AUTH, SMTPS, submission. */
const JAMES_SMTP: Record<string, ListenerExpectation> = {
  'smtpserver-global': { protocol: 'smtp', login: 'not-served' },
  'smtpserver-TLS': { protocol: 'smtp', login: 'implicit-tls' },
  'smtpserver-authenticated': { protocol: 'smtp', login: 'after-starttls' },
};
const JAMES_IMAP: Record<string, ListenerExpectation> = {
  imapserver: { protocol: 'imap', login: 'after-starttls' },
  'imapserver-ssl': { protocol: 'imap', login: 'implicit-tls' },
};

const SAMPLES: SampleExpectations[] = [
  { sample: 'memory-app', start: 'ok', listeners: { ...JAMES_SMTP, ...JAMES_IMAP }, jmap: 'proxy-only', clearText: [], notices: [LITERALS, JMAP_LOOPBACK, AUTH_BEFORE_STARTTLS] },
  { sample: 'distributed-app', start: 'ok', listeners: { ...JAMES_SMTP, ...JAMES_IMAP }, jmap: 'proxy-only', clearText: [], notices: [LITERALS, JMAP_LOOPBACK, AUTH_BEFORE_STARTTLS] },
  { sample: 'distributed-pop3-app', start: 'ok', listeners: JAMES_SMTP, clearText: [], notices: [AUTH_BEFORE_STARTTLS] },
  { sample: 'jpa-app', start: 'ok', listeners: { ...JAMES_SMTP, ...JAMES_IMAP }, clearText: [], notices: [LITERALS, AUTH_BEFORE_STARTTLS] },
  { sample: 'jpa-smtp-app', start: 'ok', listeners: JAMES_SMTP, clearText: [], notices: [AUTH_BEFORE_STARTTLS] },
  {
    sample: 'postgres-app',
    start: 'ok',
    // Its STARTTLS IMAP listener says <plainAuthDisallowed>false</plainAuthDisallowed>: passwords in clear text, as in James.
    listeners: { ...JAMES_SMTP, imapserver: { protocol: 'imap', login: 'clear-text' }, 'imapserver-ssl': { protocol: 'imap', login: 'implicit-tls' } },
    jmap: 'proxy-only',
    clearText: ['imapserver'],
    notices: [LITERALS, JMAP_LOOPBACK, AUTH_BEFORE_STARTTLS],
  },
  {
    sample: 'scaling-pulsar-smtp',
    start: {
      refusedWith: /webadmin\.properties: host = "0\.0\.0\.0": unauthenticated WebAdmin on a non-loopback address; .*jwt\.enabled=true/,
      because: 'its WebAdmin listens on every interface without authentication (James: password.generate, which Tessera does not offer)',
    },
    listeners: JAMES_SMTP,
    clearText: [],
    notices: [AUTH_BEFORE_STARTTLS],
  },
  {
    sample: 'examples-oidc/james',
    start: {
      // James refuses it too (OidcSASLConfiguration: "'aud' is mandatory for secure set up") unless
      // started with -Djames.sasl.oidc.validate.aud=false; Tessera's equivalent is named in the line.
      refusedWith: /imapserver\.xml: imapserver\[1\]\.auth\.oidc\.aud: missing: .*auth\.oidc\.requireAudience=false/,
      because: 'its <oidc> blocks have no <aud>, which James refuses as well',
    },
    // What its SMTP and IMAP files say, for when it starts: SMTP 587 without TLS and without
    // <requireSSL> takes logins in clear text as in James; IMAP without TLS keeps James' IMAP default
    // requireSSL=true, so no login can succeed there. (Its users are in LDAP: starting it needs a slapd.)
    listeners: { smtpserver: { protocol: 'smtp', login: 'clear-text' }, imapserver: { protocol: 'imap', login: 'impossible' } },
    clearText: ['smtpserver'],
    notices: [LITERALS, JMAP_LOOPBACK],
  },
];

const ci = process.env['CI'] === 'true';
const shared = existsSync(SHARED_JAMES_CONF);
if (!shared && !ci) console.log(`# James sample tests skipped: ${SHARED_JAMES_CONF} not found`);

const plain = (user: string, pass: string): string => Buffer.from(`\0${user}\0${pass}`).toString('base64');

function warnings(s: RunningSample): LogLine[] {
  return s.logs.filter((l) => l.level === 40);
}

/** The certificate a TLS client must accept, and the name it asks for. */
interface Identity {
  ca: string;
  servername: string;
}

/** Reads from `socket` until `done` matches what arrived; returns it. */
function readUntil(socket: net.Socket, done: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      if (done.test(got)) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/**
 * A TLS handshake that verifies the server's certificate against `id` (no rejectUnauthorized:false):
 * on connect for implicit TLS, after the protocol's STARTTLS otherwise.
 */
async function verifyTls(port: number, id: Identity, mode: 'implicit' | 'smtp-starttls' | 'imap-starttls'): Promise<void> {
  let socket: net.Socket | undefined;
  if (mode !== 'implicit') {
    const raw = net.connect(port, '127.0.0.1');
    socket = raw;
    if (mode === 'smtp-starttls') {
      await readUntil(raw, /^220 .*\r\n/m);
      raw.write('EHLO client.test\r\n');
      await readUntil(raw, /^250 .*\r\n/m);
      raw.write('STARTTLS\r\n');
      await readUntil(raw, /^220 .*\r\n/m);
    } else {
      await readUntil(raw, /^\* OK.*\r\n/m);
      raw.write('s STARTTLS\r\n');
      await readUntil(raw, /^s OK.*\r\n/m);
    }
  }
  const secure = tls.connect({ ...(socket ? { socket } : { host: '127.0.0.1', port }), servername: id.servername, ca: id.ca });
  try {
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    assert.ok(secure.authorized, `certificate not verified on port ${port}`);
  } finally {
    secure.destroy();
  }
}

async function checkSmtp(s: RunningSample, name: string, login: Login, id: Identity | undefined): Promise<void> {
  const port = s.port(name);
  const good = `AUTH PLAIN ${plain(USER, PASSWORD)}`;
  if (id && (login === 'implicit-tls' || login === 'after-starttls')) await verifyTls(port, id, login === 'implicit-tls' ? 'implicit' : 'smtp-starttls');
  const { client: c } = await RawSmtpClient.connect(port, { tls: login === 'implicit-tls' });
  try {
    const ehlo = await c.command('EHLO client.test');
    assert.equal(ehlo.code, 250, `${name}: ${ehlo.text}`);
    switch (login) {
      case 'not-served': {
        assert.ok(!ehlo.lines.some((l) => /AUTH/.test(l)), `${name} announces AUTH: ${ehlo.text}`);
        assert.equal((await c.command(good)).code, 502, `${name}: AUTH must not exist`);
        // Still an MX: mail for a local user is taken (the test's 127.0.0.1 is in the samples'
        // authorizedAddresses, so relaying rules cannot be seen from here).
        assert.equal((await c.command('MAIL FROM:<someone@remote.test>')).code, 250);
        assert.equal((await c.command(`RCPT TO:<${USER}>`)).code, 250, `${name}: local recipient`);
        break;
      }
      case 'after-starttls': {
        assert.ok(!ehlo.lines.some((l) => /AUTH/.test(l)), `${name} announces AUTH before TLS: ${ehlo.text}`);
        assert.equal((await c.command(good)).code, 538, `${name}: AUTH before STARTTLS`);
        assert.equal((await c.command('STARTTLS')).code, 220);
        await c.upgrade();
        assert.equal((await c.command('EHLO client.test')).code, 250);
        assert.equal((await c.command(good)).code, 235, `${name}: AUTH after STARTTLS`);
        break;
      }
      case 'implicit-tls':
      case 'clear-text':
        assert.equal((await c.command(good)).code, 235, `${name}: AUTH`);
        break;
      case 'impossible':
        assert.notEqual((await c.command(good)).code, 235, `${name}: AUTH`);
        break;
    }
  } finally {
    c.close();
  }
}

async function checkImap(s: RunningSample, name: string, login: Login, id: Identity | undefined): Promise<void> {
  const port = s.port(name);
  if (id && (login === 'implicit-tls' || login === 'after-starttls')) await verifyTls(port, id, login === 'implicit-tls' ? 'implicit' : 'imap-starttls');
  const c = await RawClient.connect(port, { tls: login === 'implicit-tls' });
  const loginLine = `LOGIN ${USER} ${PASSWORD}`;
  try {
    const caps = (await c.command('c', 'CAPABILITY')).join('\n');
    switch (login) {
      case 'after-starttls': {
        assert.match(caps, /LOGINDISABLED/, `${name}: ${caps}`);
        assert.match((await c.command('l', loginLine)).at(-1)!, /^l NO/, `${name}: LOGIN before STARTTLS`);
        assert.match((await c.command('s', 'STARTTLS')).at(-1)!, /^s OK/);
        await c.upgrade();
        assert.match((await c.command('l', loginLine)).at(-1)!, /^l OK/, `${name}: LOGIN after STARTTLS`);
        break;
      }
      case 'implicit-tls':
      case 'clear-text':
        assert.doesNotMatch(caps, /LOGINDISABLED/, `${name}: ${caps}`);
        assert.match((await c.command('l', loginLine)).at(-1)!, /^l OK/, `${name}: LOGIN`);
        break;
      case 'impossible':
        assert.match(caps, /LOGINDISABLED/, `${name}: ${caps}`);
        assert.doesNotMatch(caps, /STARTTLS/, `${name}: ${caps}`);
        assert.match((await c.command('l', loginLine)).at(-1)!, /^l NO/, `${name}: LOGIN`);
        break;
      case 'not-served':
        throw new Error(`${name}: IMAP always serves LOGIN`);
    }
  } finally {
    c.close();
  }
}

function jmapSession(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/jmap/session', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function checkJmap(s: RunningSample): Promise<void> {
  assert.match(s.address('jmap'), /^http:\/\/127\.0\.0\.1:\d+\/jmap$/, 'JMAP on loopback only');
  const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const port = s.port('jmap');
  assert.equal(await jmapSession(port, { Authorization: basic }), 401, 'Basic over plain HTTP');
  assert.equal(await jmapSession(port, { Authorization: basic, 'X-Forwarded-Proto': 'https' }), 200, 'Basic from a TLS-terminating proxy on this host');
  const line = warnings(s).find((l) => /^JMAP has no TLS/.test(l.msg));
  assert.ok(line, 'one warning says how Basic can be used');
}

/** The certificate of a PKCS#12 keystore, as PEM, read by the openssl CLI. */
async function keystoreCertificate(file: string, password: string): Promise<string> {
  const { stdout } = await run('openssl', ['pkcs12', '-in', file, '-nokeys', '-passin', `pass:${password}`]);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(stdout)?.[0];
  assert.ok(pem, `no certificate in ${file}`);
  return pem;
}

async function checkStartLog(e: SampleExpectations, s: RunningSample, copy: SampleCopy): Promise<void> {
  const logs = s.logs;
  // Every James file Tessera does not serve, named exactly once; nothing else named so.
  const files = (await readdir(path.join(SHARED_JAMES_CONF, e.sample), { withFileTypes: true })).filter((f) => f.isFile()).map((f) => f.name);
  const expected = files.filter((f) => !SERVED.has(f) && !DATA_FILES.has(f)).sort();
  const named = logs.filter((l) => l.level === 40 && /^James file not served by Tessera, ignored: /.test(l.msg)).map((l) => path.basename(l.file ?? ''));
  assert.deepEqual([...named].sort(), expected, 'each file not served is named once');

  const typos = logs.filter((l) => /check its spelling/.test(l.msg));
  assert.deepEqual(typos.map((l) => `${l.file} ${l.key}: ${l.msg}`), [], 'no James key is taken for a typo');

  const notices = logs.filter((l) => l.notice === 'safer than James');
  for (const pattern of e.notices) {
    assert.equal(notices.filter((n) => pattern.test(n.msg)).length, 1, `one line matching ${pattern}; got ${JSON.stringify(notices.map((n) => n.msg))}`);
  }
  assert.equal(notices.length, e.notices.length, `only the expected safer-than-James lines: ${JSON.stringify(notices.map((n) => n.msg))}`);

  const clear = warnings(s).filter((l) => /^CLEAR-TEXT CREDENTIALS/.test(l.msg)).map((l) => /\(([^()]+)\)$/.exec(l.where ?? '')?.[1]);
  assert.deepEqual(clear.sort(), [...e.clearText].sort(), 'a warning for every listener that takes credentials in clear text');
  void copy;
}

/** The keystore James' files point at was created, said once with its fingerprint; returns its certificate. */
async function checkKeystore(s: RunningSample, copy: SampleCopy): Promise<Identity | undefined> {
  const created = warnings(s).filter((l) => /^created the missing keystore/.test(l.msg));
  const tlsListeners = s.logs.filter((l) => l.msg === 'listening' && l.addresses?.some((a) => /^(smtps|imaps):|\(STARTTLS\)/.test(a)));
  if (tlsListeners.length === 0) {
    assert.deepEqual(created, []);
    return undefined;
  }
  assert.equal(created.length, 1, 'one line about the created keystore');
  const line = created[0]!;
  const file = path.join(copy.confDir, 'keystore');
  assert.equal(line.path, file);
  assert.match(line.msg, /PKCS12, alias "james"/);
  const cert = await keystoreCertificate(file, 'james72laBalle');
  const fingerprint = new X509Certificate(cert).fingerprint256;
  assert.equal(line.fingerprint256, fingerprint);
  assert.ok(line.msg.includes(fingerprint), 'the fingerprint is in the message itself');
  return { ca: cert, servername: 'localhost' };
}

describe('James sample conf/ directories, unchanged', { skip: !shared && !ci ? '../shared/james-conf not found' : false }, () => {
  for (const e of SAMPLES) {
    it(`${e.sample}: ${e.start === 'ok' ? 'starts and does what its files say' : 'is refused in one line'}`, async () => {
      const copy = await copySample(e.sample);
      try {
        if (e.start === 'ok') await addUser(copy);
        const outcome = await serve(copy);
        if (e.start !== 'ok') {
          assert.ok(!outcome.ok, `expected a refusal (${e.start.because})`);
          assert.equal(outcome.code, 1);
          const lines = outcome.stderr.split('\n').filter((l) => l.startsWith('tessera: '));
          assert.equal(lines.length, 1, outcome.stderr);
          assert.match(lines[0]!, e.start.refusedWith);
          return;
        }
        assert.ok(outcome.ok, `tessera serve refused to start: ${outcome.ok ? '' : outcome.stderr}`);
        const s = outcome.run;
        try {
          await checkStartLog(e, s, copy);
          const id = await checkKeystore(s, copy);
          for (const [name, l] of Object.entries(e.listeners)) {
            if (l.protocol === 'smtp') await checkSmtp(s, name, l.login, id);
            else await checkImap(s, name, l.login, id);
          }
          if (e.jmap === 'proxy-only') await checkJmap(s);
          for (const check of e.checks ?? []) await check(s, copy);
        } finally {
          assert.equal(await s.stop(), 0, 'SIGTERM stops it cleanly');
        }
      } finally {
        await copy.cleanup();
      }
    });
  }

  it('memory-app: a second start uses the keystore the first created', async () => {
    const copy = await copySample('memory-app');
    try {
      await addUser(copy);
      const first = await serve(copy);
      assert.ok(first.ok, first.ok ? '' : first.stderr);
      const id = await checkKeystore(first.run, copy);
      assert.ok(id);
      assert.equal(await first.run.stop(), 0);
      const second = await serve(copy);
      assert.ok(second.ok, second.ok ? '' : second.stderr);
      try {
        assert.deepEqual(warnings(second.run).filter((l) => /created the missing keystore/.test(l.msg)), [], 'not created twice');
        await checkSmtp(second.run, 'smtpserver-TLS', 'implicit-tls', id);
        await checkImap(second.run, 'imapserver-ssl', 'implicit-tls', id);
      } finally {
        assert.equal(await second.run.stop(), 0);
      }
    } finally {
      await copy.cleanup();
    }
  });

  it('memory-app with the JKS keystore a James administrator made with keytool: TLS presents its certificate', async () => {
    const copy = await copySample('memory-app');
    try {
      const [pair] = await pemPairs();
      await writeFile(path.join(copy.confDir, 'keystore'), await javaKeystore(pair, 'james72laBalle'));
      // James' sample declares keystoreType PKCS12; the JKS file is read as Java reads it.
      assert.match(await readFile(path.join(copy.confDir, 'smtpserver.xml'), 'utf8'), /<keystoreType>PKCS12<\/keystoreType>/);
      await addUser(copy);
      const outcome = await serve(copy);
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.stderr);
      try {
        const about = warnings(outcome.run).filter((l) => /created the missing keystore/.test(l.msg) || (/\.tls\.keystore$/.test(l.key ?? '') && !/neither socketTLS nor startTLS/.test(l.msg)));
        assert.deepEqual(about, [], 'the keystore is used as it is');
        // The fixture's certificate names mail.test.
        const id = { ca: pair.cert, servername: 'mail.test' };
        await checkSmtp(outcome.run, 'smtpserver-TLS', 'implicit-tls', id);
        await checkSmtp(outcome.run, 'smtpserver-authenticated', 'after-starttls', id);
        await checkImap(outcome.run, 'imapserver', 'after-starttls', id);
        await checkImap(outcome.run, 'imapserver-ssl', 'implicit-tls', id);
      } finally {
        assert.equal(await outcome.run.stop(), 0);
      }
    } finally {
      await copy.cleanup();
    }
  });
});
