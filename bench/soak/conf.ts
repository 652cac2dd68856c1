// The soak's conf directory, in the James layout `tessera serve` reads: one IMAP listener, one SMTP
// submission listener and JMAP over HTTP, all on 127.0.0.1 port 0 and one SQLite store. Clear text
// with passwords allowed there (the load comes from this machine), no connection limits per address
// (every client shares 127.0.0.1), and room for several JMAP requests at once per user.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SOAK_DOMAIN = 'soak.test';

export async function writeSoakConf(root: string): Promise<{ confDir: string; dataDir: string }> {
  const confDir = join(root, 'conf');
  const dataDir = join(root, 'var');
  await mkdir(confDir, { recursive: true });
  const auth = '<plainAuthEnabled>true</plainAuthEnabled><requireSSL>false</requireSSL>';
  const files: Record<string, string> = {
    'tessera.properties': [`data.dir=${dataDir}`, 'storage.engine=sqlite', 'log.level=warn', 'devIdp.enabled=false', 'shutdown.timeout=5', 'demo.seed=false', ''].join('\n'),
    'domainlist.xml': `<domainlist><domainnames><domainname>${SOAK_DOMAIN}</domainname></domainnames><defaultDomain>${SOAK_DOMAIN}</defaultDomain></domainlist>\n`,
    'usersrepository.xml': '<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
    'imapserver.xml': `<imapservers><imapserver enabled="true">
  <jmxName>imap</jmxName><bind>127.0.0.1:0</bind><tls socketTLS="false" startTLS="false"/>
  <connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP><connectiontimeout>1800</connectiontimeout>
  <auth>${auth}</auth>
</imapserver></imapservers>\n`,
    'smtpserver.xml': `<smtpservers><smtpserver enabled="true">
  <jmxName>smtp-submission</jmxName><bind>127.0.0.1:0</bind><tls socketTLS="false" startTLS="false"/>
  <connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP><connectiontimeout>300</connectiontimeout>
  <helloName autodetect="false">mail.${SOAK_DOMAIN}</helloName>
  <auth><announce>always</announce><requireAuthForRelay>true</requireAuthForRelay>${auth}</auth>
  <verifyIdentity>true</verifyIdentity>
</smtpserver></smtpservers>\n`,
    'jmap.properties': [
      'enabled=true',
      'jmap.host=127.0.0.1',
      'jmap.port=0',
      'tls.enabled=false',
      'authentication.strategy.rfc8621=basic',
      'auth.plainAuthEnabled=true',
      'auth.requireSSL=false',
      'request.max.concurrent=16',
      '',
    ].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
  return { confDir, dataDir };
}
