// usersrepository.xml, domainlist.xml and tessera.properties.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { expectConfigError, expectWarning, loadClean, tempConf } from './fixtures.js';

const ldap = (attrs: string, inner = ''): string =>
  `<usersrepository name="LocalUsers" class="org.apache.james.user.ldap.ReadOnlyUsersLDAPRepository" ${attrs}>${inner}</usersrepository>`;
const LDAP_REQUIRED = 'ldapHost="ldap://127.0.0.1:389" userBase="ou=people,dc=test" userIdAttribute="uid"';

describe('usersrepository.xml', () => {
  it('no file: the embedded repository with virtual hosting', async () => {
    const l = await loadClean({});
    assert.deepEqual(l.config.users, { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' });
  });

  for (const cls of ['', ' class="embedded"', ' class="org.apache.james.user.jpa.JPAUsersRepository"', ' class="org.apache.james.user.cassandra.CassandraUsersRepository"']) {
    it(`embedded for${cls || ' no class'}`, async () => {
      const l = await loadClean({ 'usersrepository.xml': `<usersrepository name="LocalUsers"${cls}><enableVirtualHosting>false</enableVirtualHosting></usersrepository>` });
      assert.deepEqual(l.config.users, { kind: 'embedded', enableVirtualHosting: false, algorithm: 'scrypt' });
    });
  }

  it("James' <algorithm> is informational and warns that Tessera uses scrypt", async () => {
    const l = await expectWarning(
      { 'usersrepository.xml': '<usersrepository class="org.apache.james.user.jpa.JPAUsersRepository"><algorithm>PBKDF2-SHA512</algorithm></usersrepository>' },
      { file: 'usersrepository.xml', key: 'usersrepository.algorithm', includes: ['scrypt', '"PBKDF2-SHA512" is not used'] },
    );
    assert.equal(l.config.users.kind, 'embedded');
  });

  it("LDAP with every James attribute, several hosts, startTLS and virtual hosting", async () => {
    const l = await loadClean({
      'usersrepository.xml': ldap(
        'ldapHost="ldap://ldap1.test:389, ldap://ldap2.test:389 ldap://ldap3.test" principal="cn=admin,dc=test" credentials="secret" userBase="ou=people,dc=test" userIdAttribute="mail" userObjectClass="person" filter="(memberOf=cn=mail,dc=test)" connectionTimeout="2000" readTimeout="-1" startTLS="true"',
        '<enableVirtualHosting>false</enableVirtualHosting>',
      ),
    });
    assert.deepEqual(l.config.users, {
      kind: 'ldap',
      ldapHost: ['ldap://ldap1.test:389', 'ldap://ldap2.test:389', 'ldap://ldap3.test'],
      principal: 'cn=admin,dc=test',
      credentials: 'secret',
      userBase: 'ou=people,dc=test',
      userIdAttribute: 'mail',
      userObjectClass: 'person',
      filter: '(memberOf=cn=mail,dc=test)',
      connectionTimeout: 2000,
      readTimeout: 0,
      startTLS: true,
      enableVirtualHosting: false,
    });
  });

  it("LDAP defaults and the short class name; virtual hosting off, James' default for LDAP", async () => {
    const l = await loadClean({ 'usersrepository.xml': `<usersrepository class="ldap" ${LDAP_REQUIRED}/>` });
    assert.deepEqual(l.config.users, {
      kind: 'ldap',
      ldapHost: ['ldap://127.0.0.1:389'],
      userBase: 'ou=people,dc=test',
      userIdAttribute: 'uid',
      userObjectClass: 'inetOrgPerson',
      connectionTimeout: 5000,
      readTimeout: 10000,
      startTLS: false,
      enableVirtualHosting: false,
    });
  });

  for (const missing of ['userBase', 'userIdAttribute']) {
    it(`LDAP without ${missing} is a start-up error`, async () => {
      const attrs = LDAP_REQUIRED.split(' ').filter((a) => !a.startsWith(`${missing}=`)).join(' ');
      await expectConfigError({ 'usersrepository.xml': ldap(attrs) }, { file: 'usersrepository.xml', key: `usersrepository@${missing}`, value: '', fix: `needs ${missing}="` });
    });
  }

  it('LDAP without ldapHosts or ldapHost is a start-up error', async () => {
    await expectConfigError(
      { 'usersrepository.xml': ldap('userBase="ou=people,dc=test" userIdAttribute="uid"') },
      { file: 'usersrepository.xml', key: 'usersrepository@ldapHosts', value: '', fix: 'needs ldapHosts="…" (or ldapHost)' },
    );
  });

  it('ldapHost without a class selects LDAP, as James does (its LDAP module is chosen by ldapHost)', async () => {
    const l = await loadClean({ 'usersrepository.xml': `<usersrepository name="LocalUsers" ${LDAP_REQUIRED}/>` });
    assert.equal(l.config.users.kind, 'ldap');
    const other = await expectWarning(
      { 'usersrepository.xml': `<usersrepository name="LocalUsers" class="org.apache.james.user.jpa.JPAUsersRepository" ${LDAP_REQUIRED}/>` },
      { file: 'usersrepository.xml', key: 'usersrepository@class', includes: ['is not used: ldapHost is set'] },
    );
    assert.equal(other.config.users.kind, 'ldap');
  });

  it("James' ldapHosts: a comma list of servers tried in order (fail-over)", async () => {
    const l = await loadClean({ 'usersrepository.xml': ldap('ldapHosts="ldap://ldapServer1:389,ldaps://ldapServer2:636" userBase="ou=people,dc=test" userIdAttribute="uid"') });
    assert.equal(l.config.users.kind, 'ldap');
    if (l.config.users.kind === 'ldap') assert.deepEqual(l.config.users.ldapHost, ['ldap://ldapServer1:389', 'ldaps://ldapServer2:636']);
  });

  it('ldapHosts replaces ldapHost, as in James, and says so', async () => {
    const l = await expectWarning(
      { 'usersrepository.xml': ldap('ldapHosts="ldap://new1:389,ldap://new2:389" ldapHost="ldap://old:389" userBase="ou=people,dc=test" userIdAttribute="uid"') },
      { file: 'usersrepository.xml', key: 'usersrepository@ldapHost', includes: ['ignored because ldapHosts is set'] },
    );
    if (l.config.users.kind === 'ldap') assert.deepEqual(l.config.users.ldapHost, ['ldap://new1:389', 'ldap://new2:389']);
  });

  it("James' <supportsVirtualHosting> sets the LDAP default; <enableVirtualHosting> wins over it", async () => {
    const on = await loadClean({ 'usersrepository.xml': ldap(LDAP_REQUIRED, '<supportsVirtualHosting>true</supportsVirtualHosting>') });
    assert.equal(on.config.users.enableVirtualHosting, true);
    const off = await loadClean({ 'usersrepository.xml': ldap(LDAP_REQUIRED, '<supportsVirtualHosting>true</supportsVirtualHosting><enableVirtualHosting>false</enableVirtualHosting>') });
    assert.equal(off.config.users.enableVirtualHosting, false);
  });

  it("virtual hosting defaults per James repository class: JPA and memory off, Cassandra and Postgres on, no class on", async () => {
    const vh = async (cls: string): Promise<boolean> =>
      (await loadClean({ 'usersrepository.xml': `<usersrepository name="LocalUsers"${cls}/>` })).config.users.enableVirtualHosting;
    assert.equal(await vh(' class="org.apache.james.user.jpa.JPAUsersRepository"'), false);
    assert.equal(await vh(' class="org.apache.james.user.memory.MemoryUsersRepository"'), false);
    assert.equal(await vh(' class="org.apache.james.user.cassandra.CassandraUsersRepository"'), true);
    assert.equal(await vh(' class="org.apache.james.user.postgres.PostgresUsersRepository"'), true);
    assert.equal(await vh(''), true);
  });

  it("James' group restriction: member attribute and group DNs", async () => {
    const l = await loadClean({
      'usersrepository.xml': ldap(LDAP_REQUIRED, '<restriction memberAttribute="uniqueMember"><group>cn=mail,ou=groups,dc=test</group><group>cn=staff,ou=groups,dc=test</group></restriction>'),
    });
    assert.equal(l.config.users.kind, 'ldap');
    if (l.config.users.kind === 'ldap') {
      assert.deepEqual(l.config.users.restriction, { memberAttribute: 'uniqueMember', groups: ['cn=mail,ou=groups,dc=test', 'cn=staff,ou=groups,dc=test'] });
    }
  });

  it('a restriction James would drop (no memberAttribute, or no group) is a start-up error, not an open door', async () => {
    await expectConfigError(
      { 'usersrepository.xml': ldap(LDAP_REQUIRED, '<restriction><group>cn=mail,ou=groups,dc=test</group></restriction>') },
      { file: 'usersrepository.xml', key: 'usersrepository.restriction@memberAttribute', value: '', fix: 'let every user in' },
    );
    await expectConfigError(
      { 'usersrepository.xml': ldap(LDAP_REQUIRED, '<restriction memberAttribute="member"/>') },
      { file: 'usersrepository.xml', key: 'usersrepository.restriction.group', value: '', fix: 'list at least one <group>DN</group>' },
    );
  });

  it('<groups> for "$group" ACLs: base required, attributes default to member and cn', async () => {
    const l = await loadClean({ 'usersrepository.xml': ldap(LDAP_REQUIRED, '<groups base="ou=groups,dc=test"/>') });
    if (l.config.users.kind === 'ldap') assert.deepEqual(l.config.users.groups, { base: 'ou=groups,dc=test', memberAttribute: 'member', nameAttribute: 'cn' });
    const full = await loadClean({
      'usersrepository.xml': ldap(LDAP_REQUIRED, '<groups base="ou=groups,dc=test" memberAttribute="uniqueMember" nameAttribute="ou" filter="(objectClass=groupOfUniqueNames)"/>'),
    });
    if (full.config.users.kind === 'ldap') {
      assert.deepEqual(full.config.users.groups, { base: 'ou=groups,dc=test', memberAttribute: 'uniqueMember', nameAttribute: 'ou', filter: '(objectClass=groupOfUniqueNames)' });
    }
    await expectConfigError(
      { 'usersrepository.xml': ldap(LDAP_REQUIRED, '<groups memberAttribute="member"/>') },
      { file: 'usersrepository.xml', key: 'usersrepository.groups@base', value: '', fix: 'write the DN the group entries are under' },
    );
    await expectConfigError(
      { 'usersrepository.xml': ldap(LDAP_REQUIRED, '<groups base="ou=groups,dc=test" memberAttribute="member)(x"/>') },
      { file: 'usersrepository.xml', key: 'usersrepository.groups@memberAttribute', value: 'member)(x', fix: 'LDAP attribute name' },
    );
  });

  it("James' resolveLocalPartAttribute", async () => {
    const l = await loadClean({ 'usersrepository.xml': ldap(`${LDAP_REQUIRED} resolveLocalPartAttribute="uid"`, '<supportsVirtualHosting>true</supportsVirtualHosting>') });
    if (l.config.users.kind === 'ldap') assert.equal(l.config.users.resolveLocalPartAttribute, 'uid');
  });

  it('trustAllCerts="true" is a start-up error (certificates are always checked); false is accepted', async () => {
    await expectConfigError(
      { 'usersrepository.xml': ldap(`${LDAP_REQUIRED} trustAllCerts="true"`) },
      { file: 'usersrepository.xml', key: 'usersrepository@trustAllCerts', value: 'true', fix: 'NODE_EXTRA_CA_CERTS' },
    );
    await loadClean({ 'usersrepository.xml': ldap(`${LDAP_REQUIRED} trustAllCerts="false"`) });
  });

  it("James' administrators: the <administratorIds> list, for the embedded and the LDAP repository", async () => {
    const list = '<administratorIds><administratorId>Admin1@domain.tld</administratorId><administratorId>admin2@domain.tld</administratorId></administratorIds>';
    const embedded = await loadClean({ 'usersrepository.xml': `<usersrepository name="LocalUsers"><enableVirtualHosting>true</enableVirtualHosting>${list}</usersrepository>` });
    assert.deepEqual(embedded.config.users.administratorIds, ['admin1@domain.tld', 'admin2@domain.tld']);
    const directory = await loadClean({ 'usersrepository.xml': ldap(LDAP_REQUIRED, list) });
    assert.deepEqual(directory.config.users.administratorIds, ['admin1@domain.tld', 'admin2@domain.tld']);
  });

  it("a single <administratorId> replaces the list, as in James; LDAP's administratorId attribute adds one", async () => {
    const l = await expectWarning(
      { 'usersrepository.xml': ldap(`${LDAP_REQUIRED} administratorId="root@domain.tld"`, '<administratorId>boss@domain.tld</administratorId><administratorIds><administratorId>other@domain.tld</administratorId></administratorIds>') },
      { file: 'usersrepository.xml', key: 'usersrepository.administratorIds', includes: ['ignored because usersrepository.administratorId is set'] },
    );
    assert.deepEqual(l.config.users.administratorIds, ['boss@domain.tld', 'root@domain.tld']);
  });

  it('LDAP host that is not an ldap:// URL', async () => {
    await expectConfigError(
      { 'usersrepository.xml': ldap('ldapHost="http://ldap.test" userBase="ou=people,dc=test" userIdAttribute="uid"') },
      { file: 'usersrepository.xml', key: 'usersrepository@ldapHost', value: 'http://ldap.test', fix: 'write ldap:// or ldaps:// URLs' },
    );
  });

  it('a userIdAttribute that is not an attribute name is a start-up error', async () => {
    await expectConfigError(
      { 'usersrepository.xml': ldap('ldapHost="ldap://ldap.test" userBase="ou=people,dc=test" userIdAttribute="uid)(x"') },
      { file: 'usersrepository.xml', key: 'usersrepository@userIdAttribute', value: 'uid)(x', fix: 'write an LDAP attribute name' },
    );
  });

  it('startTLS with ldaps:// is a start-up error', async () => {
    await expectConfigError(
      { 'usersrepository.xml': ldap('ldapHost="ldaps://ldap.test" userBase="ou=people,dc=test" userIdAttribute="uid" startTLS="true"') },
      { file: 'usersrepository.xml', key: 'usersrepository@startTLS', value: 'true', fix: 'ldaps:// is already encrypted' },
    );
  });

  it('a filter without parentheses is a start-up error', async () => {
    await expectConfigError(
      { 'usersrepository.xml': ldap(`${LDAP_REQUIRED} filter="objectClass=person"`) },
      { file: 'usersrepository.xml', key: 'usersrepository@filter', value: 'objectClass=person', fix: 'RFC 4515 filter in parentheses' },
    );
  });

  it('an unknown repository class is a start-up error', async () => {
    await expectConfigError(
      { 'usersrepository.xml': '<usersrepository class="org.apache.james.user.file.UsersFileRepository"/>' },
      { file: 'usersrepository.xml', key: 'usersrepository@class', value: 'org.apache.james.user.file.UsersFileRepository', fix: 'org.apache.james.user.ldap.ReadOnlyUsersLDAPRepository' },
    );
  });

  it('unknown LDAP attributes warn; James attributes Tessera does not use say so', async () => {
    await expectWarning({ 'usersrepository.xml': ldap(`${LDAP_REQUIRED} userBse="x"`) }, { file: 'usersrepository.xml', key: 'usersrepository@userBse', includes: ['unknown attribute "userBse"'] });
    await expectWarning({ 'usersrepository.xml': ldap(`${LDAP_REQUIRED} poolSize="4"`) }, { file: 'usersrepository.xml', key: 'usersrepository@poolSize', includes: ['James setting poolSize is not used by Tessera'] });
  });
});

describe('domainlist.xml', () => {
  it('no file: no domains, default domain localhost as in James', async () => {
    const l = await loadClean({});
    assert.deepEqual(l.config.domains, { domainnames: [], defaultDomain: 'localhost', autodetect: false, autodetectIP: false });
  });

  it('domain names (lower-cased, trailing dot dropped) and the default domain', async () => {
    const l = await loadClean({
      'domainlist.xml': '<domainlist class="org.apache.james.domainlist.jpa.JPADomainList"><domainnames><domainname>Example.COM</domainname><domainname>mail.example.org.</domainname></domainnames><autodetect>false</autodetect><autodetectIP>false</autodetectIP><defaultDomain>example.com</defaultDomain></domainlist>',
    });
    assert.deepEqual(l.config.domains, { domainnames: ['example.com', 'mail.example.org'], defaultDomain: 'example.com', autodetect: false, autodetectIP: false });
  });

  it('an explicit default domain is added to the list, as James does', async () => {
    const l = await loadClean({ 'domainlist.xml': '<domainlist><domainnames><domainname>a.test</domainname></domainnames><defaultDomain>b.test</defaultDomain></domainlist>' });
    assert.deepEqual(l.config.domains, { domainnames: ['a.test', 'b.test'], defaultDomain: 'b.test', autodetect: false, autodetectIP: false });
  });

  it("autodetect and autodetectIP are read with James' meaning (false when absent), without a warning", async () => {
    const on = await loadClean({ 'domainlist.xml': '<domainlist><autodetect>true</autodetect><autodetectIP>true</autodetectIP></domainlist>' });
    assert.equal(on.config.domains.autodetect, true);
    assert.equal(on.config.domains.autodetectIP, true);
    const absent = await loadClean({ 'domainlist.xml': '<domainlist><domainnames><domainname>a.test</domainname></domainnames></domainlist>' });
    assert.equal(absent.config.domains.autodetect, false);
    assert.equal(absent.config.domains.autodetectIP, false);
  });

  it('a domain listed twice warns', async () => {
    await expectWarning(
      { 'domainlist.xml': '<domainlist><domainnames><domainname>a.test</domainname><domainname>A.test</domainname></domainnames></domainlist>' },
      { file: 'domainlist.xml', key: 'domainlist.domainnames.domainname[2]', includes: ['listed twice'] },
    );
  });

  it('an invalid domain name is a start-up error', async () => {
    await expectConfigError(
      { 'domainlist.xml': '<domainlist><domainnames><domainname>bad_domain!</domainname></domainnames></domainlist>' },
      { file: 'domainlist.xml', key: 'domainlist.domainnames.domainname[1]', value: 'bad_domain!', fix: 'write a domain name such as example.com' },
    );
  });

  it('unknown elements warn', async () => {
    await expectWarning({ 'domainlist.xml': '<domainlist><defaultdomain>x.test</defaultdomain></domainlist>' }, { file: 'domainlist.xml', key: 'domainlist.defaultdomain', includes: ['unknown element <defaultdomain>'] });
  });
});

describe('tessera.properties', () => {
  it('no file: data in ./var under the working directory, sqlite, info, no dev IdP, 10 s shutdown, no demo user', async () => {
    const l = await loadClean({});
    assert.deepEqual(l.config.settings, {
      dataDir: path.resolve('var'),
      storage: { engine: 'sqlite' },
      logLevel: 'info',
      devIdp: { enabled: false, port: 8600, issuer: 'http://127.0.0.1:8600' },
      shutdownTimeout: 10,
      proxy: { trustedNetworks: [], headerTimeoutMs: 5000 },
      seedDemoUser: false,
      processes: 1,
      sieve: { maxScripts: 100, maxScriptSize: 256 * 1024 },
    });
  });

  it('every key', async () => {
    const l = await loadClean({
      'tessera.properties': 'data.dir=/srv/tessera\nstorage.engine=postgres\nstorage.postgres.url=postgres://u:p@127.0.0.1:5432/db\nstorage.postgres.poolSize=25\nstorage.postgres.schema=mail\nlog.level=DEBUG\ndevIdp.enabled=true\ndevIdp.port=9600\nshutdown.timeout=30\ndemo.seed=true\npostmaster=Admin@Example.org\nstorage.ingest.memory=64M\nsieve.maxScripts=7\nsieve.maxScriptSize=32K\nvacation.resendInterval=3d\nldap.cacheTtl=2m\noutbound.delayWarning=4h\noutbound.leaseTime=90s\noutbound.pollInterval=500ms\nproxy.trustedNetworks=10.0.0.2, fd00::/64\nproxy.headerTimeout=3s\nserver.processes=3\n',
    });
    assert.deepEqual(l.config.settings, {
      dataDir: '/srv/tessera',
      storage: { engine: 'postgres', url: 'postgres://u:p@127.0.0.1:5432/db', poolSize: 25, schema: 'mail' },
      ingestMemory: 64 * 1024 * 1024,
      logLevel: 'debug',
      devIdp: { enabled: true, port: 9600, issuer: 'http://127.0.0.1:9600' },
      shutdownTimeout: 30,
      proxy: { trustedNetworks: ['10.0.0.2/32', 'fd00::/64'], headerTimeoutMs: 3000 },
      seedDemoUser: true,
      processes: 3,
      postmaster: 'admin@example.org',
      sieve: { maxScripts: 7, maxScriptSize: 32 * 1024 },
      vacationResendAfterMs: 3 * 24 * 3600_000,
      ldapCacheTtlMs: 120_000,
      delayWarningMs: 4 * 3600_000,
      outboundLeaseMs: 90_000,
      outboundPollMs: 500,
    });
  });

  it('vacation.resendInterval and ldap.cacheTtl: durations, refused when unusable', async () => {
    await expectConfigError({ 'tessera.properties': 'vacation.resendInterval=10s\n' }, { file: 'tessera.properties', key: 'vacation.resendInterval', value: '10s', fix: 'at least 1m' });
    await expectConfigError({ 'tessera.properties': 'ldap.cacheTtl=soon\n' }, { file: 'tessera.properties', key: 'ldap.cacheTtl', value: 'soon', fix: 'write a duration' });
    assert.equal((await loadClean({ 'tessera.properties': 'ldap.cacheTtl=0\n' })).config.settings.ldapCacheTtlMs, 0);
  });

  it('outbound.leaseTime and outbound.pollInterval: durations within bounds', async () => {
    await expectConfigError({ 'tessera.properties': 'outbound.leaseTime=500ms\n' }, { file: 'tessera.properties', key: 'outbound.leaseTime', value: '500ms', fix: 'between 1s and 1h' });
    await expectConfigError({ 'tessera.properties': 'outbound.pollInterval=2h\n' }, { file: 'tessera.properties', key: 'outbound.pollInterval', value: '2h', fix: 'between 100ms and 1h' });
    assert.equal((await loadClean({ 'tessera.properties': 'outbound.leaseTime=2m\n' })).config.settings.outboundLeaseMs, 120_000);
  });

  it('server.processes: a count from 1 to 64, or auto for one per core', async () => {
    assert.equal((await loadClean({ 'tessera.properties': 'server.processes=auto\n' })).config.settings.processes, Math.min(64, availableParallelism()));
    assert.equal((await loadClean({ 'tessera.properties': 'server.processes=AUTO\n' })).config.settings.processes, Math.min(64, availableParallelism()));
    await expectConfigError({ 'tessera.properties': 'server.processes=0\n' }, { file: 'tessera.properties', key: 'server.processes', value: '0', fix: 'auto or a whole number from 1 to 64' });
    await expectConfigError({ 'tessera.properties': 'server.processes=many\n' }, { file: 'tessera.properties', key: 'server.processes', value: 'many', fix: 'auto or a whole number from 1 to 64' });
  });

  it('TESSERA_DATA_DIR and TESSERA_LOG_LEVEL override the file', async () => {
    const l = await loadClean({ 'tessera.properties': 'data.dir=./x\nlog.level=info\n' }, { TESSERA_DATA_DIR: '/tmp/elsewhere', TESSERA_LOG_LEVEL: 'trace' });
    assert.equal(l.config.settings.dataDir, '/tmp/elsewhere');
    assert.equal(l.config.settings.logLevel, 'trace');
  });

  it('a bad TESSERA_LOG_LEVEL is an error naming the variable', async () => {
    await expectConfigError({}, { file: 'environment', key: 'TESSERA_LOG_LEVEL', value: 'loud', fix: 'allowed values: fatal, error, warn, info, debug, trace, silent' }, { TESSERA_LOG_LEVEL: 'loud' });
  });

  it('a postmaster that is not a user name is a start-up error', async () => {
    await expectConfigError({ 'tessera.properties': 'postmaster=two words\n' }, { file: 'tessera.properties', key: 'postmaster', value: 'two words', fix: 'a local user name' });
  });

  it('postgres without a URL is a start-up error', async () => {
    await expectConfigError({ 'tessera.properties': 'storage.engine=postgres\n' }, { file: 'tessera.properties', key: 'storage.postgres.url', value: '', fix: 'postgres://' });
  });

  it("postgres settings from James' postgres.properties, tessera.properties winning", async () => {
    const james =
      'database.name=james\ndatabase.schema=mail\ndatabase.host=db.internal\ndatabase.port=5433\ndatabase.username=james\ndatabase.password=s3cr@t/x\npool.max.size=15\nssl.mode=require\n';
    const fromJames = await loadClean({ 'tessera.properties': 'storage.engine=postgres\n', 'postgres.properties': james });
    assert.deepEqual(fromJames.config.settings.storage, {
      engine: 'postgres',
      url: 'postgres://james:s3cr%40t%2Fx@db.internal:5433/james?sslmode=require',
      poolSize: 15,
      schema: 'mail',
    });
    const overridden = await loadClean({
      'tessera.properties': 'storage.engine=postgres\nstorage.postgres.url=postgres://t@127.0.0.1/t\nstorage.postgres.poolSize=4\n',
      'postgres.properties': james,
    });
    assert.deepEqual(overridden.config.settings.storage, { engine: 'postgres', url: 'postgres://t@127.0.0.1/t', poolSize: 4, schema: 'mail' });
    const defaults = await loadClean({ 'tessera.properties': 'storage.engine=postgres\nstorage.postgres.url=postgres://t@127.0.0.1/t\n' });
    assert.deepEqual(defaults.config.settings.storage, { engine: 'postgres', url: 'postgres://t@127.0.0.1/t', poolSize: 10 });
  });

  it('a postgres pool size out of range or a postgres.properties without a user is a start-up error', async () => {
    await expectConfigError(
      { 'tessera.properties': 'storage.engine=postgres\nstorage.postgres.url=postgres://t@h/d\nstorage.postgres.poolSize=0\n' },
      { file: 'tessera.properties', key: 'storage.postgres.poolSize', value: '0', fix: '1' },
    );
    await expectConfigError(
      { 'tessera.properties': 'storage.engine=postgres\n', 'postgres.properties': 'database.name=james\n' },
      { file: 'postgres.properties', key: 'database.username', value: '', fix: 'database.username=' },
    );
  });

  it('an ingest memory budget below 1M is a start-up error', async () => {
    await expectConfigError({ 'tessera.properties': 'storage.ingest.memory=100K\n' }, { file: 'tessera.properties', key: 'storage.ingest.memory', value: '100K', fix: 'at least 1M' });
  });

  it('an unknown engine or log level is a start-up error', async () => {
    await expectConfigError({ 'tessera.properties': 'storage.engine=mysql\n' }, { file: 'tessera.properties', key: 'storage.engine', value: 'mysql', fix: 'allowed values: sqlite, postgres' });
    await expectConfigError({ 'tessera.properties': 'log.level=verbose\n' }, { file: 'tessera.properties', key: 'log.level', value: 'verbose', fix: 'allowed values: fatal' });
  });

  it('the dev IdP port may not collide with a listener', async () => {
    await expectConfigError(
      { 'tessera.properties': 'devIdp.enabled=true\ndevIdp.port=8000\n', 'jmap.properties': 'jmap.port=8000\n' },
      { file: 'tessera.properties', key: 'devIdp.port', value: '127.0.0.1:8000', fix: 'already used by jmap.port' },
    );
  });

  it('unknown keys warn', async () => {
    await expectWarning({ 'tessera.properties': 'datadir=./var\n' }, { file: 'tessera.properties', key: 'datadir', includes: ['unknown key datadir'] });
  });
});

describe('conf directory', () => {
  it('a missing conf directory is an error naming it', async () => {
    const conf = await tempConf({});
    try {
      const missing = path.join(conf.home, 'nope');
      const err = await loadConfig(missing, { env: {} }).then(() => assert.fail('expected an error'), (e: unknown) => e);
      assert.ok(err instanceof ConfigError);
      assert.equal(err.key, '--conf');
      assert.match(err.message, /no such directory/);
      assert.ok(err.message.includes(missing));
    } finally {
      await conf.cleanup();
    }
  });
});
