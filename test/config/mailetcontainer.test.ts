// mailetcontainer.xml: James' <context><postmaster> names who receives postmaster mail; the rest of
// the file (James' processors and mailets) is not read, and the file is named once as not served.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { expectConfigError, expectWarning } from './fixtures.js';
import type { LoadedConfig } from '../../src/config/load.js';

const DOMAINS = '<domainlist><domainnames><domainname>example.org</domainname></domainnames><defaultDomain>example.org</defaultDomain></domainlist>';
const mailet = (postmaster: string): string =>
  `<mailetcontainer enableJmx="true"><context><postmaster>${postmaster}</postmaster></context>
     <spooler><threads>20</threads></spooler>
     <processors><processor state="root" enableJmx="true"><mailet match="All" class="PostmasterAlias"/></processor></processors>
   </mailetcontainer>`;

/** Loads `files`; the one warning allowed is the file's own "mailets are not run" line. */
async function loadMailet(files: Record<string, string | Buffer>): Promise<LoadedConfig> {
  const loaded = await expectWarning(files, { file: 'mailetcontainer.xml', key: '(file)', includes: ['only <context><postmaster>, RemoteDelivery\'s gateway settings and DKIMSign mailets are read'] });
  assert.deepEqual(loaded.warnings.filter((w) => w.key !== '(file)'), []);
  return loaded;
}

describe('mailetcontainer.xml', () => {
  it('<postmaster> without a domain is in the default domain, as in James', async () => {
    const l = await loadMailet({ 'domainlist.xml': DOMAINS, 'mailetcontainer.xml': mailet('Admin') });
    assert.equal(l.config.settings.postmaster, 'admin@example.org');
  });

  it('<postmaster> with a domain is taken as it is; tessera.properties postmaster wins over it', async () => {
    assert.equal((await loadMailet({ 'domainlist.xml': DOMAINS, 'mailetcontainer.xml': mailet('boss@example.org') })).config.settings.postmaster, 'boss@example.org');
    const both = await loadMailet({ 'domainlist.xml': DOMAINS, 'mailetcontainer.xml': mailet('boss@example.org'), 'tessera.properties': 'postmaster=hostmaster\n' });
    assert.equal(both.config.settings.postmaster, 'hostmaster@example.org');
  });

  it('a malformed file or postmaster is a configuration error naming the key', async () => {
    await expectConfigError({ 'mailetcontainer.xml': mailet('two words') }, { file: 'mailetcontainer.xml', key: 'mailetcontainer.context.postmaster', value: 'two words', fix: 'a mail address such as postmaster@example.org' });
  });

  const james = fileURLToPath(new URL('../../../shared/james-conf/memory-app/mailetcontainer.xml', import.meta.url));
  const ci = process.env['CI'] === 'true';
  if (!existsSync(james) && !ci) console.log('# James sample mailetcontainer.xml test skipped: ../shared/james-conf is missing');
  it("James' sample mailetcontainer.xml loads with only its not-served line, its postmaster in the default domain", { skip: !existsSync(james) && !ci }, async () => {
    const l = await loadMailet({ 'domainlist.xml': DOMAINS, 'mailetcontainer.xml': readFileSync(james) });
    assert.equal(l.config.settings.postmaster, 'postmaster@example.org');
  });

  const remote = (inner: string): string =>
    `<mailetcontainer><context><postmaster>postmaster</postmaster></context><processors>
       <processor state="transport"><mailet match="All" class="LocalDelivery"/></processor>
       <processor state="relay"><mailet match="All" class="org.apache.james.transport.mailets.RemoteDelivery"><outgoing>outgoing</outgoing>${inner}</mailet></processor>
     </processors></mailetcontainer>`;

  it('RemoteDelivery gateway settings make a smarthost; credentials imply verified STARTTLS', async () => {
    const l = await loadMailet({
      'domainlist.xml': DOMAINS,
      'mailetcontainer.xml': remote('<gateway>relay1.example.net, relay2.example.net:2525</gateway><gatewayPort>587</gatewayPort><gatewayUsername>tessera</gatewayUsername><gatewayPassword>s3cret</gatewayPassword>'),
    });
    assert.deepEqual(l.config.settings.smarthost, {
      hosts: [{ host: 'relay1.example.net', port: 587 }, { host: 'relay2.example.net', port: 2525 }],
      secure: false,
      auth: { user: 'tessera', pass: 's3cret' },
      requireTls: true,
    });
    const plain = await loadMailet({ 'domainlist.xml': DOMAINS, 'mailetcontainer.xml': remote('<gateway>relay.example.net</gateway>') });
    assert.deepEqual(plain.config.settings.smarthost, { hosts: [{ host: 'relay.example.net', port: 25 }], secure: false, requireTls: false });
    const tls = await loadMailet({ 'domainlist.xml': DOMAINS, 'mailetcontainer.xml': remote('<gateway>relay.example.net</gateway><gatewayPort>465</gatewayPort><sslEnable>true</sslEnable>') });
    assert.equal(tls.config.settings.smarthost?.secure, true);
    const none = await loadMailet({ 'domainlist.xml': DOMAINS, 'mailetcontainer.xml': remote('') });
    assert.equal(none.config.settings.smarthost, undefined);
  });

  it('gateway settings that cannot be honoured are refused naming the key', async () => {
    const key = 'mailetcontainer.processors.processor[2].mailet[1]';
    await expectConfigError({ 'mailetcontainer.xml': remote('<gateway>relay.example.net</gateway><gatewayUsername>u</gatewayUsername>') }, { file: 'mailetcontainer.xml', key: `${key}.gatewayPassword`, value: '', fix: 'gatewayUsername needs gatewayPassword' });
    await expectConfigError(
      { 'mailetcontainer.xml': remote('<gateway>relay.example.net</gateway><gatewayUsername>u</gatewayUsername><gatewayPassword>p</gatewayPassword><startTLS>false</startTLS>') },
      { file: 'mailetcontainer.xml', key: `${key}.startTLS`, value: 'false', fix: 'never sends gateway credentials without TLS' },
    );
    await expectConfigError({ 'mailetcontainer.xml': remote('<gateway>relay.example.net</gateway><verifyServerIdentity>false</verifyServerIdentity>') }, { file: 'mailetcontainer.xml', key: `${key}.verifyServerIdentity`, value: 'false', fix: 'valid certificate' });
    await expectConfigError({ 'mailetcontainer.xml': remote('<gateway>bad host!</gateway>') }, { file: 'mailetcontainer.xml', key: `${key}.gateway`, value: 'bad host!', fix: 'host names or host:port pairs' });
  });
});
