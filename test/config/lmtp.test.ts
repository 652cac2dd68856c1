// lmtpserver.xml: James' sample blocks are served as LMTP listeners, and a block that would expose
// LMTP (mail for any local user, no authentication) beyond loopback is refused at start naming
// file, key and fix, unless <allowNonLoopback> opts in.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isLoopbackHost } from '../../src/config/lmtp.js';
import { expectConfigError, tempConf } from './fixtures.js';

const SAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/james-conf/jpa-app/lmtpserver.xml');

function lmtpXml(inner: string, enabled = true): string {
  return `<lmtpservers><lmtpserver enabled="${enabled}"><jmxName>lmtp-a</jmxName>${inner}</lmtpserver></lmtpservers>`;
}

async function load(xml: string) {
  const conf = await tempConf({ 'lmtpserver.xml': xml });
  try {
    return await conf.load();
  } finally {
    await conf.cleanup();
  }
}

test("James' sample lmtpserver.xml: read, no key taken for a typo, not named as ignored", { skip: !existsSync(SAMPLE) && process.env.CI !== 'true' }, async () => {
  const text = await readFile(SAMPLE, 'utf8');
  for (const enabled of [false, true]) {
    const loaded = await load(enabled ? text.replace('enabled="false"', 'enabled="true"') : text);
    assert.deepEqual(loaded.warnings.filter((w) => /unknown|spelling|not served/.test(w.message)).map((w) => w.message), []);
    const [block] = loaded.config.lmtp;
    assert.ok(block);
    assert.equal(block.enabled, enabled);
    assert.equal(block.lmtp, true);
    assert.equal(block.name, 'lmtpserver');
    assert.deepEqual(block.bind, [{ host: '127.0.0.1', port: 24 }]);
    assert.equal(block.timeout, 1200);
    assert.equal(block.connectionLimit, 0, 'James 0 = unlimited, as written');
    assert.equal(block.maxMessageSize, 0, 'maxmessagesize 0 = unlimited, as written');
    assert.equal(block.announce, 'never');
    assert.deepEqual(block.disabledCommands, ['AUTH', 'STARTTLS']);
    // connectionBacklog is a James setting Tessera names as not used.
    assert.ok(loaded.warnings.some((w) => w.key.endsWith('connectionBacklog')));
  }
});

test('a non-loopback bind is refused with file, key and fix', async () => {
  await expectConfigError({ 'lmtpserver.xml': lmtpXml('<bind>0.0.0.0:24</bind>') }, {
    file: 'lmtpserver.xml',
    key: 'lmtpserver[1].bind',
    value: '0.0.0.0:24',
    fix: '<allowNonLoopback>true</allowNonLoopback>',
  });
  await expectConfigError({ 'lmtpserver.xml': lmtpXml('<bind>127.0.0.1:24, 192.0.2.7:24</bind>') }, {
    file: 'lmtpserver.xml',
    key: 'lmtpserver[1].bind',
    value: '192.0.2.7:24',
    fix: '<bind>127.0.0.1:24</bind>',
  });
});

test('<allowNonLoopback>true</allowNonLoopback> opts in; a disabled block is not checked', async () => {
  const open = await load(lmtpXml('<bind>0.0.0.0:2424</bind><allowNonLoopback>true</allowNonLoopback>'));
  assert.deepEqual(open.config.lmtp[0]!.bind, [{ host: '0.0.0.0', port: 2424 }]);
  const off = await load(lmtpXml('<bind>0.0.0.0:24</bind>', false));
  assert.equal(off.config.lmtp[0]!.enabled, false);
});

test('TLS on an LMTP block is refused', async () => {
  await expectConfigError({ 'lmtpserver.xml': lmtpXml('<bind>127.0.0.1:24</bind><tls socketTLS="true" startTLS="false"/>') }, {
    file: 'lmtpserver.xml',
    key: 'lmtpserver[1].tls',
    value: '',
    fix: 'remove <tls>',
  });
});

test('an LMTP bind clashing with an SMTP one is refused', async () => {
  const conf = await tempConf({
    'lmtpserver.xml': lmtpXml('<bind>127.0.0.1:2525</bind>'),
    'smtpserver.xml': '<smtpservers><smtpserver><bind>127.0.0.1:2525</bind></smtpserver></smtpservers>',
  });
  try {
    await assert.rejects(conf.load(), /lmtpserver\[1\]\.bind|smtpserver\[1\]\.bind/);
  } finally {
    await conf.cleanup();
  }
});

test('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '192.0.2.1', 'mail.example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
});

test('<unixSocket> (a Tessera key) is read, with or without <bind>; a relative or over-long path is refused', async () => {
  const only = await load(lmtpXml('<unixSocket>/run/tessera/lmtp.sock</unixSocket>'));
  assert.deepEqual(only.warnings.filter((w) => /unknown|spelling/.test(w.message)).map((w) => w.message), []);
  assert.equal(only.config.lmtp[0]?.unixSocket, '/run/tessera/lmtp.sock');
  assert.deepEqual(only.config.lmtp[0]?.bind, []);
  const both = await load(lmtpXml('<bind>127.0.0.1:24</bind><unixSocket>/run/tessera/lmtp.sock</unixSocket>'));
  assert.deepEqual(both.config.lmtp[0]?.bind, [{ host: '127.0.0.1', port: 24 }]);
  assert.equal(both.config.lmtp[0]?.unixSocket, '/run/tessera/lmtp.sock');
  await expectConfigError({ 'lmtpserver.xml': lmtpXml('<unixSocket>run/lmtp.sock</unixSocket>') }, {
    file: 'lmtpserver.xml',
    key: 'lmtpserver[1].unixSocket',
    value: 'run/lmtp.sock',
    fix: 'an absolute path',
  });
  const long = `/${'d'.repeat(120)}/lmtp.sock`;
  await expectConfigError({ 'lmtpserver.xml': lmtpXml(`<unixSocket>${long}</unixSocket>`) }, {
    file: 'lmtpserver.xml',
    key: 'lmtpserver[1].unixSocket',
    value: long,
    fix: 'at most 107 bytes',
  });
  await expectConfigError({ 'lmtpserver.xml': lmtpXml('') }, { file: 'lmtpserver.xml', key: 'lmtpserver[1].bind', value: '', fix: '<bind>host:port</bind>' });
});
