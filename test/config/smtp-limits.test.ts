// smtpserver.xml connection limits: a block that sets none gets bounded defaults (James' own default
// is unlimited, which lets one client open sessions until memory runs out); an explicit 0 still means
// unlimited, as James reads it, and explicit values are kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SMTP_CONNECTION_LIMIT, DEFAULT_SMTP_CONNECTION_LIMIT_PER_IP } from '../../src/config/smtp.js';
import { loadClean, smtpBlock, smtpXml } from './fixtures.js';

test('an SMTP block without connection limits gets 1000 sessions and 50 per client address', async () => {
  const loaded = await loadClean({ 'smtpserver.xml': smtpXml(smtpBlock('', '127.0.0.1:2525')) });
  const s = loaded.config.smtp[0]!;
  assert.equal(DEFAULT_SMTP_CONNECTION_LIMIT, 1000);
  assert.equal(DEFAULT_SMTP_CONNECTION_LIMIT_PER_IP, 50);
  assert.equal(s.connectionLimit, DEFAULT_SMTP_CONNECTION_LIMIT);
  assert.equal(s.connectionLimitPerIP, DEFAULT_SMTP_CONNECTION_LIMIT_PER_IP);
});

test('explicit SMTP connection limits are kept, 0 meaning unlimited as in James', async () => {
  const loaded = await loadClean({
    'smtpserver.xml': smtpXml(
      smtpBlock('<connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP>', '127.0.0.1:2525'),
      smtpBlock('<connectionLimit>200</connectionLimit>', '127.0.0.1:2526'),
    ),
  });
  const [unlimited, some] = loaded.config.smtp;
  assert.equal(unlimited!.connectionLimit, 0);
  assert.equal(unlimited!.connectionLimitPerIP, 0);
  assert.equal(some!.connectionLimit, 200);
  assert.equal(some!.connectionLimitPerIP, DEFAULT_SMTP_CONNECTION_LIMIT_PER_IP);
});
