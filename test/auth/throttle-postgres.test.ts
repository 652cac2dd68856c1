// The login throttle with its counts in PostgreSQL (the users database of storage.engine=postgres):
// two LoginThrottle instances on one schema stand for two nodes. Parallel guesses spread over both
// get one allowance; blocks, the owner's success and the quiet window behave as in memory; a place
// taken by a node that died is forgotten after two leases; rows holding nothing are swept. Skipped
// without PostgreSQL, a failure under CI=true.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, type Reservation } from '../../src/auth/throttle/login-throttle.js';
import { PostgresThrottleLedger } from '../../src/auth/throttle/postgres-ledger.js';
import { throttleSettings } from '../../src/auth/throttle/settings.js';
import { UsersPg } from '../../src/auth/users/postgres-database.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';

const unavailable = await postgresUnavailable();

const settings = {
  userFreeFailures: 2,
  userBlockAfter: 5,
  addressFreeFailures: 4,
  addressBlockAfter: 12,
  baseDelayMs: 0,
  maxDelayMs: 0,
  blockMs: 60_000,
  windowMs: 600_000,
  maxEntries: 100,
  ipv6Prefix: 64,
};

/** Two nodes' throttles on one fresh schema, with one clock the test moves. */
async function cluster(overrides: Partial<typeof settings> = {}) {
  const schema = await createTestSchema();
  const dbs = [await UsersPg.open({ url: schema.url, schema: schema.schema }), await UsersPg.open({ url: schema.url, schema: schema.schema })];
  let t = 1_000_000;
  const now = (): number => t;
  const ledgers: PostgresThrottleLedger[] = [];
  const nodes = dbs.map(
    (db) =>
      new LoginThrottle({ ...settings, ...overrides }, now, () => undefined, {
        store: (s) => {
          const ledger = new PostgresThrottleLedger(db, s, now);
          ledgers.push(ledger);
          return ledger;
        },
        onStoreError: (err) => assert.fail(`store failed: ${String(err)}`),
      }),
  );
  return {
    nodes: nodes as [LoginThrottle, LoginThrottle],
    ledgers,
    db: dbs[0]!,
    advance: (ms: number) => (t += ms),
    dispose: async () => {
      for (const n of nodes) await n.close();
      for (const db of dbs) await db.close();
      await schema.drop();
    },
  };
}

async function reserve(t: LoginThrottle, peer: string, user?: string): Promise<Reservation> {
  const admission = await t.reserve({ peer, user, protocol: 'imap' });
  assert.ok(admission.ok, `reservation for ${user ?? '(no name)'} from ${peer} refused: ${admission.ok ? '' : admission.refusal}`);
  return admission.reservation;
}

async function fail(t: LoginThrottle, peer: string, user: string | undefined, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await (await reserve(t, peer, user)).failed();
}

async function refusal(t: LoginThrottle, peer: string, user?: string): Promise<string | undefined> {
  const admission = await t.reserve({ peer, user, protocol: 'smtp' });
  if (admission.ok) {
    await admission.reservation.failed().catch(() => undefined);
    return undefined;
  }
  return admission.refusal;
}

/** A reservation given back without a verdict, awaited until the store has it (released() does not wait). */
async function probe(t: LoginThrottle, peer: string, user?: string): Promise<string | undefined> {
  const admission = await t.reserve({ peer, user, protocol: 'smtp' });
  if (!admission.ok) return admission.refusal;
  admission.reservation.released();
  return undefined;
}

if (unavailable) {
  describe('login throttle on PostgreSQL', () => {
    it('needs a PostgreSQL server', { skip: unavailable }, () => undefined);
  });
} else {
  after(dropSharedDatabase);

  describe('login throttle on PostgreSQL', () => {
    it('parallel guesses spread over two nodes get one allowance: the rest wait, then are refused once the key blocks', async () => {
      const c = await cluster();
      try {
        let granted = 0;
        const outcomes = await Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            const admission = await c.nodes[i % 2]!.reserve({ peer: '10.0.0.1', user: 'alice', protocol: 'imap' });
            if (!admission.ok) return admission.refusal;
            granted += 1;
            await admission.reservation.failed();
            return 'checked';
          }),
        );
        assert.equal(granted, settings.userBlockAfter);
        assert.equal(outcomes.filter((o) => o === 'blocked').length, 60 - settings.userBlockAfter);
      } finally {
        await c.dispose();
      }
    });

    it('a block counted on one node refuses on the other; other names and the owner elsewhere go on; the block ends', async () => {
      const c = await cluster();
      const [a, b] = c.nodes;
      try {
        await fail(a, '10.0.0.1', 'alice', 3);
        await fail(b, '10.0.0.1', 'alice', 2);
        assert.equal(await refusal(a, '10.0.0.1', 'alice'), 'blocked');
        assert.equal(await refusal(b, '10.0.0.1', 'ALICE'), 'blocked', 'names compare case-insensitively');
        assert.equal(await probe(b, '10.0.0.1', 'bob'), undefined, 'a colleague behind the same address');
        assert.equal(await probe(a, '10.0.0.2', 'alice'), undefined, 'the owner from another address');
        c.advance(60_001);
        assert.equal(await probe(b, '10.0.0.1', 'alice'), undefined, 'the block ends');
      } finally {
        await c.dispose();
      }
    });

    it('failures against many names on both nodes block the address; a node learns of the block from a statement', async () => {
      const c = await cluster();
      const [a, b] = c.nodes;
      try {
        for (let i = 0; i < 12; i++) await fail(i % 2 === 0 ? a : b, '10.0.0.1', `user${i}`, 1);
        assert.equal(await refusal(a, '10.0.0.1', 'alice'), 'blocked');
        assert.equal(await refusal(b, '10.0.0.1'), 'blocked');
        assert.equal(a.addressBlocked('10.0.0.1'), true);
        assert.equal(b.addressBlocked('10.0.0.1'), true);
        assert.equal(await probe(a, '10.0.0.9', 'alice'), undefined, 'other addresses unaffected');
        c.advance(60_001);
        assert.equal(a.addressBlocked('10.0.0.1'), false);
        assert.equal(await probe(b, '10.0.0.1', 'alice'), undefined);
      } finally {
        await c.dispose();
      }
    });

    it("a success clears the pair and takes the owner's failures off the address, but not other names'", async () => {
      const c = await cluster({ addressBlockAfter: 6 });
      const [a, b] = c.nodes;
      try {
        await fail(a, '10.0.0.1', 'alice', 4);
        await fail(b, '10.0.0.1', 'bob', 1);
        const place = await reserve(b, '10.0.0.1', 'alice');
        place.succeeded();
        // The success is not waited for by the login; wait here until the row shows it.
        await waitFor(async () => (await c.db.get<{ failures: number }>("SELECT failures FROM login_throttle WHERE key = 'a:10.0.0.1'"))?.failures === 1);
        await fail(a, '10.0.0.1', 'carol', 4);
        assert.equal(await probe(b, '10.0.0.1', 'erin'), undefined);
        await fail(b, '10.0.0.1', 'dave', 1);
        assert.equal(await refusal(a, '10.0.0.1', 'frank'), 'blocked');
      } finally {
        await c.dispose();
      }
    });

    it('failures are forgotten after a quiet window', async () => {
      const c = await cluster();
      const [a, b] = c.nodes;
      try {
        await fail(a, '10.0.0.1', 'alice', 4);
        c.advance(600_001);
        await fail(b, '10.0.0.1', 'alice', 4);
        assert.equal(await probe(a, '10.0.0.1', 'alice'), undefined);
      } finally {
        await c.dispose();
      }
    });

    it('a place a dead node never gave back is forgotten after two leases, even on a key in steady use', async () => {
      const c = await cluster({ userBlockAfter: 2 });
      const [a, b] = c.nodes;
      const inFlight = async (key: string): Promise<number | undefined> =>
        (await c.db.get<{ n: number }>('SELECT in_flight + in_flight_prev AS n FROM login_throttle WHERE key = $1', [key]))?.n;
      try {
        // Node a "dies" holding a place: its reservation is never settled.
        await reserve(a, '10.0.0.1', 'alice');
        await (await reserve(b, '10.0.0.1', 'alice')).failed();
        const ledger = c.ledgers[1]!;
        const keys = [
          { id: 'a:10.0.0.1', scope: 'address' as const, freeFailures: 4, blockAfter: 12 },
          { id: 'u:a:10.0.0.1 alice', scope: 'address+user' as const, freeFailures: 2, blockAfter: 2 },
        ];
        const full = await ledger.reserve(keys, c.advance(0));
        assert.deepEqual(full, { kind: 'full', key: 'u:a:10.0.0.1 alice', inFlight: 1 });
        assert.equal(await inFlight('a:10.0.0.1'), 1, 'the place taken on the address alone was given back');
        // Colleagues behind the address keep its row busy, half a lease apart, for two and a half leases.
        const lease = 120_000;
        for (let step = 0; step < 5; step++) {
          c.advance(lease / 2);
          assert.equal(await probe(b, '10.0.0.1', 'bob'), undefined);
          await waitFor(async () => (await inFlight('u:a:10.0.0.1 bob')) === 0);
        }
        const later = await ledger.reserve(keys, c.advance(0));
        assert.equal(later.kind, 'reserved');
        assert.equal(await inFlight('a:10.0.0.1'), 1, "only the new place is counted on the address: the dead node's is gone");
        assert.equal(await inFlight('u:a:10.0.0.1 alice'), 1);
      } finally {
        await c.dispose();
      }
    });

    it('rows that hold nothing any more are swept', async () => {
      const c = await cluster();
      const [a] = c.nodes;
      try {
        await fail(a, '10.0.0.1', 'alice', 1);
        await probe(a, '10.0.0.2', 'bob');
        await waitFor(async () => (await c.db.get<{ n: number }>("SELECT count(*)::int AS n FROM login_throttle WHERE in_flight + in_flight_prev > 0"))?.n === 0);
        assert.equal(await c.ledgers[0]!.sweep(), 0, 'nothing is idle yet');
        c.advance(2 * 120_000 + 1);
        // The failure is still within the quiet window: only the clean address's rows go.
        assert.equal(await c.ledgers[0]!.sweep(), 2);
        c.advance(600_001);
        assert.equal(await c.ledgers[0]!.sweep(), 2);
        assert.equal((await c.db.get<{ n: number }>('SELECT count(*)::int AS n FROM login_throttle'))?.n, 0);
      } finally {
        await c.dispose();
      }
    });
  });
}

/** Polls a condition under a deadline (a release is sent without the login waiting for it). */
async function waitFor(check: () => Promise<boolean>, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) assert.fail('condition not met before the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
