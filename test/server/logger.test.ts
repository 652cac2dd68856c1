import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, isLogLevel, REDACTED_FIELDS } from '../../src/log/logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('never writes passwords, tokens or SASL payloads, however they are nested', () => {
    const out = capture();
    const log = createLogger('trace', out.stream);
    log.info(
      {
        user: 'alice@example.org',
        password: 'canary-password',
        saslPayload: 'canary-sasl',
        initialResponse: 'canary-initial',
        session: { accessToken: 'canary-access', token: 'canary-token' },
        request: { headers: { authorization: 'Bearer canary-bearer', cookie: 'canary-cookie', 'x-user-secret': 'canary-xuser' } },
        deep: { a: { b: { refresh_token: 'canary-refresh', client_secret: 'canary-client' } } },
        ldap: { credentials: 'canary-ldap' },
        tls: { passphrase: 'canary-pfx', privateKey: 'canary-key' },
      },
      'login attempt',
    );
    log.debug({ cmd: { payload: 'canary-payload', response: 'canary-response' } }, 'sasl step');
    const text = out.text();
    assert.equal(/canary-/.test(text), false, text);
    const [first] = out.lines();
    assert.equal(first!.user, 'alice@example.org', 'non-secret fields stay readable');
    assert.equal(first!.password, '[redacted]');
    assert.equal((first!.request as { headers: Record<string, string> }).headers.authorization, '[redacted]');
  });

  it('redacts every listed field name at the top level', () => {
    const out = capture();
    const log = createLogger('info', out.stream);
    log.info(Object.fromEntries(REDACTED_FIELDS.map((f) => [f, `canary-${f}`])), 'all fields');
    assert.equal(/canary-/.test(out.text()), false, out.text());
  });

  it('censors inside arrays, errors and child bindings, and leaves the logged object as it was', () => {
    const out = capture();
    const log = createLogger('info', out.stream).child({ conn: { token: 'canary-binding' }, peer: '127.0.0.1' });
    const failure = Object.assign(new Error('provider said no'), { response: 'canary-error-field' });
    const entry = { attempts: [{ password: 'canary-array' }, { user: 'bob' }], err: failure, cause: failure, plain: { ok: 1 } };
    log.info(entry, 'attempts');
    const text = out.text();
    assert.equal(/canary-/.test(text), false, text);
    const [line] = out.lines();
    assert.equal(line!.peer, '127.0.0.1');
    assert.deepEqual(line!.attempts, [{ password: '[redacted]' }, { user: 'bob' }]);
    assert.equal((line!.err as { message: string }).message, 'provider said no', 'a censored error keeps its message');
    assert.equal(entry.attempts[0]!.password, 'canary-array', 'the caller\'s object is not changed');
    assert.equal(failure.response, 'canary-error-field');
  });

  it('looks four levels deep, as the redaction paths did', () => {
    const out = capture();
    createLogger('info', out.stream).info({ a: { b: { c: { token: 'canary-level3', d: { token: 'level4-kept' } } } } }, 'deep');
    const text = out.text();
    assert.equal(/canary-/.test(text), false, text);
    assert.match(text, /level4-kept/);
  });

  it('honours the level: debug lines are dropped at info', () => {
    const out = capture();
    const log = createLogger('info', out.stream);
    log.debug('hidden');
    log.info('shown');
    assert.deepEqual(
      out.lines().map((l) => l.msg),
      ['shown'],
    );
  });

  it('recognises the configured level names', () => {
    assert.equal(isLogLevel('debug'), true);
    assert.equal(isLogLevel('verbose'), false);
  });
});
