// The policy table: which mechanisms each connection state advertises and accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authPolicy, refuseMechanism } from '../../src/auth/policy.js';
import type { AuthConfig, OidcConfig } from '../../src/config/types.js';

const oidc: OidcConfig = { jwksURL: 'https://idp.example/jwks', claim: 'email', aud: [], revalidateInterval: 0 };

interface Row {
  plainAuthEnabled: boolean;
  requireSSL: boolean;
  withOidc: boolean;
  secure: boolean;
  advertise: string[];
  plain: string | undefined;
  oauth: string | undefined;
}

const rows: Row[] = [
  // passwords only
  { plainAuthEnabled: true, requireSSL: true, withOidc: false, secure: true, advertise: ['PLAIN', 'LOGIN'], plain: undefined, oauth: 'mechanism-unavailable' },
  { plainAuthEnabled: true, requireSSL: true, withOidc: false, secure: false, advertise: [], plain: 'encryption-required', oauth: 'mechanism-unavailable' },
  { plainAuthEnabled: true, requireSSL: false, withOidc: false, secure: false, advertise: ['PLAIN', 'LOGIN'], plain: undefined, oauth: 'mechanism-unavailable' },
  { plainAuthEnabled: false, requireSSL: true, withOidc: false, secure: true, advertise: [], plain: 'mechanism-unavailable', oauth: 'mechanism-unavailable' },
  // tokens (requireSSL gates every credential: no token before TLS either)
  { plainAuthEnabled: false, requireSSL: true, withOidc: true, secure: false, advertise: [], plain: 'mechanism-unavailable', oauth: 'encryption-required' },
  { plainAuthEnabled: false, requireSSL: false, withOidc: true, secure: false, advertise: ['OAUTHBEARER', 'XOAUTH2'], plain: 'mechanism-unavailable', oauth: undefined },
  { plainAuthEnabled: false, requireSSL: true, withOidc: true, secure: true, advertise: ['OAUTHBEARER', 'XOAUTH2'], plain: 'mechanism-unavailable', oauth: undefined },
  // both
  { plainAuthEnabled: true, requireSSL: true, withOidc: true, secure: true, advertise: ['OAUTHBEARER', 'XOAUTH2', 'PLAIN', 'LOGIN'], plain: undefined, oauth: undefined },
  { plainAuthEnabled: true, requireSSL: true, withOidc: true, secure: false, advertise: [], plain: 'encryption-required', oauth: 'encryption-required' },
  { plainAuthEnabled: true, requireSSL: false, withOidc: true, secure: false, advertise: ['OAUTHBEARER', 'XOAUTH2', 'PLAIN', 'LOGIN'], plain: undefined, oauth: undefined },
];

for (const row of rows) {
  const label = `plain=${row.plainAuthEnabled} requireSSL=${row.requireSSL} oidc=${row.withOidc} tls=${row.secure}`;
  test(`policy: ${label}`, () => {
    const auth: AuthConfig = { plainAuthEnabled: row.plainAuthEnabled, requireSSL: row.requireSSL, oidc: row.withOidc ? oidc : undefined };
    const ctx = { auth, secure: row.secure };
    assert.deepEqual(authPolicy(ctx).advertise, row.advertise);
    assert.equal(authPolicy(ctx).passwordsAllowed, row.plain === undefined);
    for (const m of ['PLAIN', 'LOGIN', 'plain']) assert.equal(refuseMechanism(m, ctx)?.code, row.plain, m);
    for (const m of ['OAUTHBEARER', 'XOAUTH2']) assert.equal(refuseMechanism(m, ctx)?.code, row.oauth, m);
    assert.equal(refuseMechanism('CRAM-MD5', ctx)?.code, 'mechanism-unavailable');
  });
}

test('passwordsNeedTls is what IMAP turns into LOGINDISABLED', () => {
  const auth: AuthConfig = { plainAuthEnabled: true, requireSSL: true };
  assert.equal(authPolicy({ auth, secure: false }).passwordsNeedTls, true);
  assert.equal(authPolicy({ auth, secure: true }).passwordsNeedTls, false);
  assert.equal(authPolicy({ auth: { ...auth, plainAuthEnabled: false }, secure: false }).passwordsNeedTls, false);
});
