// App passwords through the auth core, on a real users.sqlite and a controllable clock: accepted for
// PLAIN/LOGIN beside the users repository, refused outside their scope, after expiry, on a clear
// connection under requireSSL, on the development IdP's password grant; failures count against the
// throttle as password failures do; revocation notifies its listeners and forgets the secret.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthService } from '../../src/auth/service.js';
import { AppPasswordService, AppPasswordRequestError, SqliteAppPasswords, type AppPasswordRecord } from '../../src/auth/app-passwords/index.js';
import { openUsersDatabase } from '../../src/auth/users/database.js';
import type { ConnectionAuthContext } from '../../src/auth/types.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { captureLog } from './log-capture.js';
import { b64 } from './sasl-helpers.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-apppw-'));
  dirs.push(dir);
  const db = openUsersDatabase(dir);
  let clock = Date.parse('2026-06-01T12:00:00Z');
  const now = (): number => clock;
  // The repository knows Bob, but not his password: it lives at the identity provider.
  const users = new MemoryUsersRepository({ 'bob@example.com': 'unknown-to-anyone' });
  const appPasswords = new AppPasswordService({ store: new SqliteAppPasswords(db), users, now });
  const log = captureLog();
  const auth = new AuthService({ users, logger: log.logger, now, appPasswords, throttle: { baseDelayMs: 1, maxDelayMs: 2, userBlockAfter: 3, userFreeFailures: 1 } });
  const ctx = (over: Partial<ConnectionAuthContext> = {}): ConnectionAuthContext => ({
    protocol: 'imap',
    auth: { plainAuthEnabled: true, requireSSL: true },
    secure: true,
    peer: '192.0.2.20',
    ...over,
  });
  return { db, appPasswords, auth, ctx, log, advance: (ms: number) => (clock += ms), close: () => db.close() };
}

test('an app password logs in with LOGIN and SASL PLAIN, and its session names it', async () => {
  const s = await setup();
  const { record, secret } = await s.appPasswords.create('BOB@example.com', { name: 'Phone' });
  assert.equal(record.user, 'bob@example.com');
  const login = await s.auth.loginWithPassword('bob@example.com', secret, s.ctx());
  assert.deepEqual(login, { ok: true, principal: { user: 'bob@example.com', mechanism: 'LOGIN', credentialId: record.id } });
  // Typed without the dashes and in capitals, as a phone keyboard may give it.
  const exchange = s.auth.beginSasl('PLAIN', s.ctx({ protocol: 'smtp' }));
  assert.ok('start' in exchange);
  const step = await exchange.start(b64(`\0bob@example.com\0${secret.replace(/-/g, '').toUpperCase()}`));
  assert.equal(step.type, 'success');
  const [listed] = await s.appPasswords.list('bob@example.com');
  assert.equal(listed?.lastUsedIp, '192.0.2.20');
  assert.equal(listed?.lastUsedAt?.toISOString(), '2026-06-01T12:00:00.000Z');
  assert.ok(!s.log.lines.join('').includes(secret), 'the secret is never logged');
  s.close();
});

test('scope, expiry, TLS and the dev IdP grant are enforced', async () => {
  const s = await setup();
  const { secret } = await s.appPasswords.create('bob@example.com', { name: 'Mail app', scopes: ['imap', 'smtp'], expiresAt: new Date(Date.parse('2026-06-02T12:00:00Z')) });
  assert.equal((await s.auth.loginWithPassword('bob@example.com', secret, s.ctx({ protocol: 'pop3' }))).ok, false);
  assert.match(s.log.lines.join(''), /is not valid for pop3/);
  const clear = await s.auth.loginWithPassword('bob@example.com', secret, s.ctx({ secure: false }));
  assert.equal(!clear.ok && clear.failure.code, 'encryption-required');
  const grant = await s.auth.verifyPasswordGrant('bob@example.com', secret, '192.0.2.21');
  assert.equal(grant.ok, false, 'a token is never minted from an app password');
  assert.equal((await s.auth.loginWithPassword('bob@example.com', secret, s.ctx({ peer: '192.0.2.22' }))).ok, true);
  s.advance(24 * 3600_000);
  const expired = await s.auth.loginWithPassword('bob@example.com', secret, s.ctx({ peer: '192.0.2.23' }));
  assert.equal(!expired.ok && expired.failure.code, 'invalid');
  assert.match(s.log.lines.join(''), /expired/);
  s.close();
});

test('wrong guesses of an app password are throttled like password failures', async () => {
  const s = await setup();
  const { record, secret } = await s.appPasswords.create('bob@example.com', { name: 'Tablet' });
  const wrong = `${record.id}${'a'.repeat(16)}`;
  assert.notEqual(wrong, secret.replace(/-/g, ''));
  let last;
  // The throttle keys on the address with the user name, as for passwords.
  for (let i = 0; i < 4; i++) last = await s.auth.loginWithPassword('bob@example.com', wrong, s.ctx());
  assert.equal(last && !last.ok && last.failure.code, 'throttled');
  const blocked = await s.auth.loginWithPassword('bob@example.com', secret, s.ctx());
  assert.equal(!blocked.ok && blocked.failure.code, 'throttled', 'blocked from that address whatever the credential');
  assert.equal((await s.auth.loginWithPassword('bob@example.com', secret, s.ctx({ peer: '192.0.2.41' }))).ok, true, 'not from elsewhere');
  s.close();
});

test('revoke notifies listeners once and forgets the password; requests are validated', async () => {
  const s = await setup();
  const { record, secret } = await s.appPasswords.create('bob@example.com', { name: 'Old laptop' });
  const seen: AppPasswordRecord[] = [];
  s.appPasswords.onRevoked((r) => {
    seen.push(r);
  });
  assert.equal(await s.appPasswords.revoke('bob@example.com', 'nosuchid'), undefined);
  assert.equal((await s.appPasswords.revoke('bob@example.com', record.id))?.id, record.id);
  assert.deepEqual(seen.map((r) => r.id), [record.id]);
  assert.equal(await s.appPasswords.revoke('bob@example.com', record.id), undefined);
  assert.equal((await s.auth.loginWithPassword('bob@example.com', secret, s.ctx())).ok, false);
  await assert.rejects(s.appPasswords.create('bob@example.com', { name: ' ' }), AppPasswordRequestError);
  await assert.rejects(s.appPasswords.create('bob@example.com', { name: 'x', expiresAt: new Date(0) }), AppPasswordRequestError);
  await assert.rejects(s.appPasswords.create('nobody@example.com', { name: 'x' }), /no such user/);
  s.close();
});
