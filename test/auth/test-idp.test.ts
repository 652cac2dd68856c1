// The test identity provider harness itself: real tokens with distinct OP sessions, key rotation,
// outage and restart, and back-channel logout when a session ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { waitFor } from '../support/wait.js';

const ALICE = 'alice@example.com';
let idp: TestIdp;
let receiver: Server;
let received: string[] = [];
let receiverUrl = '';

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) received.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/oidc/backchannel-logout`;
});

after(async () => {
  await idp.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

test('issued tokens are RS256 JWTs for the mail audience, each with its own OP session', async () => {
  const a = await idp.issueToken(ALICE);
  const b = await idp.issueToken(ALICE);
  assert.equal(decodeProtectedHeader(a.accessToken).alg, 'RS256');
  const claims = decodeJwt(a.accessToken);
  assert.equal(claims.aud, 'urn:tessera:mail');
  assert.equal(claims.iss, idp.issuer);
  assert.equal(claims.email, ALICE);
  assert.equal(claims.scope, 'openid email');
  assert.ok(a.sid && b.sid && a.sid !== b.sid);
});

test('rotation signs with a new kid and keeps the old key published', async () => {
  const before = decodeProtectedHeader(await idp.accessToken(ALICE)).kid;
  await idp.rotateKeys();
  const after = decodeProtectedHeader(await idp.accessToken(ALICE)).kid;
  assert.notEqual(before, after);
  const jwks = (await (await fetch(idp.jwksUrl)).json()) as { keys: { kid: string }[] };
  assert.deepEqual(new Set(jwks.keys.map((k) => k.kid)), new Set([before, after]));
});

test('stop makes the provider unreachable; start brings it back on the same port', async () => {
  const port = idp.port;
  await idp.stop();
  await assert.rejects(fetch(idp.discoveryUrl));
  await idp.start();
  assert.equal(idp.port, port);
  assert.equal((await fetch(idp.discoveryUrl)).status, 200);
});

test('ending a session sends a back-channel logout token naming its sid', async () => {
  idp.setClientMetadata({ backchannel_logout_uri: receiverUrl, backchannel_logout_session_required: true });
  received = [];
  const issued = await idp.issueToken(ALICE);
  assert.ok(issued.sid);
  await idp.endSession(issued.sid);
  await waitFor('the back-channel logout request', () => received.length > 0, 5000);
  assert.equal(received.length, 1);
  const logout = decodeJwt(received[0] ?? '');
  assert.equal(logout.sid, issued.sid);
  assert.equal(logout.aud, idp.clientId);
  assert.equal(logout.iss, idp.issuer);
  assert.ok(logout.events && typeof logout.events === 'object' && 'http://schemas.openid.net/event/backchannel-logout' in logout.events);
});
