// Three Tessera processes on one PostgreSQL schema share the failed-login throttle and the JMAP
// Web Push subscriptions (issue #19): 200 parallel wrong passwords for one user from one address,
// spread over the three nodes (JMAP Basic), get the allowance of one node (the rest are refused
// without a password check) while the owner logs in from a clean address on every node; a push subscription
// created over JMAP on node A is pushed for mail delivered on node B, once, and once destroyed on
// node C it is pushed by no node. Login clients are bound to loopback addresses of their own.
// Skipped without PostgreSQL, a failure under CI=true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable, type TestSchema } from '../support/postgres.js';
import { PushEndpoint, type ReceivedPush } from '../support/push-endpoint.js';
import { withDeadline } from '../support/wait.js';
import { DOMAIN, JmapClient } from '../e2e/harness.js';
import { submit } from '../e2e/clients.js';
import { startCluster, type ClusterNode } from './harness.js';

const unavailable = await postgresUnavailable();
const ALICE = `alice@${DOMAIN}`;
const ALICE_PW = 'alice-Shared-throttle-1';
const BOB = `bob@${DOMAIN}`;
const BOB_PW = 'bob-Shared-throttle-2';
/** Small thresholds and delays, the same on every node. */
const USER_BLOCK_AFTER = 5;
const DEADLINE_MS = 60_000;
const CORE = ['urn:ietf:params:jmap:core'];

/** GET /jmap/session with Basic credentials on `base` from the loopback address `from`: the status (200, 401, 429). */
function jmapBasic(base: string, from: string, user: string, password: string): Promise<number> {
  const url = new URL(`${base}/jmap/session`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        localAddress: from,
        agent: false,
        headers: { connection: 'close', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('three nodes on one PostgreSQL share the login throttle and the push subscriptions', { skip: unavailable ?? false }, () => {
  let idp: TestIdp;
  let db: TestSchema;
  let nodes: ClusterNode[];
  let stopCluster: (() => Promise<void>) | undefined;
  let endpoint: PushEndpoint;

  before(async () => {
    idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
    db = await createTestSchema();
    endpoint = new PushEndpoint();
    await endpoint.start();
    const cluster = await startCluster({
      idp,
      url: db.url,
      schema: db.schema,
      nodes: 3,
      users: [[ALICE, ALICE_PW], [BOB, BOB_PW]],
      properties: [
        `auth.throttle.user.blockAfter=${USER_BLOCK_AFTER}`,
        'auth.throttle.user.freeFailures=2',
        'auth.throttle.delayMs=20',
        'auth.throttle.maxDelayMs=100',
      ],
      // The push endpoint is on loopback.
      jmapProperties: ['webpush.prevent.server.side.request.forgery=false'],
    });
    stopCluster = cluster.stop;
    nodes = cluster.nodes;
  });

  after(async () => {
    await stopCluster?.();
    await endpoint?.close();
    await idp?.close();
    await db?.drop();
    await dropSharedDatabase();
  });

  it('200 parallel wrong passwords spread over three nodes get the allowance of one; the owner logs in from a clean address', async () => {
    const attacker = '127.0.0.40';
    const answers = await withDeadline(
      Promise.all(Array.from({ length: 200 }, (_, i) => jmapBasic(nodes[i % 3]!.endpoints.jmap, attacker, ALICE, `wrong-guess-${i}`))),
      DEADLINE_MS,
      '200 parallel JMAP Basic logins over three nodes',
    );
    assert.deepEqual(answers.filter((a) => a !== 401 && a !== 429), [], 'every answer is a failure or a throttle');
    assert.equal(answers.filter((a) => a === 401).length, USER_BLOCK_AFTER, 'password checks across the cluster');
    assert.equal(answers.filter((a) => a === 429).length, 200 - USER_BLOCK_AFTER);
    for (const node of nodes) {
      assert.equal(await jmapBasic(node.endpoints.jmap, attacker, ALICE, ALICE_PW), 429, `node ${node.name} refuses the attacker's address`);
      assert.equal(await jmapBasic(node.endpoints.jmap, '127.0.0.41', ALICE, ALICE_PW), 200, `the owner logs in on node ${node.name}`);
      assert.equal(await jmapBasic(node.endpoints.jmap, attacker, BOB, BOB_PW), 200, `a colleague behind the address on node ${node.name}`);
    }
  });

  it('a push subscription created on node A is pushed for mail delivered on node B, once; destroyed on node C, by no node', async () => {
    const [A, B, C] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const onA = JmapClient.basic(A.endpoints.jmap, BOB, BOB_PW);
    const onC = JmapClient.basic(C.endpoints.jmap, BOB, BOB_PW);
    const { accountId } = await onA.session();
    const pushSet = async (client: JmapClient, args: Record<string, unknown>): Promise<Record<string, any>> => {
      const [[name, result]] = (await client.call([['PushSubscription/set', args, '0']], CORE)) as unknown as [[string, Record<string, any>]];
      assert.equal(name, 'PushSubscription/set', JSON.stringify(result));
      return result;
    };
    const json = (push: ReceivedPush): Record<string, any> => JSON.parse(push.body.toString('utf8')) as Record<string, any>;
    const stateChanges = (path: string): Array<Record<string, any>> => endpoint.on(path).map(json).filter((o) => o['@type'] === 'StateChange');
    const subscribe = async (client: JmapClient, path: string): Promise<string> => {
      const created = await pushSet(client, { create: { s: { deviceClientId: `device${path}`, url: endpoint.url(path) } } });
      const id = created.created?.s?.id as string;
      assert.ok(id, JSON.stringify(created));
      const verification = json(await endpoint.until(`the PushVerification on ${path}`, () => endpoint.on(path)[0]));
      assert.equal(verification['@type'], 'PushVerification');
      assert.deepEqual((await pushSet(client, { update: { [id]: { verificationCode: verification.verificationCode } } })).updated, { [id]: null });
      return id;
    };
    const mail = (subject: string) => ({ from: 'someone@elsewhere.test', to: BOB, subject, text: `${subject}\n`, messageId: `<${randomUUID()}@elsewhere.test>` });

    const first = await subscribe(onA, '/first');
    assert.deepEqual((await submit({ port: B.endpoints.smtpMx }, mail('delivered on B'))).rejected, []);
    const pushed = await endpoint.until('a StateChange for mail delivered on B', () => stateChanges('/first').find((o) => o.changed?.[accountId]?.Email !== undefined));
    assert.ok(pushed);

    // Destroyed on C; a second subscription made on C is the barrier: when B has pushed the next mail
    // to it, B would have pushed to the first one too, had it still held it.
    assert.deepEqual((await pushSet(onC, { destroy: [first] })).destroyed, [first]);
    await subscribe(onC, '/second');
    const before = stateChanges('/first').length;
    assert.deepEqual((await submit({ port: B.endpoints.smtpMx }, mail('after the destroy'))).rejected, []);
    await endpoint.until('a StateChange on the second subscription', () => stateChanges('/second').find((o) => o.changed?.[accountId]?.Email !== undefined));
    assert.equal(stateChanges('/first').length, before, 'nothing pushed to the destroyed subscription');
    // One node pushed each change: the first mail's StateChange arrived once, not once per node.
    assert.equal(stateChanges('/first').filter((o) => o.changed?.[accountId]?.Email !== undefined).length, 1);
  });
});
