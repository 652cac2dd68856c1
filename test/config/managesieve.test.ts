// managesieveserver.xml: James' ManageSieve keys (the listener keys, <maxmessagesize>, the <oidc> its
// OIDC example writes directly in the block), Tessera's <auth> section, the safer defaults, and the
// account limits of tessera.properties sieve.*.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MANAGESIEVE_CONNECTION_LIMIT, DEFAULT_MANAGESIEVE_TIMEOUT_SECONDS } from '../../src/config/managesieve.js';
import { DEFAULT_SIEVE_MAX_SCRIPTS, SIEVE_INTERPRETER_MAX_SCRIPT_SIZE } from '../../src/config/settings.js';
import { DEFAULT_MAX_SCRIPT_SIZE } from '../../src/sieve/index.js';
import { expectConfigError, expectWarning, loadClean } from './fixtures.js';

const xml = (...blocks: string[]): string => `<managesieveservers>${blocks.join('')}</managesieveservers>`;
const SAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/james-conf/memory-app/managesieveserver.xml');

test("James' sample managesieveserver.xml is read with its keys (a disabled block)", async () => {
  // James tuning keys Tessera does without are named, not silently dropped.
  const loaded = await expectWarning({ 'managesieveserver.xml': await readFile(SAMPLE, 'utf8') }, { file: 'managesieveserver.xml', key: 'managesieveserver[1].connectionBacklog', includes: ['ignored'] });
  const m = loaded.config.managesieve[0]!;
  assert.equal(m.protocol, 'managesieve');
  assert.equal(m.enabled, false);
  assert.equal(m.name, 'managesieveserver');
  assert.deepEqual(m.bind, [{ host: '0.0.0.0', port: 4190 }]);
  assert.equal(m.timeout, 360);
  assert.equal(m.maxScriptUpload, 0);
});

test('a block gets safe defaults, <maxmessagesize> in kilobytes, and an <oidc> written in the block itself', async () => {
  const loaded = await loadClean({
    'managesieveserver.xml': xml(`<managesieveserver><bind>127.0.0.1:0</bind><maxmessagesize>32</maxmessagesize>
      <oidc><jwksURL>http://127.0.0.1:1/jwks</jwksURL><claim>email</claim><aud>urn:tessera:mail</aud></oidc></managesieveserver>`),
  });
  const m = loaded.config.managesieve[0]!;
  assert.equal(m.name, 'managesieve-1');
  assert.equal(m.timeout, DEFAULT_MANAGESIEVE_TIMEOUT_SECONDS);
  assert.equal(m.connectionLimit, DEFAULT_MANAGESIEVE_CONNECTION_LIMIT);
  assert.equal(m.maxScriptUpload, 32 * 1024);
  assert.equal(m.auth.requireSSL, true, "credentials only over TLS unless said otherwise (James' ManageSieve takes them in clear)");
  assert.equal(m.auth.oidc?.jwksURL, 'http://127.0.0.1:1/jwks');
  assert.equal(m.auth.oidc?.claim, 'email');
  assert.ok(loaded.notices.some((n) => n.key === 'managesieveserver[1].connectionLimit'));
});

test('a missing <bind> names the ManageSieve port in the fix', async () => {
  await expectConfigError({ 'managesieveserver.xml': xml('<managesieveserver></managesieveserver>') }, { file: 'managesieveserver.xml', key: 'managesieveserver[1].bind', value: '', fix: '0.0.0.0:4190' });
});

test('sieve.* limits: defaults, values, and a size above the interpreter bound refused', async () => {
  assert.equal(SIEVE_INTERPRETER_MAX_SCRIPT_SIZE, DEFAULT_MAX_SCRIPT_SIZE, 'the config bound is the interpreter one');
  const none = await loadClean({});
  assert.deepEqual(none.config.settings.sieve, { maxScripts: DEFAULT_SIEVE_MAX_SCRIPTS, maxScriptSize: SIEVE_INTERPRETER_MAX_SCRIPT_SIZE });
  const set = await loadClean({ 'tessera.properties': 'sieve.maxScripts=3\nsieve.maxScriptSize=16K\n' });
  assert.deepEqual(set.config.settings.sieve, { maxScripts: 3, maxScriptSize: 16 * 1024 });
  await expectConfigError({ 'tessera.properties': 'sieve.maxScriptSize=1M\n' }, { file: 'tessera.properties', key: 'sieve.maxScriptSize', value: '1M', fix: '256K' });
});
