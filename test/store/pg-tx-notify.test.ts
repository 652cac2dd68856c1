// The PostgreSQL store sends its cluster notifications inside each write transaction (issue #19):
// other nodes hear of a committed change even when the writing node dies right after the commit;
// transactions of one node that commit in another order than they took their sequence numbers cause
// no resync; a write rolled back at COMMIT causes neither an event nor a resync, and one whose
// outcome the node cannot know makes the others resync its account. Real PostgreSQL; the commit is
// held or failed by a deferred constraint trigger installed in the test's schema.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { channelOf, PgEventBus } from '../../src/store/postgres/event-relay.js';
import type { MailStore } from '../../src/store/types.js';
import type { AccountEvent, ResyncEvent } from '../../src/events/types.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable, type TestSchema } from '../support/postgres.js';
import { waitFor, withDeadline } from '../support/wait.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const unavailable = await postgresUnavailable();
const WAIT_MS = 10_000;
/** The advisory lock a 'Held…' mailbox's COMMIT waits for. */
const HOLD_KEY = 919_019;
/**
 * The backends waiting for HOLD_KEY in this test's database. Other test files run beside this one
 * and wait for advisory locks of their own (schema migrations): terminating one of theirs instead
 * would fail that file and leave this write waiting for ever.
 */
const WAITING_FOR_HOLD_KEY = `SELECT pid FROM pg_locks
  WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = ${HOLD_KEY} AND objsubid = 1
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

interface Wire {
  n: string;
  s: number;
  e: unknown[];
}

describe('PostgreSQL store: notifications sent inside the write transaction', { skip: unavailable ?? false }, () => {
  let db: TestSchema;
  let admin: pg.Client;
  /** Every payload on the store's channel, as a listener sees them. */
  const wire: Wire[] = [];
  let busA: PgEventBus;
  let busB: PgEventBus;
  let storeA: MailStore;
  let storeB: MailStore;

  before(async () => {
    db = await createTestSchema();
    busA = new PgEventBus({ url: db.url, schema: db.schema, reconnectDelayMs: 20 });
    busB = new PgEventBus({ url: db.url, schema: db.schema, reconnectDelayMs: 20 });
    await busA.start();
    await busB.start();
    storeA = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events: busA });
    storeB = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events: busB });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    // At COMMIT (deferred): a 'Held…' mailbox waits for the test's advisory lock, a 'Doomed…' one fails.
    await admin.query(`
      CREATE FUNCTION ${db.schema}.commit_gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.path LIKE 'Held%' THEN PERFORM pg_advisory_xact_lock(${HOLD_KEY}); END IF;
        IF NEW.path LIKE 'Doomed%' THEN RAISE EXCEPTION 'refused at commit'; END IF;
        RETURN NULL;
      END $$`);
    await admin.query(`CREATE CONSTRAINT TRIGGER commit_gate AFTER INSERT ON ${db.schema}.mailbox DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${db.schema}.commit_gate()`);
    admin.on('notification', (msg) => {
      if (msg.channel === channelOf(db.schema) && msg.payload) wire.push(JSON.parse(msg.payload) as Wire);
    });
    await admin.query(`LISTEN ${admin.escapeIdentifier(channelOf(db.schema))}`);
  });

  after(async () => {
    await storeA?.close();
    await storeB?.close();
    await busA?.close();
    await busB?.close();
    await admin?.end();
    await db?.drop();
    await dropSharedDatabase();
  });

  async function account(): Promise<string> {
    const name = `u${randomBytes(4).toString('hex')}@example.org`;
    await storeB.ensureAccount(name);
    return name;
  }

  function recordB(name: string): { events: AccountEvent[]; resyncs: ResyncEvent[] } {
    const events: AccountEvent[] = [];
    const resyncs: ResyncEvent[] = [];
    busB.onAccount(name, (e) => events.push(e));
    busB.onResync((e) => resyncs.push(e));
    return { events, resyncs };
  }

  const created = (events: AccountEvent[], p: string): boolean => events.some((e) => e.type === 'mailbox-created' && e.path === p);

  /** Every number node `n` used up to its highest so far has been on the wire (as itself or a stand-in). */
  function noHole(n: string): boolean {
    const seqs = new Set(wire.filter((w) => w.n === n).map((w) => w.s));
    if (seqs.size === 0) return false;
    const high = Math.max(...seqs);
    for (let s = Math.min(...seqs); s <= high; s++) if (!seqs.has(s)) return false;
    return true;
  }

  /** A mailbox-created of `p` was on the wire. */
  const onWire = (p: string): boolean => wire.some((w) => w.e.some((e) => (e as { path?: string }).path === p));

  it('a change committed by a node killed right after the commit reaches the other nodes', async () => {
    const name = await account();
    const { events, resyncs } = recordB(name);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'pg-notify-child.ts'), db.url, db.schema, name, 'Committed'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    assert.equal(await withDeadline(exited, 30_000, 'the writing node to be killed'), 'SIGKILL', `the child wrote and was killed: ${err}`);
    assert.equal(out, 'committed\n', 'the write was acknowledged before the kill');
    assert.ok(await storeB.findMailboxByPath(name, 'Committed'), 'the change is in the store');
    await waitFor('node B to hear of the mailbox the killed node created', () => created(events, 'Committed'), WAIT_MS);
    assert.deepEqual(resyncs, []);
  });

  it('transactions of one node that commit out of order cause no resync', async () => {
    const [first, second] = [await account(), await account()];
    const b1 = recordB(first);
    const b2 = recordB(second);
    await admin.query('SELECT pg_advisory_lock($1)', [HOLD_KEY]);
    let held: Promise<unknown> | undefined;
    try {
      // The first write takes its numbers and is held at COMMIT; the second, of another account,
      // takes the next ones and commits first.
      held = storeA.createMailbox(first, { path: 'Held' });
      await waitFor('the first write to wait at COMMIT', async () => (await admin.query(WAITING_FOR_HOLD_KEY)).rowCount === 1, WAIT_MS);
      await storeA.createMailbox(second, { path: 'Quick' });
      await waitFor('node B to hear of the second write', () => created(b2.events, 'Quick'), WAIT_MS);
      assert.equal(created(b1.events, 'Held'), false, 'the held write is not committed yet');
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [HOLD_KEY]);
    }
    await held;
    await waitFor('node B (and the test’s listener) to hear of the first write', () => created(b1.events, 'Held') && onWire('Held'), WAIT_MS);
    const fromA = wire.filter((w) => w.n === busA.nodeId).map((w) => w.s);
    assert.ok(fromA.some((s, i) => i > 0 && s < fromA[i - 1]!), `the numbers arrived out of order: ${fromA.join(',')}`);
    assert.ok(noHole(busA.nodeId), 'every number of node A arrived');
    assert.deepEqual(b1.resyncs, [], 'no resync');
  });

  it('a write rolled back at COMMIT causes no event and no resync', async () => {
    const name = await account();
    const { events, resyncs } = recordB(name);
    await storeA.createMailbox(name, { path: 'Before' });
    await assert.rejects(storeA.createMailbox(name, { path: 'Doomed' }), /refused at commit/);
    assert.equal(await storeB.findMailboxByPath(name, 'Doomed'), null);
    await storeA.createMailbox(name, { path: 'After' });
    await waitFor('node A’s rolled-back numbers to be announced', () => onWire('After') && noHole(busA.nodeId), WAIT_MS);
    // Barrier: B hears A's later write after everything A sent before it.
    await storeA.createMailbox(name, { path: 'Barrier' });
    await waitFor('node B to hear of the later writes', () => created(events, 'Barrier'), WAIT_MS);
    assert.equal(created(events, 'Doomed'), false, 'no event of the rolled-back write');
    assert.ok(created(events, 'After'));
    assert.deepEqual(resyncs, [], 'no resync');
  });

  it('a write whose COMMIT outcome the node cannot know makes the other nodes resync its account', async () => {
    const name = await account();
    const { events, resyncs } = recordB(name);
    await admin.query('SELECT pg_advisory_lock($1)', [HOLD_KEY]);
    let outcome: Promise<unknown>;
    try {
      outcome = storeA.createMailbox(name, { path: 'Held unknown' });
      const waiting = await waitFor(
        'the write to wait at COMMIT',
        async () => (await admin.query<{ pid: number }>(WAITING_FOR_HOLD_KEY)).rows[0],
        WAIT_MS,
      );
      // Its connection ends while COMMIT is under way: the node gets no answer it can trust.
      await admin.query('SELECT pg_terminate_backend($1)', [waiting.pid]);
      await assert.rejects(outcome);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [HOLD_KEY]);
    }
    await waitFor('node B to resync the account', () => resyncs.some((r) => r.account === name), WAIT_MS);
    assert.deepEqual(resyncs, [{ type: 'resync', account: name, reason: 'commit outcome unknown' }]);
    assert.equal(created(events, 'Held unknown'), false);
  });
});
