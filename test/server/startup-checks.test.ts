// The start-up lines about credentials: every listener that takes them in clear text is named (a
// James smtpserver.xml without <requireSSL> takes them, as in James), so is every listener where no
// login can succeed and a JMAP that requires TLS without having any; stricter-than-James behaviour
// is said once for all the listeners it concerns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TesseraConfig } from '../../src/config/types.js';
import { startupChecks, type StartupChecks } from '../../src/server/startup-checks.js';
import { imapBlock, imapXml, smtpBlock, smtpXml, tempConf } from '../config/fixtures.js';

async function checks(files: Record<string, string>): Promise<{ result: StartupChecks; config: TesseraConfig }> {
  const conf = await tempConf(files);
  try {
    const { config } = await conf.load();
    return { result: startupChecks(config), config };
  } finally {
    await conf.cleanup();
  }
}

const submission = (auth: string, tls = '<tls startTLS="true"/>'): string =>
  `<jmxName>submission</jmxName>${tls}<auth><announce>always</announce><plainAuthEnabled>true</plainAuthEnabled>${auth}</auth>`;

describe('start-up checks on credentials', () => {
  it('a James submission block without <requireSSL> takes passwords before STARTTLS: one loud warning naming it', async () => {
    const { result } = await checks({ 'smtpserver.xml': smtpXml(smtpBlock(submission(''))) });
    assert.equal(result.warnings.length, 1);
    const [w] = result.warnings;
    assert.match(w!.where, /smtpserver\.xml, block 1 \(submission\)$/);
    assert.match(w!.message, /^CLEAR-TEXT CREDENTIALS: takes passwords unencrypted before STARTTLS: requireSSL is false \(James' SMTP default, as <requireSSL> is not written\)/);
    assert.match(w!.message, /set <auth><requireSSL> to true/);
    assert.deepEqual(result.notices, []);
  });

  it('without any TLS the fix says to turn it on; an explicit false is not called James\' default', async () => {
    const { result } = await checks({ 'smtpserver.xml': smtpXml(smtpBlock(submission('<requireSSL>false</requireSSL>', ''))) });
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!.message, /unencrypted on a listener without TLS: requireSSL is false; turn TLS on/);
  });

  it('nothing to say where no login is served (NoAuth chain) or every connection is TLS', async () => {
    const noAuth = '<handlerchain coreHandlersPackage="org.apache.james.smtpserver.NoAuthCmdHandlerLoader"/>';
    const { result } = await checks({
      'smtpserver.xml': smtpXml(smtpBlock(`${submission('<requireSSL>false</requireSSL>', '')}${noAuth}`, '127.0.0.1:1'), smtpBlock(submission('', '<tls socketTLS="true"/>'), '127.0.0.1:2')),
    });
    assert.deepEqual(result, { warnings: [], notices: [] });
  });

  it('requireSSL without TLS: no login can succeed (IMAP\'s James default is requireSSL true)', async () => {
    const { result } = await checks({ 'imapserver.xml': imapXml(imapBlock('<jmxName>imap</jmxName>')) });
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!.message, /^no login can succeed here: requireSSL is true \(James' IMAP default, as neither <requireSSL> nor <plainAuthDisallowed> is written\) but the listener has no TLS/);
  });

  it('POP3 defaults to requireSSL: said once where James would take passwords in clear text, and a clear listener is warned about', async () => {
    const pop3 = (inner: string, bind: string): string => `<pop3server><jmxName>pop3</jmxName><bind>${bind}</bind>${inner}</pop3server>`;
    const { result } = await checks({ 'pop3server.xml': `<pop3servers>${pop3('<tls startTLS="true"/>', '127.0.0.1:1')}${pop3('', '127.0.0.1:2')}</pop3servers>` });
    assert.equal(result.notices.length, 1);
    assert.match(result.notices[0]!.message, /^POP3 takes USER\/PASS and AUTH only after STLS/);
    assert.match(result.notices[0]!.where, /pop3server\.xml, block 1 \(pop3\)$/);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!.message, /^no login can succeed here: requireSSL is true \(Tessera's POP3 default, as <requireSSL> is not written\)/);
  });

  it('SMTP under requireSSL refuses AUTH before STARTTLS where James only hides it: one line for every listener concerned', async () => {
    const { result } = await checks({
      'smtpserver.xml': smtpXml(smtpBlock(submission('<requireSSL>true</requireSSL>'), '127.0.0.1:1'), smtpBlock(submission('<requireSSL>true</requireSSL>'), '127.0.0.1:2')),
    });
    assert.deepEqual(result.warnings, []);
    assert.equal(result.notices.length, 1);
    assert.match(result.notices[0]!.message, /AUTH before STARTTLS is refused \(538 5\.7\.11\).*James only leaves AUTH out of EHLO/);
    assert.match(result.notices[0]!.where, /block 1 \(submission\); .*block 2 \(submission\)$/);
  });

  it('JMAP without TLS under requireSSL: Basic works only through a trusted TLS-terminating proxy, and says so', async () => {
    const plainHttp = 'jmap.port=0\nauthentication.strategy.rfc8621=BasicAuthenticationStrategy\n';
    const { result } = await checks({ 'jmap.properties': plainHttp });
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!.message, /JMAP has no TLS .* Basic passwords work only through a TLS-terminating proxy on this host sending X-Forwarded-Proto: https; clients connecting directly get 401/);
    assert.match(result.warnings[0]!.message, /tls\.enabled=true, or list your proxy in authentication\.strategy\.rfc8621\.xUser\.trustedProxies/);

    const proxied = await checks({ 'jmap.properties': `${plainHttp}authentication.strategy.rfc8621.xUser.trustedProxies=10.0.0.0/8\n` });
    assert.deepEqual(proxied.result.warnings, []);

    const clear = await checks({ 'jmap.properties': `${plainHttp}auth.requireSSL=false\n` });
    assert.match(clear.result.warnings[0]!.message, /^CLEAR-TEXT CREDENTIALS: JMAP takes Basic passwords over plain HTTP/);
  });
});
