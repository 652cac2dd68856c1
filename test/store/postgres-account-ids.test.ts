// Two nodes on one PostgreSQL database (two stores, each with its own pool and event bus, so nothing
// reaches node B but the database): node A removes an account and creates it again (a new row id);
// node B, which had used the account before, must at once see and write the new account, not act on
// the id it resolved before.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { MailStore } from '../../src/store/types.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';
import { message } from './fixtures.js';

const unavailable = await postgresUnavailable();
const ACCOUNT = 'recreated@example.org';

async function inboxId(store: MailStore): Promise<string> {
  const inbox = await store.findMailboxByPath(ACCOUNT, 'INBOX');
  assert.ok(inbox, 'INBOX exists');
  return inbox.id;
}

describe('PostgreSQL store: an account removed and created again on another node', { skip: unavailable ?? false }, () => {
  after(dropSharedDatabase);

  it('is read and written under its new id by a node that used the old one', async () => {
    const db = await createTestSchema();
    const nodeA = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events: new MemoryEventBus() });
    const nodeB = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events: new MemoryEventBus() });
    try {
      await nodeA.ensureAccount(ACCOUNT);
      // Node B uses the account: it resolves (and may remember) its id.
      const oldInbox = await inboxId(nodeB);
      await nodeB.append(ACCOUNT, { mailboxIds: [oldInbox], bytes: message({ subject: 'before' }) }, { delivery: true });
      assert.equal((await nodeB.snapshot(ACCOUNT, oldInbox)).messages.length, 1);

      await nodeA.deleteAccount(ACCOUNT);
      await nodeA.ensureAccount(ACCOUNT);

      // Reads on node B: the new account's mailboxes, not an empty list.
      const listed = await nodeB.listMailboxes(ACCOUNT);
      assert.ok(listed.some((m) => m.path === 'INBOX'), `node B lists the new INBOX (got ${listed.length} mailboxes)`);
      const newInbox = await inboxId(nodeB);
      assert.notEqual(newInbox, oldInbox);

      // Writes on node B: a delivery and an append land in the new account.
      await nodeB.append(ACCOUNT, { mailboxIds: [newInbox], bytes: message({ subject: 'delivered' }) }, { delivery: true });
      await nodeB.append(ACCOUNT, { mailboxIds: [newInbox], bytes: message({ subject: 'appended' }) });
      await nodeB.createMailbox(ACCOUNT, { path: 'Projects' });
      await nodeB.setSetting(ACCOUNT, 'pref', 'x');

      // Both nodes agree on what the new account holds.
      for (const node of [nodeA, nodeB]) {
        const snap = await node.snapshot(ACCOUNT, newInbox);
        assert.equal(snap.messages.length, 2);
        const paths = (await node.listMailboxes(ACCOUNT)).map((m) => m.path);
        assert.ok(paths.includes('Projects'));
        assert.equal((await node.getSetting(ACCOUNT, 'pref')).value, 'x');
      }
      const states = await nodeB.getStates(ACCOUNT);
      assert.deepEqual(states, await nodeA.getStates(ACCOUNT));

      // And once more the other way round, while node A remembers the id too.
      await nodeB.deleteAccount(ACCOUNT);
      await nodeB.ensureAccount(ACCOUNT);
      assert.equal((await nodeA.snapshot(ACCOUNT, await inboxId(nodeA))).messages.length, 0);
      await nodeA.append(ACCOUNT, { mailboxIds: [await inboxId(nodeA)], bytes: message({ subject: 'again' }) }, { delivery: true });
      assert.equal((await nodeB.snapshot(ACCOUNT, await inboxId(nodeB))).messages.length, 1);
    } finally {
      await nodeA.close();
      await nodeB.close();
      await db.drop();
    }
  });
});
