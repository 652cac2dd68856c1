// Revocation in the whole server: the user signs out at a real OpenID provider, which sends an
// OIDC back-channel logout to Tessera's JMAP listener; every live session of that OP session ends on
// every protocol (IMAP in IDLE, SMTP mid-transaction, JMAP EventSource and WebSocket), the old token
// no longer logs in anywhere, and a token from a new sign-in works.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, JmapClient, startTessera, withTimeout, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect, openEventSource, openWebSocketPush, smtpTokenSession, watchMailbox } from './clients.js';

const CAROL = `carol@${DOMAIN}`;
const DAVE = `dave@${DOMAIN}`;
const WAIT_MS = 5000;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;

before(async () => {
  idp = await startTestIdp({ users: [{ email: CAROL }, { email: DAVE }] });
  conf = await writeE2eConf(idp);
  srv = await startTessera(conf);
  idp.setClientMetadata({ backchannel_logout_uri: `${srv.endpoints.jmap}/oidc/backchannel-logout`, backchannel_logout_session_required: true });
  await srv.running.context.users.add(CAROL, 'carol-e2e-secret');
  await srv.running.context.users.add(DAVE, 'dave-e2e-secret');
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('sign-out at the identity provider', () => {
  it('ends the OP session’s IMAP, SMTP and JMAP push sessions, refuses its token, and spares others', async () => {
    const carol = await idp.issueToken(CAROL);
    const dave = await idp.issueToken(DAVE);
    const sid = carol.sid;
    assert.ok(sid, 'the provider put an OP session id in the token');

    const imap = await watchMailbox(srv.endpoints.imap, { user: CAROL, accessToken: carol.accessToken }, 'INBOX');
    const bystander = await watchMailbox(srv.endpoints.imap, { user: DAVE, accessToken: dave.accessToken }, 'INBOX');
    const smtp = await smtpTokenSession(srv.endpoints.submission, CAROL, carol.accessToken);
    const bearer = `Bearer ${carol.accessToken}`;
    const es = await openEventSource(srv.endpoints.jmap, bearer);
    const ws = await openWebSocketPush(srv.endpoints.jmap, bearer);
    try {
      await idp.endSession(sid);

      await withTimeout(imap.closed, WAIT_MS, 'the IMAP IDLE session to be closed');
      const smtpReply = await smtp.lines.next((l) => /^\d{3} /.test(l), WAIT_MS, 'an SMTP reply to the revocation');
      assert.match(smtpReply, /^421 4\.7\.0 /);
      await withTimeout(smtp.closed, WAIT_MS, 'the SMTP session to be closed');
      await withTimeout(es.ended, WAIT_MS, 'the JMAP EventSource to end');
      await withTimeout(ws.ended, WAIT_MS, 'the JMAP WebSocket to close');

      assert.equal(bystander.client.usable, true, 'another user’s session is untouched');

      await assert.rejects(imapConnect(srv.endpoints.imap, { user: CAROL, accessToken: carol.accessToken }), /AUTHENTICATIONFAILED|Authentication failed/i);
      const refused = await fetch(`${srv.endpoints.jmap}/jmap/session`, { headers: { Authorization: bearer } });
      assert.equal(refused.status, 401);
      await refused.body?.cancel();
      await assert.rejects(smtpTokenSession(srv.endpoints.submission, CAROL, carol.accessToken), /AUTH XOAUTH2: expected 235/);

      // Signing in again gives a new OP session whose token works.
      const again = await idp.accessToken(CAROL);
      const client = await imapConnect(srv.endpoints.imap, { user: CAROL, accessToken: again });
      await client.logout();
      const { accountId } = await JmapClient.bearer(srv.endpoints.jmap, again).session();
      assert.equal(typeof accountId, 'string');
    } finally {
      smtp.close();
      es.close();
      ws.close();
      await imap.close();
      await bystander.close();
    }
  });
});
