// AuthService with passwords: policy, PLAIN/LOGIN through the facade, authzid, throttling, audit
// events that never contain the password, and a repository outage as a temporary failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthService } from '../../src/auth/service.js';
import type { AuthFailure, ConnectionAuthContext, SaslExchange } from '../../src/auth/types.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { MAX_WAITING_PER_KEY } from '../../src/auth/throttle/login-throttle.js';
import { captureLog } from './log-capture.js';
import { b64 } from './sasl-helpers.js';

const PASSWORD = 'correct horse battery staple';

function setup(throttle = { baseDelayMs: 1, maxDelayMs: 2 }) {
  const users = new MemoryUsersRepository({ 'alice@example.com': PASSWORD });
  const log = captureLog();
  const service = new AuthService({ users, logger: log.logger, throttle });
  const ctx = (over: Partial<ConnectionAuthContext> = {}): ConnectionAuthContext => ({
    protocol: 'imap',
    auth: { plainAuthEnabled: true, requireSSL: true },
    secure: true,
    peer: '192.0.2.10',
    ...over,
  });
  return { users, log, service, ctx };
}

function isExchange(x: SaslExchange | AuthFailure): x is SaslExchange {
  return 'start' in x;
}

test('LOGIN with the right password yields the canonical user', async () => {
  const { service, ctx } = setup();
  const result = await service.loginWithPassword('ALICE@example.com', PASSWORD, ctx());
  assert.deepEqual(result, { ok: true, principal: { user: 'alice@example.com', mechanism: 'LOGIN' } });
});

test('a wrong password is invalid; an unknown user looks the same', async () => {
  const { service, ctx } = setup();
  const a = await service.loginWithPassword('alice@example.com', 'nope', ctx());
  const b = await service.loginWithPassword('mallory@example.com', 'nope', ctx({ peer: '192.0.2.11' }));
  assert.equal(!a.ok && a.failure.code, 'invalid');
  assert.deepEqual(a, b);
});

test('passwords on a clear connection with requireSSL are encryption-required', async () => {
  const { service, ctx } = setup();
  const c = ctx({ secure: false });
  assert.equal(service.passwordLoginAllowed(c), false);
  const r = await service.loginWithPassword('alice@example.com', PASSWORD, c);
  assert.equal(!r.ok && r.failure.code, 'encryption-required');
  const begun = service.beginSasl('PLAIN', c);
  assert.equal(!isExchange(begun) && begun.code, 'encryption-required');
  assert.deepEqual(service.advertisedMechanisms(c), []);
});

test('AUTHENTICATE PLAIN through the service succeeds and a foreign authzid is refused', async () => {
  const { service, ctx } = setup();
  const ok = service.beginSasl('plain', ctx());
  assert.ok(isExchange(ok));
  const step = await ok.start(b64(`\0alice@example.com\0${PASSWORD}`));
  assert.equal(step.type === 'success' && step.principal.user, 'alice@example.com');
  const same = service.beginSasl('PLAIN', ctx());
  assert.ok(isExchange(same));
  assert.equal((await same.start(b64(`alice@example.com\0alice@example.com\0${PASSWORD}`))).type, 'success');
  const other = service.beginSasl('PLAIN', ctx());
  assert.ok(isExchange(other));
  const refused = await other.start(b64(`bob@example.com\0alice@example.com\0${PASSWORD}`));
  assert.equal(refused.type === 'failure' && refused.failure.code, 'invalid');
});

test("an administrator (James' administratorIds) acts as another user with PLAIN's authzid and its own password", async () => {
  const users = new MemoryUsersRepository({ 'alice@example.com': PASSWORD, 'admin@example.com': 'admin pw', 'bob@example.com': 'bob pw' });
  const log = captureLog();
  const service = new AuthService({ users, logger: log.logger, administrators: ['Admin@Example.com'] });
  const ctx: ConnectionAuthContext = { protocol: 'imap', auth: { plainAuthEnabled: true, requireSSL: true }, secure: true, peer: '192.0.2.20' };
  const plain = async (message: string) => {
    const ex = service.beginSasl('PLAIN', ctx);
    assert.ok(isExchange(ex));
    return ex.start(b64(message));
  };
  const acting = await plain('ALICE@example.com\0admin@example.com\0admin pw');
  assert.deepEqual(acting.type === 'success' && acting.principal, { user: 'alice@example.com', mechanism: 'PLAIN', actor: 'admin@example.com' });
  const audit = log.events().find((e) => e.result === 'success' && e.actor === 'admin@example.com');
  assert.equal(audit?.user, 'alice@example.com');
  assert.equal((await plain('alice@example.com\0admin@example.com\0wrong')).type, 'failure', 'the administrator password is checked');
  assert.equal((await plain('nobody@example.com\0admin@example.com\0admin pw')).type, 'failure', 'only an existing user');
  assert.equal((await plain('alice@example.com\0bob@example.com\0bob pw')).type, 'failure', 'not for a non-administrator');
  // LOGIN and Basic have no authorization identity: the administrator is just itself there.
  const self = await service.loginWithPassword('admin@example.com', 'admin pw', ctx);
  assert.deepEqual(self, { ok: true, principal: { user: 'admin@example.com', mechanism: 'LOGIN' } });
  assert.ok(log.lines.some((l) => l.includes('administrators may log in as any user')), 'the start names the administrators');
});

test('SASL LOGIN through the service', async () => {
  const { service, ctx } = setup();
  const ex = service.beginSasl('LOGIN', ctx({ protocol: 'smtp' }));
  assert.ok(isExchange(ex));
  assert.equal((await ex.start()).type, 'challenge');
  assert.equal((await ex.respond(b64('alice@example.com'))).type, 'challenge');
  const done = await ex.respond(b64(PASSWORD));
  assert.equal(done.type === 'success' && done.principal.mechanism, 'LOGIN');
});

test('a repository outage is a temporary failure, not a bad password', async () => {
  const { service, ctx, users } = setup();
  users.unavailable = true;
  const r = await service.loginWithPassword('alice@example.com', PASSWORD, ctx());
  assert.equal(!r.ok && r.failure.code, 'temporary');
});

test('a shared throttle store that cannot be asked is a temporary failure, and the password is not checked', async () => {
  const users = new MemoryUsersRepository({ 'alice@example.com': PASSWORD });
  const log = captureLog();
  const down = new Error('connection refused');
  const service = new AuthService({
    users,
    logger: log.logger,
    throttleStore: () => ({
      shared: true,
      size: 0,
      reserve: () => Promise.reject(down),
      countFailure: () => Promise.reject(down),
      succeed: () => Promise.reject(down),
      release: () => Promise.reject(down),
      blockedUntil: () => 0,
      close: () => Promise.resolve(),
    }),
  });
  let checked = 0;
  const verify = users.verifyPassword.bind(users);
  users.verifyPassword = (name: string, password: string) => {
    checked += 1;
    return verify(name, password);
  };
  const r = await service.loginWithPassword('alice@example.com', PASSWORD, { protocol: 'imap', auth: { plainAuthEnabled: true, requireSSL: true }, secure: true, peer: '192.0.2.10' });
  assert.equal(!r.ok && r.failure.code, 'temporary');
  assert.equal(checked, 0, 'no credential is checked uncounted');
  assert.match(log.lines.join('\n'), /login throttle: the shared store failed/);
  await service.close();
});

test('repeated failures block that address for that user; even the right password is then throttled there, not elsewhere', async () => {
  const { service, ctx } = setup();
  for (let i = 0; i < 10; i++) await service.loginWithPassword('alice@example.com', `guess${i}`, ctx());
  const r = await service.loginWithPassword('alice@example.com', PASSWORD, ctx());
  assert.equal(!r.ok && r.failure.code, 'throttled');
  const begun = service.beginSasl('PLAIN', ctx());
  assert.ok(isExchange(begun), 'the address itself is not blocked');
  const step = await begun.start(b64(`\0alice@example.com\0${PASSWORD}`));
  assert.equal(step.type === 'failure' && step.failure.code, 'throttled', 'the pair is blocked on every mechanism');
  const elsewhere = await service.loginWithPassword('alice@example.com', PASSWORD, ctx({ peer: '198.51.100.7' }));
  assert.equal(elsewhere.ok, true, 'the owner from another address is not locked out');
});

test('failures are delayed once past the free attempts', async () => {
  const { service, ctx } = setup({ baseDelayMs: 120, maxDelayMs: 120 });
  // Three free failures per address + user by default (src/auth/throttle/settings.ts).
  for (let i = 0; i < 3; i++) await service.loginWithPassword('alice@example.com', 'x', ctx());
  const started = process.hrtime.bigint();
  await service.loginWithPassword('alice@example.com', 'x', ctx());
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(elapsedMs >= 100, `fourth failure answered after ${elapsedMs} ms`);
});

test('every attempt is an audit event with mechanism, user, peer and result, never the password', async () => {
  const { service, ctx, log } = setup();
  await service.loginWithPassword('alice@example.com', PASSWORD, ctx());
  await service.loginWithPassword('alice@example.com', 'hunter2-wrong', ctx());
  const ex = service.beginSasl('PLAIN', ctx({ protocol: 'smtp' }));
  assert.ok(isExchange(ex));
  await ex.start('not base64!');
  const events = log.events();
  assert.equal(events.length, 3);
  assert.deepEqual(
    events.map((e) => [e.protocol, e.mechanism, e.user, e.peer, e.result]),
    [
      ['imap', 'LOGIN', 'alice@example.com', '192.0.2.10', 'success'],
      ['imap', 'LOGIN', 'alice@example.com', '192.0.2.10', 'invalid'],
      ['smtp', 'PLAIN', undefined, '192.0.2.10', 'malformed'],
    ],
  );
  const all = log.lines.join('\n');
  assert.ok(!all.includes(PASSWORD) && !all.includes('hunter2-wrong'));
});

test('JMAP Basic is audited as BASIC and obeys plainAuthEnabled', async () => {
  const { service, ctx } = setup();
  const ok = await service.loginWithPassword('alice@example.com', PASSWORD, ctx({ protocol: 'jmap' }));
  assert.equal(ok.ok && ok.principal.mechanism, 'BASIC');
  const off = await service.loginWithPassword('alice@example.com', PASSWORD, ctx({ protocol: 'jmap', auth: { plainAuthEnabled: false, requireSSL: false } }));
  assert.equal(!off.ok && off.failure.code, 'mechanism-unavailable');
});

test('more logins at once from one address than its allowance and waiting room: the surplus is told logins are in progress, not that attempts failed', async () => {
  const users = new MemoryUsersRepository({ 'alice@example.com': PASSWORD });
  const log = captureLog();
  const service = new AuthService({ users, logger: log.logger, throttle: { addressBlockAfter: 2, userBlockAfter: 10_000 } });
  const ctx: ConnectionAuthContext = { protocol: 'imap', auth: { plainAuthEnabled: true, requireSSL: true }, secure: true, peer: '192.0.2.20' };
  // Two verified at once (the allowance), MAX_WAITING_PER_KEY waiting for them, one too many.
  const n = 2 + MAX_WAITING_PER_KEY + 1;
  const results = await Promise.all(Array.from({ length: n }, () => service.loginWithPassword('alice@example.com', PASSWORD, ctx)));
  const refused = results.filter((r) => !r.ok);
  assert.equal(results.length - refused.length, n - 1, 'every waiting login went through');
  assert.equal(refused.length, 1);
  const [r] = refused;
  assert.equal(!r!.ok && r!.failure.code, 'throttled');
  assert.equal(!r!.ok && r!.failure.message, 'Too many logins in progress from your address, try again later');
});
