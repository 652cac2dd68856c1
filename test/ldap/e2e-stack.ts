// The whole deployment of issue 8 in one process: a real slapd holding the users, a real OpenID
// provider whose users' `email` matches their LDAP `mail`, and a full Tessera (`runServe` with every
// protocol factory) started from a James-style conf directory that points at both. Protocol tests
// log in against it over real sockets.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolFactories } from '../../src/server/protocols.js';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import type { ProtocolServer } from '../../src/core/protocol.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { boundPort, jmapProperties, oidcXml, RELAXED_LOGIN_THROTTLE, xmlEscape } from '../support/tessera-conf.js';
import { startSlapd, type SlapdServer, type SlapdUser } from '../support/slapd.js';
import { CapturedOutput } from '../server/capture.js';

export interface LdapStackOptions {
  /** The mail domain of every test user. */
  domain: string;
  /** Entries under ou=people (each with `mail` = its login name). */
  ldapUsers: SlapdUser[];
  /** Users the OpenID provider knows (may include addresses that are not in LDAP). */
  idpEmails: string[];
}

export interface LdapStack {
  readonly slapd: SlapdServer;
  readonly idp: TestIdp;
  readonly running: RunningServer;
  readonly confDir: string;
  readonly dataDir: string;
  /** Implicit-TLS IMAP listener. */
  readonly imapPort: number;
  /** Implicit-TLS submission listener (AUTH announced always). */
  readonly smtpPort: number;
  /** e.g. http://127.0.0.1:PORT */
  readonly jmapUrl: string;
  /** Tessera's JSON log lines, for diagnosing a failure. */
  readonly log: CapturedOutput;
  close(): Promise<void>;
}

/** The conf directory an operator moving from James would write for this deployment. */
async function writeConf(confDir: string, dataDir: string, domain: string, slapd: SlapdServer, idp: TestIdp): Promise<void> {
  await writeFile(
    join(confDir, 'tessera.properties'),
    [
      `data.dir=${dataDir}`,
      'log.level=info',
      'shutdown.timeout=2',
      'devIdp.enabled=false',
      'demo.seed=false',
      // These tests send dozens of deliberately wrong logins from one address (injection-shaped names).
      ...RELAXED_LOGIN_THROTTLE,
      '',
    ].join('\n'),
  );
  await writeFile(
    join(confDir, 'domainlist.xml'),
    `<domainlist class="org.apache.james.domainlist.jpa.JPADomainList">
  <domainnames><domainname>${domain}</domainname></domainnames>
  <autodetect>false</autodetect>
  <autodetectIP>false</autodetectIP>
  <defaultDomain>${domain}</defaultDomain>
</domainlist>\n`,
  );
  // James' own attribute names; the connection timeouts are short so that a stopped slapd answers
  // a login quickly (refused connections fail at once anyway).
  await writeFile(
    join(confDir, 'usersrepository.xml'),
    `<usersrepository name="LocalUsers" class="org.apache.james.user.ldap.ReadOnlyUsersLDAPRepository"
    ldapHost="${xmlEscape(slapd.url)}"
    principal="${xmlEscape(slapd.serviceDn)}"
    credentials="${xmlEscape(slapd.servicePassword)}"
    userBase="${xmlEscape(slapd.peopleDn)}"
    userIdAttribute="mail"
    userObjectClass="inetOrgPerson"
    connectionTimeout="2000"
    readTimeout="5000">
  <enableVirtualHosting>true</enableVirtualHosting>
</usersrepository>\n`,
  );
  // Implicit TLS with the certificate the lifecycle generates (no key material configured), so
  // passwords go over TLS exactly as the production defaults require.
  await writeFile(
    join(confDir, 'imapserver.xml'),
    `<imapservers>
  <imapserver enabled="true">
    <jmxName>imaps-ldap</jmxName>
    <bind>127.0.0.1:0</bind>
    <tls socketTLS="true" startTLS="false"/>
    <auth>
      <plainAuthEnabled>true</plainAuthEnabled>
      <requireSSL>true</requireSSL>
      ${oidcXml(idp)}
    </auth>
  </imapserver>
</imapservers>\n`,
  );
  await writeFile(
    join(confDir, 'smtpserver.xml'),
    `<smtpservers>
  <smtpserver enabled="true">
    <jmxName>smtps-submission-ldap</jmxName>
    <bind>127.0.0.1:0</bind>
    <tls socketTLS="true" startTLS="false"/>
    <helloName autodetect="false">mail.${domain}</helloName>
    <auth>
      <announce>always</announce>
      <requireAuthForRelay>true</requireAuthForRelay>
      <plainAuthEnabled>true</plainAuthEnabled>
      <requireSSL>true</requireSSL>
      ${oidcXml(idp)}
    </auth>
  </smtpserver>
</smtpservers>\n`,
  );
  await writeFile(join(confDir, 'jmap.properties'), jmapProperties(idp, { strategies: 'basic,jwt', plainAuthEnabled: true }));
}


function serverNamed(running: RunningServer, pattern: RegExp): ProtocolServer {
  const found = running.servers.find((s) => pattern.test(s.name));
  if (!found) throw new Error(`no server matching ${pattern} among ${running.servers.map((s) => s.name).join(', ')}`);
  return found;
}

export async function startLdapStack(options: LdapStackOptions): Promise<LdapStack> {
  const root = await mkdtemp(join(tmpdir(), 'tessera-ldap-e2e-'));
  const confDir = join(root, 'conf');
  const dataDir = join(root, 'var');
  let slapd: SlapdServer | undefined;
  let idp: TestIdp | undefined;
  let running: RunningServer | undefined;
  try {
    await mkdir(confDir);
    slapd = await startSlapd({ users: options.ldapUsers });
    idp = await startTestIdp({ users: options.idpEmails.map((email) => ({ email })) });
    await writeConf(confDir, dataDir, options.domain, slapd, idp);
    const log = new CapturedOutput();
    running = await runServe({
      confDir,
      factories: protocolFactories,
      io: { stdout: new CapturedOutput(), logDestination: log, env: {} },
    });
    const imapPort = boundPort(serverNamed(running, /^imaps-ldap$/));
    const smtpPort = boundPort(serverNamed(running, /^smtps-submission-ldap$/));
    const jmapPort = boundPort(serverNamed(running, /jmap/i));
    const s = slapd;
    const i = idp;
    const r = running;
    return {
      slapd: s,
      idp: i,
      running: r,
      confDir,
      dataDir,
      imapPort,
      smtpPort,
      jmapUrl: `http://127.0.0.1:${jmapPort}`,
      log,
      close: async () => {
        try {
          await r.stop();
        } finally {
          await i.close();
          await s.close();
          await rm(root, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await running?.stop();
    await idp?.close();
    await slapd?.close();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
