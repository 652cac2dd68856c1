// webadmin.properties: James' keys, loopback by default, and refusal of what cannot be honoured
// (an unauthenticated API on a network address, passwords, a JWT setup without its key).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_WEBADMIN_HOST, DEFAULT_WEBADMIN_PORT } from '../../src/config/webadmin.js';
import { expectConfigError, expectWarning, loadClean } from './fixtures.js';

const PUBLIC_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('webadmin.properties', () => {
  it('absent: WebAdmin is off; present without host: loopback on James’ port', async () => {
    assert.equal((await loadClean({})).config.webadmin.enabled, false);
    const on = (await loadClean({ 'webadmin.properties': 'enabled=true\n' })).config.webadmin;
    assert.equal(on.enabled, true);
    assert.deepEqual(on.bind, { host: DEFAULT_WEBADMIN_HOST, port: DEFAULT_WEBADMIN_PORT });
    assert.deepEqual(on.jwt, { enabled: false, publicKeys: [] });
    assert.deepEqual(on.cors, { enabled: false, origin: '*' });
  });

  it('refuses a non-loopback host without authentication, naming the file, key and fix', async () => {
    await expectConfigError({ 'webadmin.properties': 'enabled=true\nhost=0.0.0.0\nport=8000\n' }, { file: 'webadmin.properties', key: 'host', value: '0.0.0.0', fix: 'jwt.enabled=true' });
    // James' own sample of the scaling setup, as shipped.
    const sample = await readFile(join(import.meta.dirname, '../../../shared/james-conf/scaling-pulsar-smtp/webadmin.properties'), 'utf8');
    await expectConfigError({ 'webadmin.properties': sample }, { file: 'webadmin.properties', key: 'host', value: '0.0.0.0', fix: 'host=127.0.0.1' });
  });

  it('takes a non-loopback host with JWT, reading conf/jwt_publickey as James does', async () => {
    const loaded = await expectWarning(
      { 'webadmin.properties': 'enabled=true\nhost=0.0.0.0\njwt.enabled=true\npassword.generate=true\ncors.enable=true\ncors.origin=https://a.example\n', jwt_publickey: PUBLIC_KEY },
      { file: 'webadmin.properties', key: 'password.generate', includes: ['not used by Tessera'] },
    );
    assert.deepEqual(loaded.config.webadmin.jwt, { enabled: true, publicKeys: [PUBLIC_KEY] });
    assert.deepEqual(loaded.config.webadmin.cors, { enabled: true, origin: 'https://a.example' });
  });

  it('refuses JWT without a public key, and passwords it would have to ignore', async () => {
    await expectConfigError({ 'webadmin.properties': 'enabled=true\njwt.enabled=true\n' }, { file: 'webadmin.properties', key: 'jwt.enabled', value: 'true', fix: 'jwt_publickey' });
    await expectConfigError({ 'webadmin.properties': 'enabled=true\njwt.enabled=true\njwt.publickeypem.url=file://conf/missing.pem\n' }, { file: 'webadmin.properties', key: 'jwt.publickeypem.url', value: 'file://conf/missing.pem', fix: 'cannot be read' });
    await expectConfigError({ 'webadmin.properties': 'enabled=true\npassword=secret1\n' }, { file: 'webadmin.properties', key: 'password', value: '(hidden)', fix: 'jwt.enabled=true' });
  });

  it('refuses oidc.enabled without a provider or without an administrator', async () => {
    await expectConfigError({ 'webadmin.properties': 'enabled=true\noidc.enabled=true\n' }, { file: 'webadmin.properties', key: 'oidc.enabled', value: 'true', fix: 'OpenID provider' });
  });
});
