// TLS material in imapserver.xml / smtpserver.xml / jmap.properties: PEM and PKCS#12 read and
// test-loaded at start-up, paths resolved as James does; Java keystores (JKS, James' default type)
// read as James reads them, whatever keystoreType says; JCEKS refused with the conversion command.
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { expectConfigError, expectWarning, imapBlock, imapXml, javaKeystore, loadClean, pemPairs, pkcs12, smtpBlock, smtpXml, tempConf, type PemPair } from './fixtures.js';

let good: PemPair;
let other: PemPair;
let p12: Buffer;
let jks: Buffer;

before(async () => {
  [good, other] = await pemPairs();
  p12 = await pkcs12(good, 'p12-secret');
  jks = await javaKeystore(good, 'james72laBalle');
});

const pemTls = (key: string, cert: string, attrs = 'startTLS="true"'): string =>
  `<tls ${attrs}><privateKey>${key}</privateKey><certificates>${cert}</certificates></tls>`;

describe('TLS material', () => {
  it('reads PEM key and certificates with file:// paths relative to the conf directory\'s parent', async () => {
    const loaded = await loadClean({
      'imapserver.xml': imapXml(imapBlock(pemTls('file://conf/tls/key.pem', 'file://conf/tls/cert.pem'))),
      'tls/key.pem': good.key,
      'tls/cert.pem': good.cert,
    });
    const tls = loaded.config.imap[0]?.tls;
    assert.equal(tls?.startTLS, true);
    assert.equal(tls?.selfSigned, false);
    assert.equal(tls?.key?.toString(), good.key);
    assert.equal(tls?.cert?.toString(), good.cert);
    assert.equal(tls?.pfx, undefined);
  });

  it('reads plain relative paths and absolute paths (plain and file:///)', async () => {
    const conf = await tempConf({ 'tls/key.pem': good.key, 'tls/cert.pem': good.cert });
    try {
      const abs = path.join(conf.confDir, 'tls');
      await writeFile(
        path.join(conf.confDir, 'smtpserver.xml'),
        smtpXml(
          smtpBlock(pemTls('conf/tls/key.pem', 'conf/tls/cert.pem', 'socketTLS="true"'), '127.0.0.1:1'),
          smtpBlock(pemTls(`${abs}/key.pem`, `file://${abs}/cert.pem`, 'socketTLS="true"'), '127.0.0.1:2'),
        ),
      );
      const loaded = await conf.load();
      assert.deepEqual(loaded.warnings, []);
      for (const server of loaded.config.smtp) {
        assert.equal(server.tls.socketTLS, true);
        assert.equal(server.tls.key?.toString(), good.key);
        assert.equal(server.tls.cert?.toString(), good.cert);
      }
    } finally {
      await conf.cleanup();
    }
  });

  it('reads a PKCS#12 keystore as pfx with its secret, declared or detected', async () => {
    const loaded = await loadClean({
      'imapserver.xml': imapXml(
        imapBlock('<tls socketTLS="true"><keystore>file://conf/keystore.p12</keystore><keystoreType>PKCS12</keystoreType><secret>p12-secret</secret></tls>', '127.0.0.1:1'),
        imapBlock('<tls socketTLS="true"><keystore>conf/keystore.p12</keystore><secret>p12-secret</secret></tls>', '127.0.0.1:2'),
      ),
      'keystore.p12': p12,
    });
    for (const server of loaded.config.imap) {
      assert.deepEqual(server.tls.pfx, p12);
      assert.equal(server.tls.passphrase, 'p12-secret');
      assert.equal(server.tls.key, undefined);
    }
  });

  it('does not read the certificates of a disabled block', async () => {
    const loaded = await loadClean({
      'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true"><keystore>file://conf/missing.jks</keystore></tls>', '127.0.0.1:1', ' enabled="false"')),
    });
    assert.equal(loaded.config.imap[0]?.tls.pfx, undefined);
  });

  it('warns when material is configured but TLS is off', async () => {
    await expectWarning(
      { 'imapserver.xml': imapXml(imapBlock('<tls socketTLS="false" startTLS="false"><keystore>conf/k.p12</keystore></tls>')) },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.keystore', includes: ['neither socketTLS nor startTLS'] },
    );
  });

  it('reads a JKS keystore made by keytool, with or without keystoreType (James\' default type is JKS)', async () => {
    const loaded = await loadClean({
      'imapserver.xml': imapXml(
        imapBlock('<tls socketTLS="true"><keystore>file://conf/keystore</keystore><secret>james72laBalle</secret></tls>', '127.0.0.1:1'),
        imapBlock('<tls socketTLS="true"><keystore>file://conf/keystore</keystore><keystoreType>JKS</keystoreType><secret>james72laBalle</secret></tls>', '127.0.0.1:2'),
        // Java's keystore compatibility mode opens a JKS file declared PKCS12, so James starts with it.
        imapBlock('<tls socketTLS="true"><keystore>file://conf/keystore</keystore><keystoreType>pkcs12</keystoreType><secret>james72laBalle</secret></tls>', '127.0.0.1:3'),
      ),
      keystore: jks,
    });
    for (const server of loaded.config.imap) {
      assert.equal(server.tls.pfx, undefined);
      assert.equal(createPrivateKey(server.tls.key!).export({ type: 'pkcs8', format: 'pem' }), createPrivateKey(good.key).export({ type: 'pkcs8', format: 'pem' }));
      assert.equal(new X509Certificate(server.tls.cert!).fingerprint256, new X509Certificate(good.cert).fingerprint256);
      createSecureContext({ key: server.tls.key, cert: server.tls.cert });
    }
  });

  it('reads a PKCS#12 keystore declared JKS or left without keystoreType, as Java does', async () => {
    const loaded = await loadClean({
      'smtpserver.xml': smtpXml(
        smtpBlock('<tls startTLS="true"><keystore>conf/keystore.p12</keystore><keystoreType>JKS</keystoreType><secret>p12-secret</secret></tls>', '127.0.0.1:1'),
        smtpBlock('<tls startTLS="true"><keystore>conf/keystore.p12</keystore><secret>p12-secret</secret></tls>', '127.0.0.1:2'),
      ),
      'keystore.p12': p12,
    });
    for (const server of loaded.config.smtp) {
      assert.deepEqual(server.tls.pfx, p12);
      assert.equal(server.tls.passphrase, 'p12-secret');
    }
  });

  it('refuses a JKS keystore with the wrong secret, naming the secret', async () => {
    const err = await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true"><keystore>file://conf/keystore</keystore><secret>wrong</secret></tls>')), keystore: jks },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.keystore', value: 'file://conf/keystore', fix: 'check its secret (imapserver[1].tls.secret)' },
    );
    assert.match(err.message, /integrity check fails/);
  });

  it('refuses a JCEKS keystore, detected or declared, with the keytool conversion', async () => {
    const jceks = await javaKeystore(good, 'james72laBalle', 'JCEKS');
    const err = await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true"><keystore>file://conf/keystore</keystore><secret>james72laBalle</secret></tls>')), keystore: jceks },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.keystore', value: 'file://conf/keystore', fix: 'keytool -importkeystore' },
    );
    assert.match(err.message, /-srcstoretype JCEKS .*-deststoretype PKCS12/);
    await expectConfigError(
      { 'smtpserver.xml': smtpXml(smtpBlock('<tls startTLS="true"><keystore>conf/keystore.p12</keystore><keystoreType>JCEKS</keystoreType><secret>p12-secret</secret></tls>')), 'keystore.p12': p12 },
      { file: 'smtpserver.xml', key: 'smtpserver[1].tls.keystoreType', value: 'JCEKS', fix: '-deststoretype PKCS12' },
    );
  });

  it('refuses an unknown keystoreType', async () => {
    await expectConfigError(
      { 'smtpserver.xml': smtpXml(smtpBlock('<tls startTLS="true"><keystore>conf/keystore.p12</keystore><keystoreType>BKS</keystoreType></tls>')), 'keystore.p12': p12 },
      { file: 'smtpserver.xml', key: 'smtpserver[1].tls.keystoreType', value: 'BKS', fix: 'allowed values: JKS, PKCS12' },
    );
  });

  it('a missing keystore inside the conf directory is to be created at start; elsewhere it is refused', async () => {
    const conf = await tempConf({
      'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true"><keystore>file://conf/keystore</keystore><keystoreType>JKS</keystoreType><secret>james72laBalle</secret></tls>')),
    });
    try {
      const { config } = await conf.load();
      assert.deepEqual(config.imap[0]?.tls.generateKeystore, { path: path.join(conf.confDir, 'keystore'), key: 'imapserver[1].tls.keystore', passphrase: 'james72laBalle' });
      assert.equal(config.imap[0]?.tls.pfx, undefined);
    } finally {
      await conf.cleanup();
    }
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true"><keystore>file://elsewhere/keystore</keystore><secret>x</secret></tls>')) },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.keystore', value: 'file://elsewhere/keystore', fix: 'cannot be read (ENOENT)' },
    );
  });

  it('refuses a PKCS#12 keystore with the wrong secret', async () => {
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock('<tls socketTLS="true"><keystore>conf/keystore.p12</keystore><secret>wrong</secret></tls>')), 'keystore.p12': p12 },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.keystore', value: 'conf/keystore.p12', fix: 'check the file and its secret' },
    );
  });

  it('refuses an unreadable certificate file', async () => {
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock(pemTls('conf/key.pem', 'conf/nope.pem'))), 'key.pem': good.key },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.certificates', value: 'conf/nope.pem', fix: 'cannot be read (ENOENT)' },
    );
  });

  it('refuses a certificate file without a PEM certificate', async () => {
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock(pemTls('conf/key.pem', 'conf/cert.pem'))), 'key.pem': good.key, 'cert.pem': 'garbage' },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.certificates', value: 'conf/cert.pem', fix: 'holds no PEM certificate' },
    );
  });

  it('refuses a key that does not match its certificate', async () => {
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock(pemTls('conf/key.pem', 'conf/cert.pem'))), 'key.pem': other.key, 'cert.pem': good.cert },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.privateKey', value: 'conf/key.pem', fix: 'check that they match' },
    );
  });

  it('refuses certificates without a private key', async () => {
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock('<tls startTLS="true"><certificates>conf/cert.pem</certificates></tls>')), 'cert.pem': good.cert },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.privateKey', value: '', fix: 'needs the matching <privateKey>' },
    );
  });

  it('refuses a keystore and PEM files together', async () => {
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock(`<tls startTLS="true"><keystore>conf/k.p12</keystore><privateKey>conf/key.pem</privateKey><certificates>conf/cert.pem</certificates></tls>`)) },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.keystore', value: 'conf/k.p12', fix: 'configure either <keystore> or <privateKey> + <certificates>' },
    );
  });

  it('refuses a non-file location', async () => {
    await expectConfigError(
      { 'imapserver.xml': imapXml(imapBlock('<tls startTLS="true"><keystore>classpath://keystore</keystore></tls>')) },
      { file: 'imapserver.xml', key: 'imapserver[1].tls.keystore', value: 'classpath://keystore', fix: 'write a file path, plain or file://' },
    );
  });

  it('JMAP over HTTPS with PEM files or a PKCS#12 keystore', async () => {
    const pem = await loadClean({
      'jmap.properties': 'jmap.port=8443\ntls.enabled=true\ntls.privateKey=conf/key.pem\ntls.certificates=conf/cert.pem\n',
      'key.pem': good.key,
      'cert.pem': good.cert,
    });
    assert.equal(pem.config.jmap.tls?.socketTLS, true);
    assert.equal(pem.config.jmap.tls?.cert?.toString(), good.cert);
    assert.equal(pem.config.jmap.urlPrefix, 'https://127.0.0.1:8443');
    const pfx = await loadClean({
      'jmap.properties': 'jmap.port=8443\ntls.enabled=true\ntls.keystore=file://conf/k.p12\ntls.keystoreType=PKCS12\ntls.secret=p12-secret\n',
      'k.p12': p12,
    });
    assert.deepEqual(pfx.config.jmap.tls?.pfx, p12);
    const self = await loadClean({ 'jmap.properties': 'tls.enabled=true\n' });
    assert.deepEqual(self.config.jmap.tls, { socketTLS: true, startTLS: false, selfSigned: true });
  });

  it('JMAP reads a JKS keystore and names the properties keys when its secret is wrong', async () => {
    const loaded = await loadClean({ 'jmap.properties': 'jmap.port=8443\ntls.enabled=true\ntls.keystore=conf/keystore\ntls.secret=james72laBalle\n', keystore: jks });
    assert.equal(new X509Certificate(loaded.config.jmap.tls!.cert!).fingerprint256, new X509Certificate(good.cert).fingerprint256);
    await expectConfigError(
      { 'jmap.properties': 'tls.enabled=true\ntls.keystore=conf/keystore\ntls.secret=x\n', keystore: jks },
      { file: 'jmap.properties', key: 'tls.keystore', value: 'conf/keystore', fix: 'check its secret (tls.secret)' },
    );
  });

  it('a James-style smtpserver.xml loads once its keystore is PKCS#12, warning only about James-only settings', async () => {
    const jamesTls = '<tls socketTLS="false" startTLS="true"><keystore>file://conf/keystore</keystore><keystoreType>PKCS12</keystoreType><secret>p12-secret</secret><provider>org.bouncycastle.jce.provider.BouncyCastleProvider</provider><algorithm>SunX509</algorithm></tls>';
    const jamesBlock = (name: string, bind: string, announce: string, tls: string): string => `
      <smtpserver enabled="true">
        <jmxName>${name}</jmxName>
        <bind>${bind}</bind>
        <connectionBacklog>200</connectionBacklog>
        ${tls}
        <connectiontimeout>360</connectiontimeout>
        <connectionLimit>0</connectionLimit>
        <connectionLimitPerIP>0</connectionLimitPerIP>
        <auth>
          <announce>${announce}</announce>
          <requireSSL>true</requireSSL>
          <plainAuthEnabled>true</plainAuthEnabled>
        </auth>
        <authorizedAddresses>127.0.0.0/8</authorizedAddresses>
        <verifyIdentity>true</verifyIdentity>
        <maxmessagesize>0</maxmessagesize>
        <addressBracketsEnforcement>true</addressBracketsEnforcement>
        <smtpGreeting>Tessera test</smtpGreeting>
        <handlerchain>
          <handler class="org.apache.james.smtpserver.fastfail.ValidRcptHandler"/>
          <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
        </handlerchain>
      </smtpserver>`;
    const conf = await tempConf({
      'smtpserver.xml': smtpXml(
        jamesBlock('smtpserver-global', '0.0.0.0:25', 'never', jamesTls),
        jamesBlock('smtpserver-TLS', '0.0.0.0:465', 'forUnauthorizedAddresses', jamesTls.replace('socketTLS="false" startTLS="true"', 'socketTLS="true" startTLS="false"')),
        jamesBlock('smtpserver-authenticated', '0.0.0.0:587', 'forUnauthorizedAddresses', jamesTls),
      ),
      keystore: p12,
    });
    try {
      const { config, warnings } = await conf.load();
      assert.deepEqual(config.smtp.map((s) => [s.name, s.bind[0]?.port, s.announce, s.tls.socketTLS, s.tls.startTLS, s.timeout, s.maxMessageSize]), [
        ['smtpserver-global', 25, 'never', false, true, 360, 0],
        ['smtpserver-TLS', 465, 'forUnauthorizedAddresses', true, false, 360, 0],
        ['smtpserver-authenticated', 587, 'forUnauthorizedAddresses', false, true, 360, 0],
      ]);
      assert.ok(config.smtp.every((s) => s.tls.pfx?.equals(p12) && s.tls.passphrase === 'p12-secret'));
      assert.ok(warnings.length > 0);
      for (const w of warnings) assert.match(w.message, /^James setting .* is not used by Tessera/, `${w.key}: ${w.message}`);
      const keys = new Set(warnings.map((w) => w.key.replace(/^smtpserver\[\d\]/, '')));
      assert.deepEqual([...keys].sort(), ['.addressBracketsEnforcement', '.connectionBacklog', '.smtpGreeting', '.tls.algorithm', '.tls.provider']);
    } finally {
      await conf.cleanup();
    }
  });
});
