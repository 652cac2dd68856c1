// Mail authentication settings: dnsservice.xml's <servers> (James), James' DKIMSign mailets in
// mailetcontainer.xml, and tessera.properties' mailauth.*, dkim.*, dmarc.* keys.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { expectConfigError, expectWarning, loadClean } from './fixtures.js';
import { mailetKey } from '../../src/delivery/index.js';
import { ConfigError } from '../../src/config/errors.js';

const MAILET_NOTE = { file: 'mailetcontainer.xml', key: '(file)', includes: ['DKIMSign mailets are read'] };

function dkimMailet(inner: string): string {
  return `<mailetcontainer><context><postmaster>postmaster@example.org</postmaster></context><processors>
    <processor state="transport"><mailet match="All" class="RemoveMimeHeader"><name>bcc</name></mailet>
      <mailet match="All" class="org.apache.james.jdkim.mailets.DKIMSign">${inner}</mailet></processor></processors></mailetcontainer>`;
}
const TEMPLATE = '<signatureTemplate>v=1; s=james; d=Example.org; h=from:to:subject:date; a=rsa-sha256; bh=; b=;</signatureTemplate>';

describe('dnsservice.xml', () => {
  it('absent: the system resolver', async () => {
    const l = await loadClean({});
    assert.deepEqual(l.config.mailAuth.dns, { servers: [], useSystem: true });
  });

  it('<servers><server> become the resolver list; autodiscover=false leaves the system out', async () => {
    const l = await loadClean({
      'dnsservice.xml': '<dnsservice><servers><server>192.0.2.53</server><server>127.0.0.1:5353</server><server>[::1]:53</server></servers><autodiscover>false</autodiscover></dnsservice>',
    });
    assert.deepEqual(l.config.mailAuth.dns, { servers: ['192.0.2.53', '127.0.0.1:5353', '[::1]:53'], useSystem: false });
  });

  it('a server that is no IP address is an error naming it', async () => {
    await expectConfigError({ 'dnsservice.xml': '<dnsservice><servers><server>dns.example.org</server></servers></dnsservice>' }, {
      file: 'dnsservice.xml', key: 'dnsservice.servers.server[1]', value: 'dns.example.org', fix: 'an IP address, optionally with a port',
    });
  });

  it("James' cache settings are named as not used", async () => {
    await expectWarning({ 'dnsservice.xml': '<dnsservice><autodiscover>true</autodiscover><maxcachesize>50000</maxcachesize></dnsservice>' }, {
      file: 'dnsservice.xml', key: 'dnsservice.maxcachesize', includes: ['James setting', 'recursive resolver'],
    });
  });

  const james = fileURLToPath(new URL('../../../shared/james-conf/memory-app/dnsservice.xml', import.meta.url));
  const ci = process.env['CI'] === 'true';
  it("James' sample dnsservice.xml means the system resolver", { skip: !existsSync(james) && !ci }, async () => {
    const l = await expectWarning({ 'dnsservice.xml': readFileSync(james) }, { file: 'dnsservice.xml', key: 'dnsservice.authoritative', includes: ['James setting'] });
    assert.deepEqual(l.config.mailAuth.dns, { servers: [], useSystem: true });
  });
});

describe("James' DKIMSign mailet", () => {
  it('reads d=, s=, h= and an inline key, which signs as RSA', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const l = await expectWarning({ 'mailetcontainer.xml': dkimMailet(`${TEMPLATE}<privateKey>${privateKey}</privateKey>`) }, MAILET_NOTE);
    const [k] = l.config.mailAuth.dkimMailetKeys;
    assert.ok(k);
    assert.equal(k.domain, 'example.org');
    assert.equal(k.selector, 'james');
    assert.deepEqual(k.headers, ['from', 'to', 'subject', 'date']);
    assert.equal(mailetKey(k).algorithm, 'rsa-sha256');
  });

  it('reads an encrypted key file with <privateKeyPassword>', async () => {
    const { privateKey } = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const l = await expectWarning({ 'mailetcontainer.xml': dkimMailet(`${TEMPLATE}<privateKeyFilepath>conf/dkim.pem</privateKeyFilepath><privateKeyPassword>secret</privateKeyPassword>`), 'dkim.pem': privateKey }, MAILET_NOTE);
    assert.equal(mailetKey(l.config.mailAuth.dkimMailetKeys[0]!).algorithm, 'ed25519-sha256');
  });

  it('a wrong password or a weak key refuses the start, naming file and key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const l = await expectWarning({ 'mailetcontainer.xml': dkimMailet(`${TEMPLATE}<privateKey>${privateKey}</privateKey><privateKeyPassword>wrong</privateKeyPassword>`) }, MAILET_NOTE);
    assert.throws(() => mailetKey(l.config.mailAuth.dkimMailetKeys[0]!), (err) => err instanceof ConfigError && /mailetcontainer\.xml/.test(err.message) && /privateKey/.test(err.key));
    const weak = generateKeyPairSync('rsa', { modulusLength: 512, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const w = await expectWarning({ 'mailetcontainer.xml': dkimMailet(`${TEMPLATE}<privateKey>${weak.privateKey}</privateKey>`) }, MAILET_NOTE);
    assert.throws(() => mailetKey(w.config.mailAuth.dkimMailetKeys[0]!), /too weak/);
  });

  it('a template without d= or a mailet without a key is an error', async () => {
    await expectConfigError({ 'mailetcontainer.xml': dkimMailet('<signatureTemplate>v=1; s=james; h=from;</signatureTemplate><privateKey>x</privateKey>') }, {
      file: 'mailetcontainer.xml', key: 'mailetcontainer.processors[1].processor[1].mailet[2].signatureTemplate', value: 'v=1; s=james; h=from;', fix: 'd= (signing domain) and s= (selector)',
    });
    await expectConfigError({ 'mailetcontainer.xml': dkimMailet(TEMPLATE) }, { file: 'mailetcontainer.xml', key: 'mailetcontainer.processors[1].processor[1].mailet[2].privateKey', value: '', fix: 'a PEM private key' });
  });
});

describe('tessera.properties mail authentication keys', () => {
  it('defaults: inbound verification on, DMARC policy followed, every key, mailauth headers', async () => {
    const l = await loadClean({});
    assert.deepEqual({ ...l.config.mailAuth, dns: undefined }, { inbound: true, dmarcEnforcement: 'policy', dkimMailetKeys: [], dns: undefined });
  });

  it('reads authservId, inbound, dmarc.enforce, dkim.selectors and dkim.headers', async () => {
    const l = await loadClean({
      'tessera.properties': 'mailauth.authservId=mx1.example.org\nmailauth.inbound=false\ndmarc.enforce=quarantine\ndkim.selectors=rsa-2026, ed-2026\ndkim.headers=From:To:Subject\n',
    });
    const m = l.config.mailAuth;
    assert.equal(m.authservId, 'mx1.example.org');
    assert.equal(m.inbound, false);
    assert.equal(m.dmarcEnforcement, 'quarantine');
    assert.deepEqual(m.dkimSelectors, ['rsa-2026', 'ed-2026']);
    assert.deepEqual(m.dkimHeaders, ['from', 'to', 'subject']);
  });

  it('refuses an unknown enforcement and a header list without From', async () => {
    await expectConfigError({ 'tessera.properties': 'dmarc.enforce=always\n' }, { file: 'tessera.properties', key: 'dmarc.enforce', value: 'always', fix: 'policy' });
    await expectConfigError({ 'tessera.properties': 'dkim.headers=to:subject\n' }, { file: 'tessera.properties', key: 'dkim.headers', value: 'to:subject', fix: 'includes From' });
  });
});
