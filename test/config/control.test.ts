// tessera.properties control.http.*: where back-channel logout is served when JMAP is not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controlHttpActive, DEFAULT_CONTROL_HTTP_BIND } from '../../src/config/control.js';
import { expectConfigError, loadClean } from './fixtures.js';

const OIDC = `<oidc>
  <oidcConfigurationURL>https://idp.test/.well-known/openid-configuration</oidcConfigurationURL>
  <claim>email</claim>
  <aud>james</aud>
</oidc>`;
const imapWithOidc = `<imapserver enabled="true">
  <bind>127.0.0.1:1143</bind>
  <tls socketTLS="false" startTLS="false"/>
  <auth><plainAuthEnabled>false</plainAuthEnabled>${OIDC}</auth>
</imapserver>`;
const imapPasswordsOnly = `<imapserver enabled="true"><bind>127.0.0.1:1143</bind><tls socketTLS="false" startTLS="false"/><auth><requireSSL>false</requireSSL></auth></imapserver>`;
const jmapOn = 'enabled=true\njmap.host=127.0.0.1\njmap.port=8000\ntls.enabled=false\nauth.requireSSL=false\n';

describe('tessera.properties control.http', () => {
  it('defaults: loopback port 8001, started only when JMAP is off and a listener takes OIDC tokens', async () => {
    const withoutJmap = await loadClean({ 'imapserver.xml': imapWithOidc });
    assert.deepEqual(withoutJmap.config.control, { http: { enabled: 'auto', bind: { ...DEFAULT_CONTROL_HTTP_BIND } } });
    assert.equal(controlHttpActive(withoutJmap.config), true);
    const withJmap = await loadClean({ 'imapserver.xml': imapWithOidc, 'jmap.properties': jmapOn });
    assert.equal(controlHttpActive(withJmap.config), false, 'JMAP serves back-channel logout itself');
    const noTokens = await loadClean({ 'imapserver.xml': imapPasswordsOnly });
    assert.equal(controlHttpActive(noTokens.config), false, 'no provider could send a logout token');
  });

  it('an explicit bind address starts it, also beside JMAP; enabled=false never', async () => {
    const bound = await loadClean({ 'tessera.properties': 'control.http.bind=[::1]:9001\n', 'jmap.properties': jmapOn });
    assert.deepEqual(bound.config.control.http, { enabled: true, bind: { host: '::1', port: 9001 } });
    assert.equal(controlHttpActive(bound.config), true);
    const off = await loadClean({ 'tessera.properties': 'control.http.enabled=false\ncontrol.http.bind=127.0.0.1:9001\n', 'imapserver.xml': imapWithOidc });
    assert.equal(controlHttpActive(off.config), false);
    const on = await loadClean({ 'tessera.properties': 'control.http.enabled=TRUE\n' });
    assert.equal(controlHttpActive(on.config), true);
  });

  it('bad values and a clash with another listener are start-up errors naming the key', async () => {
    await expectConfigError({ 'tessera.properties': 'control.http.enabled=maybe\n' }, { file: 'tessera.properties', key: 'control.http.enabled', value: 'maybe', fix: 'auto, true, false' });
    await expectConfigError({ 'tessera.properties': 'control.http.bind=8001\n' }, { file: 'tessera.properties', key: 'control.http.bind', value: '8001', fix: 'host:port' });
    await expectConfigError(
      { 'tessera.properties': 'control.http.bind=127.0.0.1:8000\n', 'jmap.properties': jmapOn },
      { file: 'tessera.properties', key: 'control.http.bind', value: '127.0.0.1:8000', fix: 'already used by jmap.port' },
    );
  });
});
