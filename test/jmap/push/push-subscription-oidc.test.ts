// RFC 8620 §7.2 with OpenID tokens: a push subscription belongs to the OP session whose token
// created it (not to the short-lived access token, not to the user): another session of the same
// user does not see it, and when session control revokes the session the subscription is destroyed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestIdp, type TestIdp } from '../../support/oidc-provider.js';
import { startHarness, post, type Harness } from '../harness.js';
import { PushEndpoint } from '../../support/push-endpoint.js';
import { waitFor } from '../../support/wait.js';

const ALICE = 'alice@example.com';
let idp: TestIdp;
let h: Harness;
let endpoint: PushEndpoint;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  h = await startHarness({
    users: { [ALICE]: 'alice-pw' },
    config: { strategies: ['jwt'], auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() }, webPush: { allowPrivate: true } },
    webPushTiming: { coalesceMs: 20, backoffMs: 20 },
  });
  endpoint = new PushEndpoint();
  await endpoint.start();
});
after(async () => {
  await h?.close();
  await idp?.close();
  await endpoint?.close();
});

type Json = Record<string, any>;

async function push(token: string, name: string, args: Json): Promise<Json> {
  const r = await post(h, { using: ['urn:ietf:params:jmap:core'], methodCalls: [[name, args, '0']] }, `Bearer ${token}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const [[answered, result]] = r.body.methodResponses as Array<[string, Json]>;
  assert.equal(answered, name, JSON.stringify(result));
  return result!;
}

test('another OP session of the same user does not see the subscription; revoking its own session destroys it', async () => {
  const first = await idp.issueToken(ALICE);
  const second = await idp.issueToken(ALICE);
  assert.notEqual(first.sid, second.sid);
  const created = await push(first.accessToken, 'PushSubscription/set', { create: { s: { deviceClientId: 'phone', url: endpoint.url('/oidc') } } });
  const id = created.created.s.id as string;
  await endpoint.until('the PushVerification', () => endpoint.on('/oidc')[0]);

  // A new access token of the same OP session (same claims, another jti) sees it: the binding is
  // the session, not the token.
  const claims = JSON.parse(Buffer.from(first.accessToken.split('.')[1]!, 'base64url').toString()) as Json;
  const refreshed = await idp.signJwt({ ...claims, jti: `${String(claims.jti)}-next` });
  const again = await push(refreshed, 'PushSubscription/get', { ids: null });
  assert.deepEqual(again.list.map((s: Json) => s.id), [id]);
  const other = await push(second.accessToken, 'PushSubscription/get', { ids: [id] });
  assert.deepEqual(other.notFound, [id]);

  await h.sessions.revoke({ sid: first.sid, issuer: idp.issuer, reason: 'Session ended by the identity provider' });
  await waitFor('the subscription of the revoked session to be destroyed', async () => (await h.store.listPushSubscriptions(ALICE)).length === 0);
});
