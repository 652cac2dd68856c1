// One rule for every protocol: TLS turned on without usable key material refuses to start, naming
// the listener's configuration and the fix (no silent clear text, no failure at the first handshake).
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListenerTlsError } from '../../src/net/index.js';
import { ImapServer } from '../../src/imap/server.js';
import type { ImapDeps } from '../../src/imap/types.js';
import { SmtpServer } from '../../src/smtp/server.js';
import type { SmtpDeps } from '../../src/smtp/deps.js';
import { createJmapServer, type JmapAuthenticator } from '../../src/jmap/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { imapConfig } from '../imap/harness.js';
import { smtpConfig } from '../smtp/harness.js';
import { jmapConfig, startHarness } from '../jmap/harness.js';

function refusal(source: string, mode: string): (err: unknown) => boolean {
  return (err) =>
    err instanceof ListenerTlsError &&
    err.message.startsWith(`${source}: tls: TLS is enabled (${mode})`) &&
    /private key and certificate chain/.test(err.message);
}

// The constructors refuse before they touch any dependency but the logger.
const loggerOnly = { logger: silentLogger() };

test('IMAP with STARTTLS or implicit TLS and no certificate refuses to start', () => {
  for (const [mode, tls] of [['startTLS', { socketTLS: false, startTLS: true }], ['socketTLS', { socketTLS: true, startTLS: false }]] as const) {
    const config = imapConfig({ source: 'conf/imapserver.xml, block 2', tls: { ...tls, selfSigned: false } });
    assert.throws(() => new ImapServer(loggerOnly as unknown as ImapDeps, config), refusal('conf/imapserver.xml, block 2', mode));
  }
});

test('SMTP with STARTTLS and no certificate refuses to start instead of dropping STARTTLS', async () => {
  const config = await smtpConfig({ source: 'conf/smtpserver.xml, block 1', tls: { socketTLS: false, startTLS: true, selfSigned: false } });
  assert.throws(() => new SmtpServer(config, { ...loggerOnly, limits: {} } as unknown as SmtpDeps), refusal('conf/smtpserver.xml, block 1', 'startTLS'));
});

const refuseAll: JmapAuthenticator = {
  loginWithPassword: async () => ({ ok: false, failure: { code: 'invalid', message: 'no' } }),
  loginWithBearer: async () => ({ ok: false, failure: { code: 'invalid', message: 'no' } }),
};

test('JMAP with tls.enabled and no certificate refuses to start instead of serving plain HTTP', async () => {
  const h = await startHarness();
  try {
    assert.throws(
      () =>
        createJmapServer(
          { auth: refuseAll, users: h.users, store: h.store, events: h.bus, logger: h.logger, sessions: h.sessions, spoolDir: join(h.dir, 'spool', 'jmap') },
          jmapConfig({ source: 'conf/jmap.properties', tls: { socketTLS: true, startTLS: false, selfSigned: false } }),
        ),
      refusal('conf/jmap.properties', 'socketTLS'),
    );
  } finally {
    await h.close();
  }
});

test('unusable key material is refused with Node’s reason', () => {
  const config = imapConfig({ tls: { socketTLS: true, startTLS: false, selfSigned: false, key: Buffer.from('not a key'), cert: Buffer.from('not a cert') } });
  assert.throws(() => new ImapServer(loggerOnly as unknown as ImapDeps, config), (err: unknown) => err instanceof ListenerTlsError && /key material is unusable/.test(err.message));
});
