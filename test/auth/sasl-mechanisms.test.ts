// SASL state machines: PLAIN (RFC 4616), LOGIN, and the OAuth mechanisms' edge cases — what real
// clients send (initial responses, "=", "*", missing host/port, the other mechanism's format) and what
// hostile ones send (bad base64, oversize payloads, garbage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainExchange, parsePlainMessage } from '../../src/auth/sasl/plain.js';
import { LoginExchange, LOGIN_PASSWORD_CHALLENGE, LOGIN_USERNAME_CHALLENGE } from '../../src/auth/sasl/login.js';
import { OAuthBearerExchange } from '../../src/auth/sasl/oauthbearer.js';
import { XOAuth2Exchange } from '../../src/auth/sasl/xoauth2.js';
import { decodeStrictBase64 } from '../../src/auth/sasl/base64.js';
import { parseOAuthPayload, unescapeSaslName } from '../../src/auth/sasl/oauth-payload.js';
import { createSaslExchange } from '../../src/auth/sasl/index.js';
import { MAX_SASL_PAYLOAD_BYTES } from '../../src/auth/sasl/limits.js';
import type { SaslStep } from '../../src/auth/types.js';
import { ScriptedChecker, b64 } from './sasl-helpers.js';

function codeOf(step: SaslStep): string {
  return step.type === 'failure' ? step.failure.code : step.type;
}

// RFC 4616 §4 examples.
const RFC4616_TIM = 'AHRpbQB0YW5zdGFhZnRhbnN0YWFm'; // "\0tim\0tanstaaftanstaaf"
const RFC4616_URSEL = b64('Ursel\0Kurt\0xipj3plmq');

test('strict base64 rejects whitespace, bad padding, non-canonical bits and oversize input', () => {
  assert.equal(decodeStrictBase64('AHRpbQB0YW5zdGFhZnRhbnN0YWFm').ok, true);
  assert.deepEqual(decodeStrictBase64('P/8='), { ok: true, bytes: Buffer.from([0x3f, 0xff]) });
  for (const bad of ['AHRp bQ==', 'AHRpbQ=', 'AHRpbQ', 'AHR=bQ==', 'QQ=x', 'QR==', '****', 'AHRpbQ==\r', 'ab-_', '-_8=', 'P_8=', 'AHRpbQ==AAAA', 'QQ===', '=AAA', '=QQ=', 'AHRpbQ%%']) {
    assert.equal(decodeStrictBase64(bad).ok, false, JSON.stringify(bad));
  }
  const huge = 'A'.repeat(Math.ceil((MAX_SASL_PAYLOAD_BYTES + 3) / 3) * 4);
  assert.deepEqual(decodeStrictBase64(huge), { ok: false, reason: 'too-large' });
});

test('PLAIN RFC 4616 example: empty authzid, authcid tim', async () => {
  const checker = new ScriptedChecker('ok');
  const step = await new PlainExchange(checker).start(RFC4616_TIM);
  assert.equal(step.type, 'success');
  assert.deepEqual(checker.calls, [{ kind: 'password', user: 'tim', secret: 'tanstaaftanstaaf', mechanism: 'PLAIN', authzid: '' }]);
});

test('PLAIN passes a differing authzid on so the service can refuse it', async () => {
  const checker = new ScriptedChecker('ok');
  await new PlainExchange(checker).start(RFC4616_URSEL);
  assert.equal(checker.calls[0]?.authzid, 'Ursel');
  assert.equal(checker.calls[0]?.user, 'Kurt');
});

test('PLAIN without initial response sends an empty challenge, then accepts the message', async () => {
  const exchange = new PlainExchange(new ScriptedChecker('ok'));
  assert.deepEqual(await exchange.start(), { type: 'challenge', base64: '' });
  assert.equal(codeOf(await exchange.respond(RFC4616_TIM)), 'success');
  assert.equal(codeOf(await exchange.respond(RFC4616_TIM)), 'malformed', 'no second round');
});

test('PLAIN refuses malformed messages without asking the repository', async () => {
  for (const bad of [b64('tim\0pass'), b64('\0\0pass'), b64('\0tim\0'), b64('a\0b\0c\0d'), Buffer.from([0, 0x74, 0, 0xff]).toString('base64'), '=']) {
    const checker = new ScriptedChecker('ok');
    assert.equal(codeOf(await new PlainExchange(checker).start(bad)), 'malformed', bad);
    assert.equal(checker.calls.length, 0);
  }
  assert.deepEqual(parsePlainMessage(Buffer.from('\0tim\0p')), { authzid: '', authcid: 'tim', password: 'p' });
});

test('"*" aborts an exchange in progress', async () => {
  for (const name of ['PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2']) {
    const exchange = createSaslExchange(name, new ScriptedChecker('ok'), {});
    assert.ok(exchange);
    assert.equal((await exchange.start()).type, 'challenge');
    assert.equal(codeOf(await exchange.respond('*')), 'aborted', name);
  }
});

test('LOGIN asks Username: then Password: with the exact challenges', async () => {
  assert.equal(Buffer.from(LOGIN_USERNAME_CHALLENGE, 'base64').toString(), 'Username:');
  assert.equal(Buffer.from(LOGIN_PASSWORD_CHALLENGE, 'base64').toString(), 'Password:');
  const checker = new ScriptedChecker('ok');
  const exchange = new LoginExchange(checker);
  assert.deepEqual(await exchange.start(), { type: 'challenge', base64: 'VXNlcm5hbWU6' });
  assert.deepEqual(await exchange.respond(b64('alice@example.com')), { type: 'challenge', base64: 'UGFzc3dvcmQ6' });
  assert.equal(codeOf(await exchange.respond(b64('s3cret'))), 'success');
  assert.deepEqual(checker.calls, [{ kind: 'password', user: 'alice@example.com', secret: 's3cret', mechanism: 'LOGIN', authzid: undefined }]);
});

test('LOGIN takes the user name as initial response (SMTP AUTH LOGIN <b64>)', async () => {
  const checker = new ScriptedChecker('invalid');
  const exchange = new LoginExchange(checker);
  assert.deepEqual(await exchange.start(b64('bob')), { type: 'challenge', base64: LOGIN_PASSWORD_CHALLENGE });
  assert.equal(codeOf(await exchange.respond(b64('wrong'))), 'invalid');
  assert.equal(checker.calls[0]?.user, 'bob');
});

test('OAUTHBEARER without host/port and with an empty authzid is accepted', async () => {
  const checker = new ScriptedChecker('ok');
  const step = await new OAuthBearerExchange(checker, {}).start(b64('n,,\x01auth=Bearer abc.def-ghi\x01\x01'));
  assert.equal(step.type, 'success');
  assert.deepEqual(checker.calls[0], { kind: 'token', user: undefined, secret: 'abc.def-ghi', mechanism: 'OAUTHBEARER' });
});

test('each mechanism accepts the other wire format (as James does)', async () => {
  const xo = new ScriptedChecker('ok');
  assert.equal((await new OAuthBearerExchange(xo, {}).start(b64('user=a@example.com\x01auth=Bearer tok\x01\x01'))).type, 'success');
  assert.equal(xo.calls[0]?.user, 'a@example.com');
  const ob = new ScriptedChecker('ok');
  assert.equal((await new XOAuth2Exchange(ob, {}).start(b64('n,a=b@example.com,\x01auth=Bearer tok\x01\x01'))).type, 'success');
  assert.equal(ob.calls[0]?.user, 'b@example.com');
});

test('OAuth payload waits for a "+" round when no initial response is sent (imaplib)', async () => {
  const checker = new ScriptedChecker('ok');
  const exchange = new OAuthBearerExchange(checker, {});
  assert.deepEqual(await exchange.start(), { type: 'challenge', base64: '' });
  assert.equal((await exchange.respond(b64('n,,\x01auth=Bearer tok\x01\x01'))).type, 'success');
});

test('an empty initial response "=" is not a valid OAuth payload', async () => {
  assert.equal(codeOf(await new OAuthBearerExchange(new ScriptedChecker('ok'), {}).start('=')), 'malformed');
});

test('temporary and throttled token failures end at once, without the error challenge', async () => {
  for (const code of ['temporary', 'throttled'] as const) {
    const step = await new OAuthBearerExchange(new ScriptedChecker(code), { scope: 's' }).start(b64('n,,\x01auth=Bearer tok\x01\x01'));
    assert.equal(codeOf(step), code);
    const x = await new XOAuth2Exchange(new ScriptedChecker(code), {}).start(b64('user=u\x01auth=Bearer tok\x01\x01'));
    assert.equal(codeOf(x), code);
  }
});

test('malformed OAuth payloads are refused before any token check', async () => {
  const bad = [
    'n,,auth=Bearer tok\x01\x01', // no ^A after header
    'n,,\x01auth=Bearer tok\x01', // missing final ^A
    'n,,\x01auth=Basic dG9r\x01\x01', // not bearer
    'n,,\x01auth=Bearer to k\x01\x01', // space in token
    'p=tls-unique,,\x01auth=Bearer tok\x01\x01', // channel binding
    'n,a=bad=user,\x01auth=Bearer tok\x01\x01', // bad saslname escape
    'n,,\x01host=x\x01\x01', // no auth
    'n,,\x01auth=Bearer a\x01auth=Bearer b\x01\x01', // duplicate key
    'hello',
  ];
  for (const payload of bad) {
    const checker = new ScriptedChecker('ok');
    assert.equal(codeOf(await new OAuthBearerExchange(checker, {}).start(b64(payload))), 'malformed', JSON.stringify(payload));
    assert.equal(checker.calls.length, 0);
  }
  assert.equal(codeOf(await new OAuthBearerExchange(new ScriptedChecker('ok'), {}).start('bixh!!')), 'malformed');
});

test('gs2 saslname escapes decode =2C and =3D', () => {
  assert.equal(unescapeSaslName('a=2Cb=3Dc'), 'a,b=c');
  assert.equal(unescapeSaslName('a=2'), undefined);
  const parsed = parseOAuthPayload('n,a=x=3Dy@example.com,\x01auth=Bearer t\x01\x01');
  assert.equal(parsed.ok && parsed.credentials.user, 'x=y@example.com');
});

test('a payload over the 20 KiB limit is malformed; a 16 KiB token fits', async () => {
  const token = 'a'.repeat(16 * 1024);
  const fits = new ScriptedChecker('ok');
  assert.equal((await new OAuthBearerExchange(fits, {}).start(b64(`n,,\x01auth=Bearer ${token}\x01\x01`))).type, 'success');
  const over = b64(`n,,\x01auth=Bearer ${'a'.repeat(MAX_SASL_PAYLOAD_BYTES)}\x01\x01`);
  const checker = new ScriptedChecker('ok');
  assert.equal(codeOf(await new OAuthBearerExchange(checker, {}).start(over)), 'malformed');
  assert.equal(checker.calls.length, 0);
});

test('unknown mechanisms have no exchange', () => {
  assert.equal(createSaslExchange('CRAM-MD5', new ScriptedChecker('ok'), {}), undefined);
  assert.ok(createSaslExchange('oauthbearer', new ScriptedChecker('ok'), {}));
});
