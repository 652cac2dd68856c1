// The sample conf/ in the repository is what `npm start` uses: it must load cleanly and describe
// the documented development set-up.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';

const SAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../conf');

describe('sample conf/', () => {
  it('loads with no warnings', async () => {
    const { warnings } = await loadConfig(SAMPLE, { env: {} });
    assert.deepEqual(warnings, []);
  });

  it('describes the documented development listeners and the dev OpenID provider', async () => {
    const { config } = await loadConfig(SAMPLE, { env: {} });
    const ports = (list: { bind: { port: number }[] }[]): number[] => list.flatMap((s) => s.bind.map((b) => b.port));
    assert.deepEqual(ports(config.imap), [1143, 1993]);
    assert.deepEqual(ports(config.smtp), [2525, 5587, 4465]);
    assert.deepEqual(config.imap.map((s) => [s.tls.startTLS, s.tls.socketTLS, s.tls.selfSigned]), [[true, false, true], [false, true, true]]);

    const [mx, submission, smtps] = config.smtp;
    assert.equal(mx?.announce, 'never');
    assert.equal(mx?.requireAuthForRelay, true);
    assert.deepEqual(mx?.authorizedAddresses, []);
    assert.equal(submission?.announce, 'always');
    assert.equal(submission?.tls.startTLS, true);
    assert.equal(submission?.auth.requireSSL, true);
    assert.equal(smtps?.tls.socketTLS, true);

    for (const s of [...config.imap, submission, smtps]) {
      assert.ok(s);
      assert.equal(s.auth.plainAuthEnabled, true);
      assert.equal(s.auth.requireSSL, true);
      assert.deepEqual(s.auth.oidc, {
        oidcConfigurationURL: 'http://127.0.0.1:8600/.well-known/openid-configuration',
        claim: 'email',
        scope: 'openid email',
        aud: ['urn:tessera:mail'],
        clientId: 'tessera',
        revalidateInterval: 0,
      });
    }

    assert.equal(config.jmap.enabled, true);
    assert.deepEqual(config.jmap.bind, { host: '127.0.0.1', port: 8000 });
    assert.deepEqual(config.jmap.strategies, ['basic', 'jwt']);
    assert.equal(config.jmap.auth.oidc?.clientId, 'tessera');
    assert.deepEqual(config.users, { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' });
    assert.deepEqual(config.domains, { domainnames: ['tessera.local'], defaultDomain: 'tessera.local', autodetect: false, autodetectIP: false });
    assert.equal(config.settings.dataDir, path.resolve('var'));
    assert.deepEqual(config.settings.devIdp, { enabled: true, port: 8600, issuer: 'http://127.0.0.1:8600' });
    assert.equal(config.settings.seedDemoUser, true);
  });
});
