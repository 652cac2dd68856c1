// RFC 8620 §7.2: subscriptions are tied to "the credentials used to authenticate the API request
// that created it". Which logins count as the same credentials (see credential.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialOf } from '../../../src/jmap/push/webpush/credential.js';
import type { Principal } from '../../../src/auth/types.js';

const token = (p: Partial<Principal>): Principal => ({ user: 'alice@example.com', mechanism: 'BEARER', issuer: 'https://op', clientId: 'app', ...p });

test('tokens of one OP session and client are the same credentials, whatever the access token', () => {
  const a = credentialOf(token({ sid: 's1', jti: 't1', accessToken: 'x' }));
  const b = credentialOf(token({ sid: 's1', jti: 't2', accessToken: 'y' }));
  assert.equal(a.credential, b.credential);
  assert.deepEqual({ issuer: a.issuer, sid: a.sid }, { issuer: 'https://op', sid: 's1' });
});

test('another OP session, client or issuer is another credential', () => {
  const base = credentialOf(token({ sid: 's1' })).credential;
  for (const other of [token({ sid: 's2' }), token({ sid: 's1', clientId: 'other-app' }), token({ sid: 's1', issuer: 'https://other-op' })]) {
    assert.notEqual(credentialOf(other).credential, base);
  }
});

test('without a sid the subject is the binding; passwords and X-User are the user\'s own, an acting administrator is apart', () => {
  const bySub = credentialOf(token({ subject: 'sub-1' }));
  assert.deepEqual([bySub.subject, bySub.sid], ['sub-1', undefined]);
  const basic = credentialOf({ user: 'alice@example.com', mechanism: 'BASIC' });
  assert.equal(basic.credential, credentialOf({ user: 'alice@example.com', mechanism: 'BASIC' }).credential);
  assert.notEqual(basic.credential, credentialOf({ user: 'alice@example.com', mechanism: 'XUSER' }).credential);
  assert.notEqual(basic.credential, credentialOf({ user: 'alice@example.com', mechanism: 'BASIC', actor: 'admin' }).credential);
  assert.notEqual(basic.credential, bySub.credential);
});
