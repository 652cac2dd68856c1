// Three Tessera processes on one PostgreSQL schema (storage.engine=postgres), as behind a TCP load
// balancer: events cross between nodes through LISTEN/NOTIFY within a second. Mail delivered by SMTP
// on node A shows in IMAP IDLE on B and in JMAP push on C; a flag set over IMAP on B reaches JMAP on
// C; a flag set on B and an email destroyed over JMAP on C show in IMAP IDLE on A; an OIDC
// back-channel logout posted to C ends the user's IDLE sessions on A and B; a node whose
// listening connection is killed resynchronises and still shows what arrived meanwhile. The figures
// are printed as test diagnostics. Skipped without PostgreSQL, a failure under CI=true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable, type TestSchema } from '../support/postgres.js';
import { DOMAIN, JmapClient, withTimeout } from '../e2e/harness.js';
import { imapConnect, openEventSource, submit, watchMailbox, type StateChange, type WatchedImap } from '../e2e/clients.js';
import { startCluster, type ClusterNode } from './harness.js';

const unavailable = await postgresUnavailable();
const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
/** The bound the issue sets for cross-node events. */
const CROSS_NODE_MS = 1000;
/** Deadline for things that have no latency promise (start-up, reconnection). */
const WAIT_MS = 10_000;

describe('three nodes on one PostgreSQL', { skip: unavailable ?? false }, () => {
  let idp: TestIdp;
  let db: TestSchema;
  let nodes: ClusterNode[];
  let stopCluster: (() => Promise<void>) | undefined;
  let A: ClusterNode, B: ClusterNode, C: ClusterNode;

  before(async () => {
    idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
    db = await createTestSchema();
    const cluster = await startCluster({ idp, url: db.url, schema: db.schema, nodes: 3, users: [[ALICE, 'alice-cluster-pw'], [BOB, 'bob-cluster-pw']] });
    stopCluster = cluster.stop;
    nodes = cluster.nodes;
    [A, B, C] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    idp.setClientMetadata({ backchannel_logout_uri: `${C.endpoints.jmap}/oidc/backchannel-logout`, backchannel_logout_session_required: true });
  });

  after(async () => {
    await stopCluster?.();
    await idp?.close();
    await db?.drop();
    await dropSharedDatabase();
  });

  const mail = (to: string, subject: string) => ({ from: 'someone@elsewhere.test', to, subject, text: `${subject}\n`, messageId: `<${randomUUID()}@elsewhere.test>` });
  const emailChangedFor = (accountId: string) => (c: StateChange) => c.changed[accountId]?.Email !== undefined;

  it('shows mail delivered by SMTP on A in IMAP IDLE on B and JMAP EventSource on C within a second', async (t) => {
    const token = await idp.accessToken(ALICE);
    const jmap = JmapClient.bearer(C.endpoints.jmap, token);
    const { accountId } = await jmap.session();
    const idle = await watchMailbox(B.endpoints.imap, { user: ALICE, accessToken: token }, 'INBOX');
    const push = await openEventSource(C.endpoints.jmap, `Bearer ${token}`);
    try {
      push.changes.clear();
      const onB = idle.updates.next((u) => u.kind === 'exists', WAIT_MS, 'EXISTS in IDLE on B').then(() => performance.now());
      const onC = push.changes.next(emailChangedFor(accountId), WAIT_MS, 'an Email state change on C').then(() => performance.now());
      const sentAt = performance.now();
      const info = await submit({ port: A.endpoints.smtpMx }, mail(ALICE, 'across the cluster'));
      const ackAt = performance.now();
      assert.deepEqual(info.rejected, []);
      const [bAt, cAt] = await Promise.all([onB, onC]);
      t.diagnostic(`SMTP on A took ${(ackAt - sentAt).toFixed(0)} ms to the 250; IDLE on B saw it ${(bAt - ackAt).toFixed(0)} ms after, JMAP push on C ${(cAt - ackAt).toFixed(0)} ms after`);
      assert.ok(bAt - ackAt < CROSS_NODE_MS, `IMAP IDLE on B after ${(bAt - ackAt).toFixed(0)} ms`);
      assert.ok(cAt - ackAt < CROSS_NODE_MS, `JMAP push on C after ${(cAt - ackAt).toFixed(0)} ms`);
      // The state pushed is the one C serves.
      const [, got] = (await jmap.call([['Email/query', { accountId, filter: { subject: 'across the cluster' } }, 'q']]))[0]!;
      assert.equal((got.ids as string[]).length, 1);
    } finally {
      push.close();
      await idle.close();
    }
  });

  it('shows a flag set over IMAP on B to JMAP on C within a second', async (t) => {
    const token = await idp.accessToken(ALICE);
    const jmap = JmapClient.bearer(C.endpoints.jmap, token);
    const { accountId } = await jmap.session();
    assert.deepEqual((await submit({ port: A.endpoints.smtpMx }, mail(ALICE, 'to be flagged'))).rejected, []);
    const push = await openEventSource(C.endpoints.jmap, `Bearer ${token}`);
    try {
      const setter = await imapConnect(B.endpoints.imap, { user: ALICE, accessToken: token });
      try {
        const lock = await setter.getMailboxLock('INBOX');
        try {
          const [uid] = (await setter.search({ subject: 'to be flagged' }, { uid: true })) || [];
          assert.ok(uid, 'the message is in INBOX on B');
          push.changes.clear();
          const onC = push.changes.next(emailChangedFor(accountId), WAIT_MS, 'an Email state change on C').then(() => performance.now());
          const setAt = performance.now();
          assert.ok(await setter.messageFlagsAdd(String(uid), ['$Important'], { uid: true }));
          const ackAt = performance.now();
          const cAt = await onC;
          t.diagnostic(`STORE on B answered in ${(ackAt - setAt).toFixed(0)} ms; JMAP push on C ${(cAt - ackAt).toFixed(0)} ms after`);
          assert.ok(cAt - ackAt < CROSS_NODE_MS, `JMAP push on C after ${(cAt - ackAt).toFixed(0)} ms`);
        } finally {
          lock.release();
        }
      } finally {
        await setter.logout();
      }
      const [, found] = (await jmap.call([['Email/query', { accountId, filter: { subject: 'to be flagged', hasKeyword: '$important' } }, 'q']]))[0]!;
      assert.equal((found.ids as string[]).length, 1, 'C serves the keyword B set');
    } finally {
      push.close();
    }
  });

  it('shows a flag set over IMAP on B and an email destroyed over JMAP on C in IMAP IDLE on A within a second', async (t) => {
    const token = await idp.accessToken(ALICE);
    const jmap = JmapClient.bearer(C.endpoints.jmap, token);
    const { accountId } = await jmap.session();
    assert.deepEqual((await submit({ port: A.endpoints.smtpMx }, mail(ALICE, 'to be expunged'))).rejected, []);
    const idle = await watchMailbox(A.endpoints.imap, { user: ALICE, accessToken: token }, 'INBOX');
    try {
      const [, found] = (await jmap.call([['Email/query', { accountId, filter: { subject: 'to be expunged' } }, 'q']]))[0]!;
      const [emailId] = found.ids as string[];
      assert.ok(emailId, 'C serves the message A took');
      const setter = await imapConnect(B.endpoints.imap, { user: ALICE, accessToken: token });
      try {
        const lock = await setter.getMailboxLock('INBOX');
        try {
          const [uid] = (await setter.search({ subject: 'to be expunged' }, { uid: true })) || [];
          assert.ok(uid, 'the message is in INBOX on B');
          const flagged = idle.updates.next((u) => u.kind === 'flags', WAIT_MS, 'FETCH FLAGS in IDLE on A').then(() => performance.now());
          assert.ok(await setter.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true }));
          const storedAt = performance.now();
          const flagAt = await flagged;
          t.diagnostic(`flag set on B seen in IDLE on A ${(flagAt - storedAt).toFixed(0)} ms after STORE answered`);
          assert.ok(flagAt - storedAt < CROSS_NODE_MS, `FETCH FLAGS on A after ${(flagAt - storedAt).toFixed(0)} ms`);
        } finally {
          lock.release();
        }
      } finally {
        await setter.logout();
      }
      const expunged = idle.updates.next((u) => u.kind === 'expunge', WAIT_MS, 'EXPUNGE in IDLE on A').then(() => performance.now());
      const [, set] = (await jmap.call([['Email/set', { accountId, destroy: [emailId] }, 's']]))[0]!;
      const destroyedAt = performance.now();
      assert.deepEqual(set.destroyed, [emailId]);
      const expungeAt = await expunged;
      t.diagnostic(`Email/set destroy on C seen as EXPUNGE in IDLE on A ${(expungeAt - destroyedAt).toFixed(0)} ms after the answer`);
      assert.ok(expungeAt - destroyedAt < CROSS_NODE_MS, `EXPUNGE on A after ${(expungeAt - destroyedAt).toFixed(0)} ms`);
    } finally {
      await idle.close();
    }
  });

  it('ends the IDLE sessions on A and B within a second when the back-channel logout reaches C', async (t) => {
    const { accessToken, sid } = await idp.issueToken(BOB);
    assert.ok(sid);
    const bystanderToken = await idp.accessToken(ALICE);
    const onA = await watchMailbox(A.endpoints.imap, { user: BOB, accessToken }, 'INBOX');
    const onB = await watchMailbox(B.endpoints.imap, { user: BOB, accessToken }, 'INBOX');
    const bystander = await watchMailbox(B.endpoints.imap, { user: ALICE, accessToken: bystanderToken }, 'INBOX');
    try {
      const closedA = onA.closed.then(() => performance.now());
      const closedB = onB.closed.then(() => performance.now());
      const postedAt = performance.now();
      await idp.endSession(sid);
      const doneAt = performance.now();
      const [aAt, bAt] = await withTimeout(Promise.all([closedA, closedB]), WAIT_MS, 'the IDLE sessions on A and B to end');
      t.diagnostic(`logout at the IdP (POST to C) took ${(doneAt - postedAt).toFixed(0)} ms; IDLE on A ended ${(aAt - doneAt).toFixed(0)} ms after, on B ${(bAt - doneAt).toFixed(0)} ms after`);
      assert.ok(aAt - doneAt < CROSS_NODE_MS && bAt - doneAt < CROSS_NODE_MS, 'both within a second of the logout');
      // A later event on B's bus (a delivery to the bystander) shows the bystander untouched.
      const exists = bystander.updates.next((u) => u.kind === 'exists', WAIT_MS, 'the bystander’s EXISTS');
      assert.deepEqual((await submit({ port: C.endpoints.smtpMx }, mail(ALICE, 'after the logout'))).rejected, []);
      await exists;
      assert.equal(bystander.client.usable, true);
    } finally {
      await Promise.all([onA.close(), onB.close(), bystander.close()]);
    }
  });

  it('resynchronises a node whose listening connection drops, so its IDLE session still sees new mail', async () => {
    const token = await idp.accessToken(ALICE);
    const idle: WatchedImap = await watchMailbox(B.endpoints.imap, { user: ALICE, accessToken: token }, 'INBOX');
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const resynced = B.log.next((l) => l.msg === 'event bus: listening again; subscribers resynchronise from the store', WAIT_MS, 'B to resync');
      const exists = idle.updates.next((u) => u.kind === 'exists', WAIT_MS, 'EXISTS in IDLE on B');
      const killed = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [
        `tessera-events-listen ${B.busNode}`,
      ]);
      assert.deepEqual(killed.rows, [{ ok: true }], 'B had exactly one listening connection');
      // Delivered while B is reconnecting: its notification may be lost to B, the resync is not.
      assert.deepEqual((await submit({ port: A.endpoints.smtpMx }, mail(ALICE, 'while B was away'))).rejected, []);
      await resynced;
      await exists;
      const listening = await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [`tessera-events-listen ${B.busNode}`]);
      assert.equal(listening.rowCount, 1, 'B listens again on one connection');
    } finally {
      await admin.end();
      await idle.close();
    }
  });
});
