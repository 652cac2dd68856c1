// Several nodes on one PostgreSQL database: three processes, each with its own store and pool,
// append to and flag messages of the same mailbox at once while this process reads CONDSTORE
// deltas. No UID or MODSEQ is handed out twice,
// UIDNEXT/HIGHESTMODSEQ agree with the messages, and neither a reader following changedSince (IMAP
// CONDSTORE) nor one following Email/changes (JMAP, a few changes per call) misses a change (a
// modseq is never committed after a higher one was visible).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { createTestDatabase, dropTemplate, postgresUnavailable } from '../support/postgres.js';
import { withDeadline } from '../support/wait.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const unavailable = await postgresUnavailable();
const ACCOUNT = 'shared@example.org';
const NODES = 3;
const PER_NODE = 30;

interface Change {
  op: 'append' | 'flag';
  uid: number;
  modseq: number;
}

function runNode(url: string, name: string): Promise<Change[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'pg-writer-child.ts'), url, ACCOUNT, name, String(PER_NODE)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`node ${name} exited with ${code}: ${err}`));
      else resolve(out.trim().split('\n').map((l) => JSON.parse(l) as Change));
    });
  });
}

describe('PostgreSQL store: concurrent writers on several nodes', () => {
  after(dropTemplate);

  it('hands out unique, increasing UIDs and modseqs to three processes appending and flagging one mailbox', { skip: unavailable ?? false }, async () => {
    const db = await createTestDatabase();
    const store = await openPostgresStore({ url: db.url, poolSize: 2, events: new MemoryEventBus() });
    try {
      await store.ensureAccount(ACCOUNT);
      const inbox = (await store.findMailboxByPath(ACCOUNT, 'INBOX'))!;
      const start = inbox.highestModSeq;

      // The reader: follows changedSince from the highest modseq it has seen, as an IMAP session
      // would. If a lower modseq could commit after a higher one was visible, it would miss it.
      let writing = true;
      const seen = new Map<number, number>();
      const reader = (async () => {
        let since = start;
        while (writing) {
          const delta = await store.changedSince(ACCOUNT, inbox.id, since);
          for (const m of delta.changed) {
            seen.set(m.uid, Math.max(seen.get(m.uid) ?? 0, m.modseq));
            since = Math.max(since, m.modseq);
          }
        }
        return since;
      })();
      // The JMAP reader: Email/changes from its last state, a few changes per call, as a client
      // that pages would. What it saw created or updated must end up being every email.
      const startState = (await store.getStates(ACCOUNT)).Email;
      const jmapSeen = new Set<string>();
      const follow = async (from: string): Promise<string> => {
        let state = from;
        for (let more = true; more; ) {
          const r = await store.changes(ACCOUNT, 'Email', state, 7);
          for (const id of [...r.created, ...r.updated]) jmapSeen.add(id);
          assert.deepEqual(r.destroyed, []);
          state = r.newState;
          more = r.hasMoreChanges;
        }
        return state;
      };
      const jmapReader = (async () => {
        let state = startState;
        while (writing) state = await follow(state);
        return state;
      })();

      const perNode = await withDeadline(Promise.all(Array.from({ length: NODES }, (_, i) => runNode(db.url, `n${i}`))), 120_000, 'the writer nodes');
      writing = false;
      await reader;
      const jmapState = await jmapReader;

      const all = perNode.flat();
      const appends = all.filter((c) => c.op === 'append');
      const flags = all.filter((c) => c.op === 'flag');
      assert.equal(appends.length, NODES * PER_NODE);
      assert.equal(flags.length, NODES * PER_NODE);
      const uids = appends.map((c) => c.uid).sort((a, b) => a - b);
      assert.deepEqual(uids, Array.from({ length: NODES * PER_NODE }, (_, i) => i + 1), 'UIDs 1..n, each once');
      const modseqs = all.map((c) => c.modseq);
      assert.equal(new Set(modseqs).size, modseqs.length, 'every change has its own modseq');

      const final = await store.snapshot(ACCOUNT, inbox.id);
      assert.equal(final.mailbox.uidNext, NODES * PER_NODE + 1);
      assert.equal(final.mailbox.highestModSeq, Math.max(...modseqs));
      assert.equal(final.messages.length, NODES * PER_NODE);
      for (const m of final.messages) assert.ok(m.flags.includes('\\Flagged'), `uid ${m.uid} flagged`);

      // A reader that followed the deltas has every message at its final modseq, once the last
      // delta is read: nothing committed below a modseq it had already passed.
      const last = await store.changedSince(ACCOUNT, inbox.id, Math.max(start, ...seen.values()));
      for (const m of last.changed) seen.set(m.uid, m.modseq);
      for (const m of final.messages) assert.equal(seen.get(m.uid), m.modseq, `reader saw uid ${m.uid} at modseq ${m.modseq}`);

      // JMAP: the state the reader reached, caught up once more, is the account's, and every email
      // was reported to it.
      assert.equal(await follow(jmapState), (await store.getStates(ACCOUNT)).Email);
      assert.deepEqual([...jmapSeen].sort(), final.messages.map((m) => m.emailId).sort(), 'Email/changes reported every email');
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
