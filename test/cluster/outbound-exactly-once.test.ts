// The outbound queue shared by several Tessera processes on one PostgreSQL database: 1,000 queued
// messages to a local SMTP sink (the smarthost) are delivered by three nodes together; one node is
// killed with SIGKILL in the middle. Every message arrives, and the only ones that may arrive twice
// are those the killed node held a lease on when it died (sent to the sink but not yet recorded:
// SMTP gives no way to make that exactly-once, see README "Running several nodes"). Nothing another
// node was delivering is taken over while that node lives (leases are renewed), and the killed
// node's messages are retried once its lease (outbound.leaseTime) has run out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { MailStore } from '../../src/store/types.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { createTestDatabase, dropTemplate, postgresUnavailable, type TestDatabase } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';
import { CLUSTER_DOMAIN, startRelayNode, type RelayNode } from './harness.js';

const unavailable = await postgresUnavailable();
const MESSAGES = 1000;

function messageIdOf(data: Buffer): string | undefined {
  return /^Message-ID:\s*<([^>]+)>/im.exec(data.toString('latin1'))?.[1];
}

describe('outbound queue shared by several nodes on PostgreSQL', { skip: unavailable ?? false }, () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let store: MailStore;
  let events: MemoryEventBus;
  const nodes: RelayNode[] = [];

  before(async () => {
    db = await createTestDatabase();
    sink = await SmtpSink.start();
    events = new MemoryEventBus();
    store = await openPostgresStore({ url: db.url, poolSize: 4, events });
  });

  after(async () => {
    for (const n of nodes) await n.stop().catch(() => undefined);
    await store?.close();
    await events?.close();
    await sink?.close();
    await db?.drop();
    await dropTemplate();
  });

  it('delivers 1,000 queued messages once each across three nodes, one of them killed with SIGKILL mid-delivery', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < MESSAGES; i++) {
      const id = `m${i}.${Date.now()}@${CLUSTER_DOMAIN}`;
      ids.add(id);
      const bytes = Buffer.from(`From: s@${CLUSTER_DOMAIN}\r\nTo: r${i}@remote.example\r\nSubject: n${i}\r\nMessage-ID: <${id}>\r\n\r\nbody ${i}\r\n`);
      await store.enqueueOutbound({ sender: `s@${CLUSTER_DOMAIN}`, recipients: [`r${i}@remote.example`], bytes });
    }
    const settings = { url: db.url, smarthostPort: sink.port, leaseTime: '3s', pollInterval: '500ms' };
    const [a, b, c3] = await Promise.all([startRelayNode('node-a', settings), startRelayNode('node-b', settings), startRelayNode('node-c', settings)]);
    nodes.push(a!, b!, c3!);

    await waitFor('a third of the messages at the sink', () => sink.messages.length >= MESSAGES / 3, 120_000);
    await a!.kill9();
    // What the dead node held: leased to one of its workers (owner host:pid:n), not recorded.
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    let heldByDead: number;
    try {
      const held = await c.query<{ id: string }>("SELECT id::text AS id FROM outbound WHERE status = 'queued' AND lease_owner LIKE $1", [`%:${a!.child.pid}:%`]);
      heldByDead = held.rowCount ?? 0;
      await waitFor('every queued message recorded as delivered', async () => {
        const left = await c.query<{ n: string }>("SELECT count(*) AS n FROM outbound WHERE status <> 'done'");
        return Number(left.rows[0]!.n) === 0;
      }, 180_000);
      const failed = await c.query<{ n: string }>("SELECT count(*) AS n FROM outbound WHERE recipients::text NOT LIKE '%\"status\":\"delivered\"%'");
      assert.equal(Number(failed.rows[0]!.n), 0, 'every recipient delivered');
    } finally {
      await c.end();
    }

    const seen = new Map<string, number>();
    for (const m of sink.messages) {
      const id = messageIdOf(m.data);
      assert.ok(id && ids.has(id), `unexpected message at the sink: ${m.data.toString('latin1').slice(0, 200)}`);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    assert.equal(seen.size, MESSAGES, 'every message reached the sink');
    const twice = [...seen].filter(([, n]) => n > 1);
    assert.ok(twice.every(([, n]) => n === 2), 'no message more than twice');
    // Duplicates only among what the killed node was in the middle of (sent, not yet recorded).
    assert.ok(twice.length <= heldByDead, `${twice.length} duplicates but the killed node held only ${heldByDead} leases`);
    process.stderr.write(`# cluster queue: ${MESSAGES} messages, killed node held ${heldByDead} leases, ${twice.length} delivered twice\n`);
  });
});
