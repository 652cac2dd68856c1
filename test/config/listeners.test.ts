// imapserver.xml / smtpserver.xml: every mapping, legacy and proposal name, conflict and error.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import type { LoadedConfig } from '../../src/config/load.js';
import type { ImapServerConfig, SmtpServerConfig } from '../../src/config/types.js';
import { expectConfigError, expectWarning, imapBlock, imapXml, loadClean, smtpBlock, smtpXml, type ExpectedError, type ExpectedWarning } from './fixtures.js';

function imap(loaded: LoadedConfig, i = 0): ImapServerConfig {
  const server = loaded.config.imap[i];
  assert.ok(server, `no imap block ${i}`);
  return server;
}

function smtp(loaded: LoadedConfig, i = 0): SmtpServerConfig {
  const server = loaded.config.smtp[i];
  assert.ok(server, `no smtp block ${i}`);
  return server;
}

const OIDC_FULL = `<oidc>
  <jwksURL>https://idp.test/jwks</jwksURL>
  <oidcConfigurationURL>https://idp.test/.well-known/openid-configuration</oidcConfigurationURL>
  <issuer>https://idp.test</issuer>
  <claim>email</claim>
  <scope>openid email</scope>
  <aud>urn:a, urn:b</aud>
  <clientId>tessera</clientId>
  <introspection><url>https://idp.test/introspect</url><auth>Basic dGVzc2VyYTpzZWNyZXQ=</auth></introspection>
  <userinfo><url>https://idp.test/userinfo</url></userinfo>
  <revalidateInterval>120</revalidateInterval>
</oidc>`;

interface MappingCase {
  name: string;
  files: Record<string, string>;
  check: (loaded: LoadedConfig) => void;
}

const mappings: MappingCase[] = [
  {
    name: 'a minimal IMAP block gets James-compatible, TLS-safe defaults',
    files: { 'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:1143')) },
    check: (l) => {
      const s = imap(l);
      assert.equal(s.protocol, 'imap');
      assert.equal(s.name, 'imap-1');
      assert.equal(s.enabled, true);
      assert.deepEqual(s.bind, [{ host: '127.0.0.1', port: 1143 }]);
      assert.deepEqual(s.tls, { socketTLS: false, startTLS: false, selfSigned: false });
      assert.equal(s.connectionLimit, 0);
      assert.equal(s.connectionLimitPerIP, 0);
      assert.equal(s.helloName, hostname());
      // James IMAP: requireSSL falls back to plainAuthDisallowed, true by default.
      assert.deepEqual(s.auth, { plainAuthEnabled: true, requireSSL: true, requireSSLDefaulted: true });
      assert.equal(s.timeout, 1800);
      assert.deepEqual(s.tokenExpiry, { action: 'disconnect', graceSeconds: 60 });
      assert.equal(s.maxLineLength, 65536);
      assert.equal(s.maxLiteralSize, 64 * 1024 * 1024);
      assert.equal(s.preAuthSizeLimit, 64 * 1024, 'before login: 64 KiB per line and literal');
      assert.match(s.source, /imapserver\.xml, block 1$/);
    },
  },
  {
    name: 'a single <imapserver> may be the root element',
    files: { 'imapserver.xml': `<imapserver><bind>127.0.0.1:1143</bind></imapserver>` },
    check: (l) => assert.deepEqual(imap(l).bind, [{ host: '127.0.0.1', port: 1143 }]),
  },
  {
    name: 'enabled, jmxName and several bind addresses including IPv6',
    files: { 'imapserver.xml': imapXml(imapBlock('<jmxName>imap-main</jmxName>', '0.0.0.0:1143, [::1]:1144,localhost:1145', ' enabled="false"')) },
    check: (l) => {
      const s = imap(l);
      assert.equal(s.enabled, false);
      assert.equal(s.name, 'imap-main');
      assert.deepEqual(s.bind, [
        { host: '0.0.0.0', port: 1143 },
        { host: '::1', port: 1144 },
        { host: 'localhost', port: 1145 },
      ]);
    },
  },
  {
    name: 'limits, connectiontimeout, maxLineLength and literalSizeLimit with units',
    files: {
      'imapserver.xml': imapXml(
        imapBlock('<connectionLimit>100</connectionLimit><connectionLimitPerIP>10</connectionLimitPerIP><connectiontimeout>600</connectiontimeout><maxLineLength>8192</maxLineLength><literalSizeLimit>20M</literalSizeLimit><preAuthSizeLimit>16K</preAuthSizeLimit>', '127.0.0.1:1'),
        imapBlock('<timeout>900</timeout><literalSizeLimit>0</literalSizeLimit>', '127.0.0.1:2'),
      ),
    },
    check: (l) => {
      const a = imap(l, 0);
      assert.equal(a.connectionLimit, 100);
      assert.equal(a.connectionLimitPerIP, 10);
      assert.equal(a.timeout, 600);
      assert.equal(a.maxLineLength, 8192);
      assert.equal(a.maxLiteralSize, 20 * 1024 * 1024);
      assert.equal(a.preAuthSizeLimit, 16 * 1024);
      const b = imap(l, 1);
      assert.equal(b.name, 'imap-2');
      assert.equal(b.timeout, 900, 'James IMAP samples write <timeout>');
      assert.equal(b.maxLiteralSize, Number.MAX_SAFE_INTEGER, 'James: 0 = unlimited');
    },
  },
  {
    name: 'helloName: autodetect="false" uses the given name, a bare name is used too',
    files: {
      'imapserver.xml': imapXml(
        imapBlock('<helloName autodetect="false">mail.example.com</helloName>', '127.0.0.1:1'),
        imapBlock('<helloName>mx.example.com</helloName>', '127.0.0.1:2'),
        imapBlock('<helloName autodetect="true"/>', '127.0.0.1:3'),
      ),
    },
    check: (l) => {
      assert.equal(imap(l, 0).helloName, 'mail.example.com');
      assert.equal(imap(l, 1).helloName, 'mx.example.com');
      assert.equal(imap(l, 2).helloName, hostname());
    },
  },
  {
    name: 'the full <auth> block with every <oidc> key',
    files: { 'imapserver.xml': imapXml(imapBlock(`<auth><plainAuthEnabled>false</plainAuthEnabled><requireSSL>false</requireSSL>${OIDC_FULL}</auth>`)) },
    check: (l) => {
      assert.deepEqual(imap(l).auth, {
        plainAuthEnabled: false,
        requireSSL: false,
        oidc: {
          jwksURL: 'https://idp.test/jwks',
          oidcConfigurationURL: 'https://idp.test/.well-known/openid-configuration',
          issuer: 'https://idp.test',
          claim: 'email',
          scope: 'openid email',
          aud: ['urn:a', 'urn:b'],
          clientId: 'tessera',
          introspection: { url: 'https://idp.test/introspect', auth: 'Basic dGVzc2VyYTpzZWNyZXQ=' },
          userinfo: { url: 'https://idp.test/userinfo' },
          revalidateInterval: 120,
        },
      });
    },
  },
  {
    name: 'oidc defaults: claim email_address as James, re-introspection every 300 s when introspecting',
    files: {
      'imapserver.xml': imapXml(
        imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><aud>james</aud></oidc></auth>', '127.0.0.1:1'),
        imapBlock('<auth><oidc><oidcConfigurationURL>https://idp.test/.well-known/openid-configuration</oidcConfigurationURL><aud>james</aud><introspection><url>https://idp.test/i</url></introspection><revalidateInterval>5m</revalidateInterval></oidc></auth>', '127.0.0.1:2'),
        imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><aud>james</aud><introspection><url>https://idp.test/i</url></introspection></oidc></auth>', '127.0.0.1:3'),
      ),
    },
    check: (l) => {
      assert.deepEqual(imap(l, 0).auth.oidc, { jwksURL: 'https://idp.test/jwks', claim: 'email_address', aud: ['james'], revalidateInterval: 0 });
      assert.equal(imap(l, 1).auth.oidc?.revalidateInterval, 300);
      assert.deepEqual(imap(l, 1).auth.oidc?.introspection, { url: 'https://idp.test/i' });
      assert.equal(imap(l, 2).auth.oidc?.revalidateInterval, 300);
    },
  },
  {
    name: 'tokenExpiry: ignore, or disconnect with a grace period',
    files: {
      'imapserver.xml': imapXml(
        imapBlock('<tokenExpiry action="ignore"/>', '127.0.0.1:1'),
        imapBlock('<tokenExpiry action="disconnect" grace="30"/>', '127.0.0.1:2'),
        imapBlock('<tokenExpiry/>', '127.0.0.1:3'),
      ),
    },
    check: (l) => {
      assert.deepEqual(imap(l, 0).tokenExpiry, { action: 'ignore' });
      assert.deepEqual(imap(l, 1).tokenExpiry, { action: 'disconnect', graceSeconds: 30 });
      assert.deepEqual(imap(l, 2).tokenExpiry, { action: 'disconnect', graceSeconds: 60 });
    },
  },
  {
    name: 'TLS switched on without material means the generated self-signed certificate',
    files: {
      'imapserver.xml': imapXml(imapBlock('<tls socketTLS="false" startTLS="true"/>', '127.0.0.1:1'), imapBlock('<tls socketTLS="true" startTLS="false"></tls>', '127.0.0.1:2')),
    },
    check: (l) => {
      assert.deepEqual(imap(l, 0).tls, { socketTLS: false, startTLS: true, selfSigned: true });
      assert.deepEqual(imap(l, 1).tls, { socketTLS: true, startTLS: false, selfSigned: true });
    },
  },
  {
    name: 'a minimal SMTP block: no AUTH announced, relay needs auth, identity verified, 50 MB',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('', '127.0.0.1:2525')) },
    check: (l) => {
      const s = smtp(l);
      assert.equal(s.protocol, 'smtp');
      assert.equal(s.name, 'smtp-1');
      assert.equal(s.announce, 'never');
      assert.equal(s.requireAuthForRelay, true);
      assert.deepEqual(s.authorizedAddresses, []);
      assert.equal(s.verifyIdentity, 'strict');
      assert.equal(s.authRequired, false);
      assert.equal(s.maxMessageSize, 50 * 1024 * 1024);
      assert.equal(s.maxRecipients, 1000);
      assert.equal(s.maxLineLength, 65536);
      assert.equal(s.timeout, 300);
      // James SMTP: auth.requireSSL defaults to false; the start-up check warns about clear text.
      assert.deepEqual(s.auth, { plainAuthEnabled: true, requireSSL: false, requireSSLDefaulted: true });
      assert.deepEqual(s.disabledCommands, []);
    },
  },
  {
    name: 'SMTP <handlerchain>: James\' NoAuthCmdHandlerLoader leaves AUTH out; CoreCmdHandlerLoader (the default) and AuthCmdHandler bring it',
    files: {
      'smtpserver.xml': smtpXml(
        smtpBlock('<handlerchain coreHandlersPackage="org.apache.james.smtpserver.NoAuthCmdHandlerLoader"><handler class="org.apache.james.smtpserver.fastfail.ValidRcptHandler"/></handlerchain>', '127.0.0.1:1'),
        smtpBlock('<handlerchain><handler class="org.apache.james.smtpserver.fastfail.ValidRcptHandler"/><handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/></handlerchain>', '127.0.0.1:2'),
        smtpBlock('<handlerchain coreHandlersPackage="org.apache.james.smtpserver.NoAuthCmdHandlerLoader"><handler class="org.apache.james.protocols.smtp.core.esmtp.AuthCmdHandler"/><handler class="org.apache.james.smtpserver.UsersRepositoryAuthHook"/></handlerchain>', '127.0.0.1:3'),
        // A package listed as a <handler> is loaded as a plain object in James: the default core stays.
        smtpBlock('<handlerchain><handler class="org.apache.james.smtpserver.NoAuthCmdHandlerLoader"/></handlerchain>', '127.0.0.1:4'),
        smtpBlock('<handlerchain coreHandlersPackage="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>', '127.0.0.1:5'),
      ),
    },
    check: (l) => {
      assert.deepEqual(l.warnings, []);
      assert.deepEqual(l.config.smtp.map((s) => s.disabledCommands), [['AUTH'], [], [], [], []]);
    },
  },
  {
    name: 'James <tls> restrictions: supportedProtocols honoured; PROXY protocol off and restrictions on a clear listener change nothing',
    files: {
      'imapserver.xml': imapXml(
        imapBlock('<tls socketTLS="true"><supportedProtocols><protocol>TLSv1.3</protocol></supportedProtocols></tls><proxyRequired>false</proxyRequired>', '127.0.0.1:1'),
        imapBlock('<tls startTLS="true"><supportedProtocols><protocol>TLSv1.3</protocol><protocol>TLSv1.2</protocol></supportedProtocols></tls>', '127.0.0.1:2'),
        imapBlock('<tls socketTLS="false" startTLS="false"><clientAuth/><supportedCipherSuites><cipherSuite>X</cipherSuite></supportedCipherSuites></tls><useHAProxy>false</useHAProxy>', '127.0.0.1:3'),
      ),
    },
    check: (l) => {
      assert.deepEqual(l.warnings, []);
      assert.deepEqual(l.config.imap.map((s) => [s.tls.minVersion, s.tls.maxVersion]), [['TLSv1.3', 'TLSv1.3'], ['TLSv1.2', 'TLSv1.3'], [undefined, undefined]]);
    },
  },
  {
    name: 'SMTP announce, requireAuthForRelay, authorizedAddresses in every James form, sizes in KB',
    files: {
      'smtpserver.xml': smtpXml(
        smtpBlock('<auth><announce>always</announce><requireAuthForRelay>false</requireAuthForRelay></auth><authorizedAddresses>127.0.0.0/8, ::1, 10.*, 192.168.1.7/255.255.255.0,172.16.5.4</authorizedAddresses><verifyIdentity>false</verifyIdentity><maxmessagesize>1024</maxmessagesize><maxRecipients>50</maxRecipients><maxLineLength>2000</maxLineLength><connectiontimeout>60</connectiontimeout>', '127.0.0.1:1'),
        smtpBlock('<auth><announce>forUnauthorizedAddresses</announce></auth><maxmessagesize>0</maxmessagesize>', '127.0.0.1:2'),
        smtpBlock('<auth><announce>NEVER</announce></auth><maxmessagesize>2M</maxmessagesize>', '127.0.0.1:3'),
      ),
    },
    check: (l) => {
      const a = smtp(l, 0);
      assert.equal(a.announce, 'always');
      assert.equal(a.requireAuthForRelay, false);
      assert.deepEqual(a.authorizedAddresses, ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '192.168.1.0/24', '172.16.5.4/32']);
      assert.equal(a.verifyIdentity, 'disabled');
      assert.equal(a.maxMessageSize, 1024 * 1024);
      assert.equal(a.maxRecipients, 50);
      assert.equal(a.maxLineLength, 2000);
      assert.equal(a.timeout, 60);
      assert.equal(smtp(l, 1).announce, 'forUnauthorizedAddresses');
      assert.equal(smtp(l, 1).maxMessageSize, 0);
      assert.equal(smtp(l, 2).announce, 'never');
      assert.equal(smtp(l, 2).maxMessageSize, 2 * 1024 * 1024);
    },
  },
  {
    name: "James' <auth><required> and every verifyIdentity value (strict, true, relaxed, disabled, false) are read, without a warning",
    files: {
      'smtpserver.xml': smtpXml(
        smtpBlock('<auth><required>true</required></auth><verifyIdentity>strict</verifyIdentity>', '127.0.0.1:1'),
        smtpBlock('<auth><required>false</required></auth><verifyIdentity>TRUE</verifyIdentity>', '127.0.0.1:2'),
        smtpBlock('<verifyIdentity>relaxed</verifyIdentity>', '127.0.0.1:3'),
        smtpBlock('<verifyIdentity>disabled</verifyIdentity>', '127.0.0.1:4'),
        smtpBlock('<verifyIdentity> false </verifyIdentity>', '127.0.0.1:5'),
      ),
    },
    check: (l) => {
      assert.equal(smtp(l, 0).authRequired, true);
      assert.equal(smtp(l, 0).verifyIdentity, 'strict');
      assert.equal(smtp(l, 1).authRequired, false);
      assert.equal(smtp(l, 1).verifyIdentity, 'strict');
      assert.equal(smtp(l, 2).verifyIdentity, 'relaxed');
      assert.equal(smtp(l, 3).verifyIdentity, 'disabled');
      assert.equal(smtp(l, 4).verifyIdentity, 'disabled');
    },
  },
  {
    name: 'disabled blocks may share an address with enabled ones (they never bind)',
    files: {
      'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:1143'), imapBlock('', '127.0.0.1:1143', ' enabled="false"')),
    },
    check: (l) => assert.equal(l.config.imap.length, 2),
  },
  {
    name: '<proxyRequired>true with proxy.trustedNetworks: that listener reads PROXY headers from those networks, the others none',
    files: {
      'tessera.properties': 'proxy.trustedNetworks=10.0.0.2, 10.0.1.0/24\nproxy.headerTimeout=3s\n',
      'imapserver.xml': imapXml(imapBlock('<proxyRequired>true</proxyRequired>', '127.0.0.1:1143'), imapBlock('', '127.0.0.1:1144')),
    },
    check: (l) => {
      assert.equal(l.config.imap[0]?.proxyRequired, true);
      assert.deepEqual(l.config.imap[0]?.proxy, { trustedNetworks: ['10.0.0.2/32', '10.0.1.0/24'], headerTimeoutMs: 3000 });
      assert.equal(l.config.imap[1]?.proxyRequired, false);
      assert.equal(l.config.imap[1]?.proxy, undefined);
    },
  },
  {
    name: 'James\' older <useHAProxy>true is read as <proxyRequired>',
    files: { 'tessera.properties': 'proxy.trustedNetworks=127.0.0.1\n', 'imapserver.xml': imapXml(imapBlock('<useHAProxy>true</useHAProxy>')) },
    check: (l) => assert.deepEqual(imap(l).proxy, { trustedNetworks: ['127.0.0.1/32'], headerTimeoutMs: 5000 }),
  },
  {
    name: 'port 0 (ephemeral, for tests) may appear many times',
    files: { 'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:0'), imapBlock('', '127.0.0.1:0')), 'smtpserver.xml': smtpXml(smtpBlock('', '127.0.0.1:0')) },
    check: (l) => assert.equal(l.config.imap[1]?.bind[0]?.port, 0),
  },
];

describe('listener files: mappings', () => {
  for (const c of mappings) {
    it(c.name, async () => c.check(await loadClean(c.files)));
  }
});

interface LegacyCase {
  name: string;
  files: Record<string, string>;
  warning: ExpectedWarning;
  check: (loaded: LoadedConfig) => void;
}

const legacy: LegacyCase[] = [
  {
    name: 'IMAP <plainAuthDisallowed>true</plainAuthDisallowed> → auth.requireSSL=true',
    files: { 'imapserver.xml': imapXml(imapBlock('<plainAuthDisallowed>true</plainAuthDisallowed><auth><requireSSL>true</requireSSL></auth>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].plainAuthDisallowed', includes: ['deprecated (legacy James name)', 'use imapserver[1].auth.requireSSL instead'] },
    check: (l) => assert.equal(imap(l).auth.requireSSL, true),
  },
  {
    name: 'IMAP <plainAuthDisallowed>false</plainAuthDisallowed> alone → auth.requireSSL=false',
    files: { 'imapserver.xml': imapXml(imapBlock('<plainAuthDisallowed>false</plainAuthDisallowed>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].plainAuthDisallowed', includes: ['use imapserver[1].auth.requireSSL instead'] },
    check: (l) => assert.equal(imap(l).auth.requireSSL, false),
  },
  {
    name: 'the proposal\'s <authentication> block is read as <auth>',
    files: { 'imapserver.xml': imapXml(imapBlock('<authentication><plainAuthEnabled>false</plainAuthEnabled><requireSSL>false</requireSSL></authentication>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].authentication', includes: ["deprecated (the original proposal's name)", 'use imapserver[1].auth instead'] },
    check: (l) => assert.deepEqual(imap(l).auth, { plainAuthEnabled: false, requireSSL: false }),
  },
  {
    name: 'the proposal\'s <oauth> block is read as <oidc>',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><oauth><jwksURL>https://idp.test/jwks</jwksURL><claim>email</claim><aud>james</aud></oauth></auth>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].auth.oauth', includes: ['use imapserver[1].auth.oidc instead'] },
    check: (l) => assert.deepEqual(imap(l).auth.oidc, { jwksURL: 'https://idp.test/jwks', claim: 'email', aud: ['james'], revalidateInterval: 0 }),
  },
  {
    name: '<authentication><oauth> together, as the proposal wrote them',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authentication><announce>always</announce><oauth><oidcConfigurationURL>https://idp.test/.well-known/openid-configuration</oidcConfigurationURL><aud>james</aud></oauth></authentication>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].authentication.oauth', includes: ['use smtpserver[1].authentication.oidc instead'] },
    check: (l) => {
      assert.equal(smtp(l).announce, 'always');
      assert.equal(smtp(l).auth.oidc?.oidcConfigurationURL, 'https://idp.test/.well-known/openid-configuration');
    },
  },
  {
    name: 'SMTP <authRequired>true</authRequired> → announce forUnauthorizedAddresses',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authRequired>true</authRequired>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].authRequired', includes: ['deprecated (legacy James name)', 'use smtpserver[1].auth.announce instead'] },
    check: (l) => {
      assert.equal(smtp(l).announce, 'forUnauthorizedAddresses');
      // James' parseFallback: the legacy key only chooses the announcement, it does not require AUTH.
      assert.equal(smtp(l).authRequired, false);
    },
  },
  {
    name: 'SMTP <authRequired>announce</authRequired> → announce always',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authRequired>announce</authRequired>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].authRequired', includes: ['use smtpserver[1].auth.announce instead'] },
    check: (l) => assert.equal(smtp(l).announce, 'always'),
  },
  {
    name: 'SMTP <authRequired>false</authRequired> → announce never',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authRequired>false</authRequired>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].authRequired', includes: ['use smtpserver[1].auth.announce instead'] },
    check: (l) => assert.equal(smtp(l).announce, 'never'),
  },
  {
    name: 'SMTP <authRequired> agreeing with <auth><announce> is accepted (with the warning)',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authRequired>announce</authRequired><auth><announce>always</announce></auth>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].authRequired', includes: ['use smtpserver[1].auth.announce instead'] },
    check: (l) => assert.equal(smtp(l).announce, 'always'),
  },
  {
    name: 'SMTP top-level <requireAuthForRelay> (the proposal) → auth.requireAuthForRelay',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<requireAuthForRelay>false</requireAuthForRelay>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].requireAuthForRelay', includes: ["the original proposal's name", 'use smtpserver[1].auth.requireAuthForRelay instead'] },
    check: (l) => assert.equal(smtp(l).requireAuthForRelay, false),
  },
  {
    name: 'SMTP legacy <requireAuth> → auth.requireAuthForRelay',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<requireAuth>false</requireAuth>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].requireAuth', includes: ['deprecated (legacy James name)', 'use smtpserver[1].auth.requireAuthForRelay instead'] },
    check: (l) => assert.equal(smtp(l).requireAuthForRelay, false),
  },
];

describe('listener files: legacy and proposal names', () => {
  for (const c of legacy) {
    it(c.name, async () => c.check(await expectWarning(c.files, c.warning)));
  }
});

interface ErrorCase {
  name: string;
  files: Record<string, string>;
  error: ExpectedError;
}

const errors: ErrorCase[] = [
  // James' OidcSASLConfiguration refuses an <oidc> block without <aud> (james.sasl.oidc.validate.aud).
  {
    name: 'an IMAP <oidc> block without <aud>',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><claim>email</claim></oidc></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].auth.oidc.aud', value: '', fix: 'set auth.oidc.requireAudience=false in tessera.properties' },
  },
  {
    name: 'an SMTP <oidc> block with an empty <aud>',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><aud> </aud></oidc></auth>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].auth.oidc.aud', value: '', fix: 'add <aud> with the audience your provider puts in tokens' },
  },
  {
    name: 'auth.oidc.requireAudience that is not a boolean',
    files: { 'tessera.properties': 'auth.oidc.requireAudience=no\n' },
    error: { file: 'tessera.properties', key: 'auth.oidc.requireAudience', value: 'no', fix: 'write true or false' },
  },
  // Conflicts between an old and a new name.
  {
    name: 'plainAuthDisallowed contradicting auth.requireSSL',
    files: { 'imapserver.xml': imapXml(imapBlock('<plainAuthDisallowed>true</plainAuthDisallowed><auth><requireSSL>false</requireSSL></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].plainAuthDisallowed', value: 'true', fix: 'contradicts imapserver[1].auth.requireSSL = "false"; keep only imapserver[1].auth.requireSSL' },
  },
  {
    name: 'authRequired contradicting auth.announce',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authRequired>true</authRequired><auth><announce>always</announce></auth>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].authRequired', value: 'true', fix: 'keep only smtpserver[1].auth.announce' },
  },
  {
    name: 'requireAuth contradicting auth.requireAuthForRelay',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<requireAuth>true</requireAuth><auth><requireAuthForRelay>false</requireAuthForRelay></auth>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].requireAuth', value: 'true', fix: 'keep only smtpserver[1].auth.requireAuthForRelay' },
  },
  {
    name: 'top-level requireAuthForRelay contradicting auth.requireAuthForRelay',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<requireAuthForRelay>true</requireAuthForRelay><auth><requireAuthForRelay>false</requireAuthForRelay></auth>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].requireAuthForRelay', value: 'true', fix: 'keep only smtpserver[1].auth.requireAuthForRelay' },
  },
  {
    name: '<authentication> contradicting <auth>',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><plainAuthEnabled>true</plainAuthEnabled></auth><authentication><plainAuthEnabled>false</plainAuthEnabled></authentication>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].authentication.plainAuthEnabled', value: 'false', fix: 'keep only imapserver[1].auth.plainAuthEnabled' },
  },
  {
    name: '<oauth> contradicting <oidc>',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><claim>email</claim></oidc><oauth><claim>sub</claim></oauth></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].auth.oauth.claim', value: 'sub', fix: 'keep only imapserver[1].auth.oidc.claim' },
  },
  {
    name: '<timeout> contradicting <connectiontimeout>',
    files: { 'imapserver.xml': imapXml(imapBlock('<connectiontimeout>60</connectiontimeout><timeout>90</timeout>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].timeout', value: '90', fix: 'keep only imapserver[1].connectiontimeout' },
  },
  // Invalid values.
  {
    name: 'preAuthSizeLimit too small for a login with a token',
    files: { 'imapserver.xml': imapXml(imapBlock('<preAuthSizeLimit>1K</preAuthSizeLimit>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].preAuthSizeLimit', value: '1K', fix: 'at least 4096 bytes' },
  },
  {
    name: 'port out of range',
    files: { 'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:70000')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].bind', value: '127.0.0.1:70000', fix: 'a port is a number from 1 to 65535' },
  },
  {
    name: 'bind without a port',
    files: { 'imapserver.xml': imapXml(imapBlock('', 'localhost')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].bind', value: 'localhost', fix: 'write host:port' },
  },
  {
    name: 'IPv6 bind without brackets',
    files: { 'imapserver.xml': imapXml(imapBlock('', '::1:143')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].bind', value: '::1:143', fix: 'put IPv6 addresses in brackets, e.g. [::1]:143' },
  },
  {
    name: 'a block without <bind>',
    files: { 'smtpserver.xml': smtpXml('<smtpserver><jmxName>x</jmxName></smtpserver>') },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].bind', value: '', fix: '<bind>0.0.0.0:25</bind>' },
  },
  {
    name: 'two <bind> elements in one block',
    files: { 'imapserver.xml': imapXml('<imapserver><bind>127.0.0.1:1</bind><bind>127.0.0.1:2</bind></imapserver>') },
    error: { file: 'imapserver.xml', key: 'imapserver[1].bind', value: '', fix: 'keep a single <bind> element' },
  },
  {
    name: 'unknown announce value',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<auth><announce>sometimes</announce></auth>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].auth.announce', value: 'sometimes', fix: 'allowed values: always, forUnauthorizedAddresses, never' },
  },
  {
    name: 'unknown verifyIdentity value',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<verifyIdentity>sometimes</verifyIdentity>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].verifyIdentity', value: 'sometimes', fix: 'allowed values: strict (or true), relaxed, disabled (or false)' },
  },
  {
    name: 'non-boolean auth.required',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<auth><required>yes</required></auth>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].auth.required', value: 'yes', fix: 'write true or false' },
  },
  {
    name: 'unknown authRequired value',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authRequired>maybe</authRequired>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].authRequired', value: 'maybe', fix: 'allowed values: true, false, announce' },
  },
  {
    name: 'non-boolean enabled attribute',
    files: { 'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:1', ' enabled="yes"')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1]@enabled', value: 'yes', fix: 'write true or false' },
  },
  {
    name: 'non-boolean requireSSL',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><requireSSL>on</requireSSL></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].auth.requireSSL', value: 'on', fix: 'write true or false' },
  },
  {
    name: 'non-boolean startTLS attribute',
    files: { 'imapserver.xml': imapXml(imapBlock('<tls startTLS="1"/>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].tls@startTLS', value: '1', fix: 'write true or false' },
  },
  {
    name: 'socketTLS and startTLS both on',
    files: { 'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true" startTLS="true"/>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].tls', value: 'socketTLS=true startTLS=true', fix: 'choose one' },
  },
  {
    name: 'half an oidc block (neither jwksURL nor oidcConfigurationURL)',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><oidc><claim>email</claim></oidc></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].auth.oidc', value: '', fix: 'add <jwksURL>' },
  },
  {
    name: 'half an oauth block is reported under its own name',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<auth><oauth><scope>openid</scope></oauth></auth>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].auth.oauth', value: '', fix: 'or <oidcConfigurationURL>' },
  },
  {
    name: 'introspection without url',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><introspection><auth>Basic x</auth></introspection></oidc></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].auth.oidc.introspection.url', value: '', fix: 'RFC 7662 introspection endpoint' },
  },
  {
    name: 'userinfo without url',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><userinfo/></oidc></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].auth.oidc.userinfo.url', value: '', fix: 'userinfo endpoint' },
  },
  {
    name: 'jwksURL that is not a URL',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><oidc><jwksURL>idp.test/jwks</jwksURL></oidc></auth>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].auth.oidc.jwksURL', value: 'idp.test/jwks', fix: 'write an absolute URL starting with http:// or https://' },
  },
  {
    name: 'authorizedAddresses with a host name',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authorizedAddresses>127.0.0.0/8, localhost</authorizedAddresses>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].authorizedAddresses', value: 'localhost', fix: 'host names are not accepted' },
  },
  {
    name: 'CIDR prefix out of range',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<authorizedAddresses>10.0.0.0/33</authorizedAddresses>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].authorizedAddresses', value: '10.0.0.0/33', fix: 'CIDR ranges' },
  },
  {
    name: 'maxmessagesize that is not a size',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<maxmessagesize>big</maxmessagesize>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].maxmessagesize', value: 'big', fix: 'a bare number is in kilobytes' },
  },
  {
    name: 'negative connectionLimit',
    files: { 'imapserver.xml': imapXml(imapBlock('<connectionLimit>-1</connectionLimit>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].connectionLimit', value: '-1', fix: 'from 0 to' },
  },
  {
    name: 'unknown tokenExpiry action',
    files: { 'imapserver.xml': imapXml(imapBlock('<tokenExpiry action="kill"/>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].tokenExpiry@action', value: 'kill', fix: 'allowed values: disconnect, ignore' },
  },
  {
    name: 'helloName autodetect="false" without a name',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<helloName autodetect="false"/>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].helloName', value: '', fix: '<helloName autodetect="false">mail.example.com</helloName>' },
  },
  {
    name: 'malformed XML',
    files: { 'imapserver.xml': '<imapservers><imapserver><bind>127.0.0.1:1</imapserver></imapservers>' },
    error: { file: 'imapserver.xml', key: '(document)', value: '', fix: 'fix the XML syntax' },
  },
  {
    name: 'wrong root element',
    files: { 'smtpserver.xml': '<imapservers/>' },
    error: { file: 'smtpserver.xml', key: '(root)', value: '<imapservers>', fix: 'the root element must be <smtpservers>' },
  },
  // Duplicate addresses.
  {
    name: 'the same address in imapserver.xml and smtpserver.xml',
    files: { 'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:1143')), 'smtpserver.xml': smtpXml(smtpBlock('', '127.0.0.1:1143')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].bind', value: '127.0.0.1:1143', fix: 'already used by imapserver[1].bind' },
  },
  {
    name: 'a wildcard address overlapping a specific one on the same port',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('', '0.0.0.0:2525'), smtpBlock('', '127.0.0.1:2525')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[2].bind', value: '127.0.0.1:2525', fix: 'a wildcard address covers every interface' },
  },
  {
    name: 'the same address twice in one <bind>',
    files: { 'imapserver.xml': imapXml(imapBlock('', '[::1]:1143, [::1]:1143')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].bind', value: '[::1]:1143', fix: 'give each listener its own port' },
  },
  {
    name: 'an unknown SMTP coreHandlersPackage (it decides whether AUTH is served)',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<handlerchain coreHandlersPackage="com.example.MyLoader"/>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].handlerchain@coreHandlersPackage', value: 'com.example.MyLoader', fix: 'org.apache.james.smtpserver.NoAuthCmdHandlerLoader (every command but AUTH' },
  },
  {
    name: 'an SMTP <handler> without its class',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<handlerchain><handler/></handlerchain>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].handlerchain.handler[1]@class', value: '', fix: 'every <handler> names its Java class' },
  },
  {
    name: 'PROXY protocol (<proxyRequired>true) without proxy.trustedNetworks',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<proxyRequired>true</proxyRequired>')) },
    error: { file: 'tessera.properties', key: 'proxy.trustedNetworks', value: '', fix: 'smtpserver.xml, block 1 (listener smtp-1) has <proxyRequired>true</proxyRequired>: list the load balancers\' addresses' },
  },
  {
    name: 'James\' older <useHAProxy>true without proxy.trustedNetworks',
    files: { 'imapserver.xml': imapXml(imapBlock('<useHAProxy>true</useHAProxy>')) },
    error: { file: 'tessera.properties', key: 'proxy.trustedNetworks', value: '', fix: 'e.g. proxy.trustedNetworks=' },
  },
  {
    name: 'proxy.trustedNetworks that is not a CIDR list',
    files: { 'tessera.properties': 'proxy.trustedNetworks=10.0.0.0/33\n', 'imapserver.xml': imapXml(imapBlock('<proxyRequired>true</proxyRequired>')) },
    error: { file: 'tessera.properties', key: 'proxy.trustedNetworks', value: '10.0.0.0/33', fix: '' },
  },
  {
    name: 'proxy.headerTimeout above a minute',
    files: { 'tessera.properties': 'proxy.trustedNetworks=10.0.0.2\nproxy.headerTimeout=5m\n' },
    error: { file: 'tessera.properties', key: 'proxy.headerTimeout', value: '5m', fix: 'between 100ms and 60s' },
  },
  {
    name: 'client certificates (<clientAuth>) on a TLS listener',
    files: { 'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true"><clientAuth><truststore>file://conf/trust.jks</truststore></clientAuth></tls>')) },
    error: { file: 'imapserver.xml', key: 'imapserver[1].tls.clientAuth', value: '', fix: 'Tessera does not ask clients for certificates' },
  },
  {
    name: 'a cipher suite list',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<tls startTLS="true"><supportedCipherSuites><cipherSuite>TLS_AES_128_GCM_SHA256</cipherSuite></supportedCipherSuites></tls>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].tls.supportedCipherSuites', value: '', fix: 'remove <supportedCipherSuites>' },
  },
  {
    name: 'a TLS version below 1.2',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<tls startTLS="true"><supportedProtocols><protocol>TLSv1.2</protocol><protocol>TLSv1.1</protocol></supportedProtocols></tls>')) },
    error: { file: 'smtpserver.xml', key: 'smtpserver[1].tls.supportedProtocols.protocol[2]', value: 'TLSv1.1', fix: 'Tessera serves TLSv1.2 and TLSv1.3 only' },
  },
  {
    name: 'jmap.port on an IMAP address',
    files: { 'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:8000')), 'jmap.properties': 'jmap.port=8000\n' },
    error: { file: 'jmap.properties', key: 'jmap.port', value: '127.0.0.1:8000', fix: 'already used by imapserver[1].bind' },
  },
];

describe('listener files: errors', () => {
  for (const c of errors) {
    it(`${c.name} is a start-up error naming file, key, value and fix`, async () => {
      await expectConfigError(c.files, c.error);
    });
  }
});

const warnings: { name: string; files: Record<string, string>; warning: ExpectedWarning }[] = [
  {
    name: 'an <oidc> block without <aud>, accepted knowingly with auth.oidc.requireAudience=false',
    files: {
      'tessera.properties': 'auth.oidc.requireAudience=false\n',
      'imapserver.xml': imapXml(imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL></oidc></auth>')),
    },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].auth.oidc.aud', includes: ['SECURITY', 'ANY application', 'auth.oidc.requireAudience=false'] },
  },
  {
    name: 'unknown element',
    files: { 'imapserver.xml': imapXml(imapBlock('<bindd>127.0.0.1:1</bindd>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].bindd', includes: ['unknown element <bindd>', 'check its spelling'] },
  },
  {
    name: 'unknown attribute',
    files: { 'imapserver.xml': imapXml(imapBlock('', '127.0.0.1:1', ' enable="true"')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1]@enable', includes: ['unknown attribute "enable"'] },
  },
  {
    name: 'unknown element inside <auth>',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><requireTLS>true</requireTLS></auth>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].auth.requireTLS', includes: ['unknown element <requireTLS>'] },
  },
  {
    name: 'SMTP-only <announce> in an IMAP block',
    files: { 'imapserver.xml': imapXml(imapBlock('<auth><announce>always</announce></auth>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].auth.announce', includes: ['unknown element <announce>'] },
  },
  {
    name: 'James setting Tessera does not use',
    files: { 'imapserver.xml': imapXml(imapBlock('<connectionBacklog>200</connectionBacklog>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].connectionBacklog', includes: ['James setting <connectionBacklog> is not used by Tessera'] },
  },
  {
    name: 'James TLS provider',
    files: { 'imapserver.xml': imapXml(imapBlock('<tls startTLS="true"><provider>org.bouncycastle.jce.provider.BouncyCastleProvider</provider></tls>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].tls.provider', includes: ['not used by Tessera', 'Node.js TLS'] },
  },
  {
    name: 'unknown element beside the blocks',
    files: { 'imapserver.xml': imapXml(imapBlock(''), '<imapsever/>') },
    warning: { file: 'imapserver.xml', key: 'imapservers.imapsever', includes: ['only <imapserver> blocks'] },
  },
  {
    name: 'helloName with autodetect="true" and a name',
    files: { 'smtpserver.xml': smtpXml(smtpBlock('<helloName autodetect="true">mx.example.com</helloName>')) },
    warning: { file: 'smtpserver.xml', key: 'smtpserver[1].helloName', includes: ['"mx.example.com" is ignored', 'autodetect="false"'] },
  },
  {
    name: 'tokenExpiry grace with action ignore',
    files: { 'imapserver.xml': imapXml(imapBlock('<tokenExpiry action="ignore" grace="10"/>')) },
    warning: { file: 'imapserver.xml', key: 'imapserver[1].tokenExpiry@grace', includes: ['no effect'] },
  },
];

describe('listener files: warnings', () => {
  for (const c of warnings) {
    it(`${c.name} is a warning naming file and key`, async () => {
      await expectWarning(c.files, c.warning);
    });
  }

  it('with auth.oidc.requireAudience=false a block that has <aud> still checks it, and says nothing', async () => {
    const loaded = await loadClean({
      'tessera.properties': 'auth.oidc.requireAudience=false\n',
      'imapserver.xml': imapXml(imapBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL><aud>james</aud></oidc></auth>')),
    });
    assert.deepEqual(imap(loaded).auth.oidc?.aud, ['james']);
  });

  it('an accepted <oidc> block without <aud> loads with no audience to check', async () => {
    const loaded = await expectWarning(
      {
        'tessera.properties': 'auth.oidc.requireAudience=false\n',
        'smtpserver.xml': smtpXml(smtpBlock('<auth><oidc><jwksURL>https://idp.test/jwks</jwksURL></oidc></auth>')),
      },
      { file: 'smtpserver.xml', key: 'smtpserver[1].auth.oidc.aud', includes: ['SECURITY'] },
    );
    assert.deepEqual(smtp(loaded).auth.oidc?.aud, []);
  });

  it('a <handlerchain> with handlers Tessera does not run is one warning naming them', async () => {
    const loaded = await expectWarning(
      {
        'smtpserver.xml': smtpXml(
          smtpBlock('<handlerchain><handler class="org.apache.james.smtpserver.fastfail.ValidRcptHandler"/><handler class="org.apache.james.smtpserver.fastfail.SPFHandler"><blockSoftFail>false</blockSoftFail></handler><handler class="com.example.Custom"/></handlerchain>'),
        ),
      },
      { file: 'smtpserver.xml', key: 'smtpserver[1].handlerchain', includes: ['not run by Tessera', 'SPFHandler, Custom', 'org.apache.james.smtpserver.fastfail.SPFHandler', 'com.example.Custom'] },
    );
    assert.equal(loaded.warnings.length, 1);
    assert.deepEqual(loaded.config.smtp[0]?.disabledCommands, []);
  });
});
