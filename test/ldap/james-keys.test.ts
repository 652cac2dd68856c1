// usersrepository.xml with the ReadOnlyUsersLDAPRepository keys James documents, run by a whole
// Tessera against two real slapd servers holding the same directory: `ldapHosts` (the first server
// stopped, so every connection fails over; then the other way round), `supportsVirtualHosting`
// (no enableVirtualHosting), the group `restriction` (a directory user outside the group has a valid
// password and is still refused), `resolveLocalPartAttribute` (log in with the local part), and
// `administratorIds` (an administrator logs in as another user with SASL PLAIN's authorization
// identity, with the administrator's own password; nobody else may).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolFactories } from '../../src/server/protocols.js';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { RawClient } from '../imap/raw-client.js';
import { RawSmtpClient } from '../smtp/raw-client.js';
import { CapturedOutput } from '../server/capture.js';
import { listenerPort, RELAXED_LOGIN_THROTTLE, xmlEscape } from '../support/tessera-conf.js';
import { slapdSkipReason, startSlapd, type SlapdServer, type SlapdUser } from '../support/slapd.js';
import { imapAuthenticate, imapLogin, plainAsResponse, plainResponse, smtpAuthenticate } from './e2e-clients.js';

const skip = slapdSkipReason();

const DOMAIN = 'ldap.test';
const ALICE = { uid: 'alice', password: 'Alice-pw-1', mail: `alice@${DOMAIN}` } satisfies SlapdUser;
const BOB = { uid: 'bob', password: 'Bob-pw-2', mail: `bob@${DOMAIN}` } satisfies SlapdUser;
/** In the directory with a valid password, but in no group of the restriction. */
const EVE = { uid: 'eve', password: 'Eve-pw-3', mail: `eve@${DOMAIN}` } satisfies SlapdUser;
const ADMIN = { uid: 'postmaster', password: 'Admin-pw-4', mail: `admin@${DOMAIN}` } satisfies SlapdUser;
const USERS = [ALICE, BOB, EVE, ADMIN];

const IMAP_INVALID = /^a NO \[AUTHENTICATIONFAILED\]/;

/** The same tree on both servers, plus cn=mail,ou=groups listing alice, bob and the admin. */
async function loadDirectory(slapd: SlapdServer): Promise<void> {
  const client = await slapd.adminClient();
  try {
    await client.add(`ou=groups,${slapd.suffix}`, { objectClass: ['organizationalUnit'], ou: ['groups'] });
    await client.add(`cn=mail,ou=groups,${slapd.suffix}`, {
      objectClass: ['groupOfNames'],
      cn: ['mail'],
      // As directories often hold them: other case and blanks than the entries' own DNs.
      member: [`UID=alice, ${slapd.peopleDn.toUpperCase()}`, `uid=bob,${slapd.peopleDn}`, `uid=postmaster,${slapd.peopleDn}`],
    });
  } finally {
    await client.unbind();
  }
}

describe("usersrepository.xml with James' LDAP keys: ldapHosts, supportsVirtualHosting, restriction, resolveLocalPartAttribute, administratorIds", { skip }, () => {
  let first: SlapdServer;
  let second: SlapdServer;
  let running: RunningServer;
  let root: string;
  const log = new CapturedOutput();
  let imapPort: number;
  let smtpPort: number;

  before(async () => {
    first = await startSlapd({ users: USERS });
    second = await startSlapd({ users: USERS });
    await loadDirectory(first);
    await loadDirectory(second);
    // The first server of the list is down from the start: every connection has to fail over.
    await first.stop();
    root = await mkdtemp(join(tmpdir(), 'tessera-james-ldap-'));
    const confDir = join(root, 'conf');
    await mkdir(confDir);
    const files: Record<string, string> = {
      'tessera.properties': [
        `data.dir=${join(root, 'var')}`,
        'log.level=info',
        'shutdown.timeout=2',
        'devIdp.enabled=false',
        'demo.seed=false',
        // Deliberately wrong logins below must not add up to throttling delays.
        ...RELAXED_LOGIN_THROTTLE,
        '',
      ].join('\n'),
      'domainlist.xml': `<domainlist><domainnames><domainname>${DOMAIN}</domainname></domainnames><defaultDomain>${DOMAIN}</defaultDomain></domainlist>\n`,
      // James' "Multiple LDAP servers support example", with the keys this test is about.
      'usersrepository.xml': `<usersrepository name="LocalUsers" class="org.apache.james.user.ldap.ReadOnlyUsersLDAPRepository"
    ldapHosts="${xmlEscape(`${first.url},${second.url}`)}"
    principal="${xmlEscape(second.serviceDn)}"
    credentials="${xmlEscape(second.servicePassword)}"
    userBase="${xmlEscape(second.peopleDn)}"
    userIdAttribute="mail"
    resolveLocalPartAttribute="uid"
    userObjectClass="inetOrgPerson"
    connectionTimeout="2000"
    readTimeout="5000">
  <supportsVirtualHosting>true</supportsVirtualHosting>
  <restriction memberAttribute="member">
    <group>${xmlEscape(`cn=mail,ou=groups,${second.suffix}`)}</group>
  </restriction>
  <administratorIds>
    <administratorId>${ADMIN.mail}</administratorId>
  </administratorIds>
</usersrepository>\n`,
      'imapserver.xml': `<imapservers><imapserver enabled="true"><jmxName>imaps</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="true" startTLS="false"/><auth><plainAuthEnabled>true</plainAuthEnabled><requireSSL>true</requireSSL></auth>
</imapserver></imapservers>\n`,
      'smtpserver.xml': `<smtpservers><smtpserver enabled="true"><jmxName>smtps</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="true" startTLS="false"/><helloName autodetect="false">mail.${DOMAIN}</helloName>
  <auth><announce>always</announce><requireAuthForRelay>true</requireAuthForRelay><plainAuthEnabled>true</plainAuthEnabled><requireSSL>true</requireSSL></auth>
  <verifyIdentity>strict</verifyIdentity>
</smtpserver></smtpservers>\n`,
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
    running = await runServe({ confDir, factories: protocolFactories, io: { stdout: new CapturedOutput(), logDestination: log, env: {} } });
    imapPort = listenerPort(running, 'imaps');
    smtpPort = listenerPort(running, 'smtps');
  });

  after(async () => {
    await running?.stop();
    await first?.close();
    await second?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  function logTail(): string {
    return log.text().split('\n').slice(-12).join('\n');
  }

  it('starts with no warning about usersrepository.xml, and virtual hosting on from supportsVirtualHosting', () => {
    const warned = log.text().split('\n').filter((l) => l.includes('"level":40') && l.includes('usersrepository.xml'));
    assert.deepEqual(warned, []);
    assert.ok(log.text().includes('administrators may log in as any user'), 'the start says who may act as any user');
    assert.equal(running.context.users.virtualHosting, true);
  });

  it('group members log in through the second server, by address and by local part (resolveLocalPartAttribute)', async () => {
    assert.match(await imapLogin(imapPort, ALICE.mail, ALICE.password), /^a OK /, logTail());
    assert.match(await imapLogin(imapPort, ALICE.uid, ALICE.password), /^a OK /, logTail());
    assert.match(await imapLogin(imapPort, ALICE.mail, 'wrong'), IMAP_INVALID);
    assert.equal((await smtpAuthenticate(smtpPort, 'PLAIN', [plainResponse(BOB.mail, BOB.password)])).code, 235);
  });

  it('a directory user outside the restriction groups is refused although the password is right', async () => {
    assert.match(await imapLogin(imapPort, EVE.mail, EVE.password), IMAP_INVALID);
    assert.match(await imapLogin(imapPort, EVE.uid, EVE.password), IMAP_INVALID);
    assert.equal((await smtpAuthenticate(smtpPort, 'PLAIN', [plainResponse(EVE.mail, EVE.password)])).code, 535);
  });

  it('the administrator logs in as alice with PLAIN authorization identity and works in her mailboxes', async () => {
    const admin = await RawClient.connect(imapPort, { tls: true });
    try {
      admin.write(`a AUTHENTICATE PLAIN ${plainAsResponse(ALICE.mail, ADMIN.mail, ADMIN.password)}\r\n`);
      let line = '';
      while (!line.startsWith('a ')) line = await admin.readLine(10_000);
      assert.match(line, /^a OK /, logTail());
      assert.match((await admin.command('b', 'CREATE "Left by the administrator"')).at(-1) ?? '', /^b OK /);
    } finally {
      admin.close();
    }
    const alice = await RawClient.connect(imapPort, { tls: true });
    try {
      assert.match((await alice.command('a', `LOGIN "${ALICE.mail}" "${ALICE.password}"`)).at(-1) ?? '', /^a OK /);
      const listed = await alice.command('b', 'LIST "" "*"');
      assert.ok(listed.some((l) => l.includes('Left by the administrator')), `alice sees the mailbox: ${listed.join(' | ')}`);
    } finally {
      alice.close();
    }
    assert.ok(
      log.text().split('\n').some((l) => l.includes('"event":"auth"') && l.includes(`"user":"${ALICE.mail}"`) && l.includes(`"actor":"${ADMIN.mail}"`)),
      'the audit line names the administrator acting as alice',
    );
  });

  it('over SMTP the administrator acting as alice sends as alice, not as itself', async () => {
    const { client } = await RawSmtpClient.connect(smtpPort, { tls: true });
    try {
      assert.equal((await client.command('EHLO client.test')).code, 250);
      assert.equal((await client.command(`AUTH PLAIN ${plainAsResponse(ALICE.mail, ADMIN.mail, ADMIN.password)}`)).code, 235);
      assert.equal((await client.command(`MAIL FROM:<${ADMIN.mail}>`)).code >= 500, true, 'not as the administrator');
      assert.equal((await client.command('RSET')).code, 250);
      assert.equal((await client.command(`MAIL FROM:<${ALICE.mail}>`)).code, 250);
    } finally {
      client.close();
    }
  });

  it('nobody else may act as another user, and the administrator only as an existing user with the right password', async () => {
    assert.match(await imapAuthenticate(imapPort, 'PLAIN', [plainAsResponse(ALICE.mail, BOB.mail, BOB.password)]), IMAP_INVALID);
    assert.match(await imapAuthenticate(imapPort, 'PLAIN', [plainAsResponse(ALICE.mail, ADMIN.mail, 'wrong')]), IMAP_INVALID);
    assert.match(await imapAuthenticate(imapPort, 'PLAIN', [plainAsResponse(EVE.mail, ADMIN.mail, ADMIN.password)]), IMAP_INVALID, 'eve is no user');
    assert.match(await imapAuthenticate(imapPort, 'PLAIN', [plainAsResponse(`nobody@${DOMAIN}`, ADMIN.mail, ADMIN.password)]), IMAP_INVALID);
    assert.equal((await smtpAuthenticate(smtpPort, 'PLAIN', [plainAsResponse(ALICE.mail, BOB.mail, BOB.password)])).code, 535);
  });

  it('fails over the other way when the second server stops and the first comes back', async () => {
    await first.start();
    await second.stop();
    // Bob's password is checked by a bind, which no cache can answer.
    assert.match(await imapLogin(imapPort, BOB.mail, BOB.password), /^a OK /, logTail());
    assert.match(await imapLogin(imapPort, BOB.mail, 'wrong'), IMAP_INVALID);
  });
});
