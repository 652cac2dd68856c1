// Durability: a process appending in a loop is SIGKILLed mid-stream. After reopening, every append
// that had returned is present and byte-identical (small ones stored inside store.sqlite, large
// ones as blob files), no message points at a missing blob, and UIDs
// are unique, increasing, and keep increasing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore, openSqliteStoreFiles } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Ack {
  emailId: string;
  uid: number;
  sha256: string;
}

function runAndKill(dataDir: string, killAfterAcks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'crash-child.ts'), dataDir], {
      cwd: path.resolve(here, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^ACK (\S+) (\d+) ([0-9a-f]{64})$/.exec(line);
        if (m) acks.push({ emailId: m[1]!, uid: Number(m[2]), sha256: m[3]! });
        if (acks.length >= killAfterAcks && !killed) {
          killed = true;
          // Kill mid-stream: the child is inside its next append right now.
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('crash safety of the SQLite store', () => {
  it('gives unique UIDs to two processes appending to one mailbox at once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-multi-'));
    try {
      const [a, b] = await Promise.all([runAndKill(dataDir, 20), runAndKill(dataDir, 20)]);
      const acks = [...a, ...b];
      const uids = acks.map((x) => x.uid);
      assert.equal(new Set(uids).size, uids.length, 'no UID handed out twice');
      for (const list of [a, b]) for (let i = 1; i < list.length; i++) assert.ok(list[i]!.uid > list[i - 1]!.uid);
      const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        const inbox = (await store.findMailboxByPath('crash', 'INBOX'))!;
        const present = new Set((await store.snapshot('crash', inbox.id)).messages.map((m) => m.emailId));
        for (const ack of acks) assert.ok(present.has(ack.emailId));
      } finally {
        await store.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps every acknowledged append after SIGKILL, with blobs and increasing UIDs', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-crash-'));
    try {
      const first = await runAndKill(dataDir, 25);
      const second = await runAndKill(dataDir, 15);
      const acks = [...first, ...second];
      assert.ok(acks.length >= 40);
      const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        const inbox = (await store.findMailboxByPath('crash', 'INBOX'))!;
        const snap = await store.snapshot('crash', inbox.id);
        const uids = snap.messages.map((m) => m.uid);
        for (let i = 1; i < uids.length; i++) assert.ok(uids[i]! > uids[i - 1]!, 'UIDs strictly increase');
        const byEmail = new Map(snap.messages.map((m) => [m.emailId, m.uid]));
        for (const ack of acks) {
          assert.equal(byEmail.get(ack.emailId), ack.uid, `acknowledged ${ack.emailId} is present with its UID`);
          const bytes = await store.readMessage('crash', ack.emailId);
          assert.ok(bytes, `blob of ${ack.emailId} exists`);
          assert.equal(createHash('sha256').update(bytes).digest('hex'), ack.sha256);
        }
        for (const m of snap.messages) assert.ok(await store.readMessage('crash', m.emailId), `row ${m.uid} has its blob`);
        assert.ok(second[0]!.uid > first[first.length - 1]!.uid, 'UIDs keep increasing across the crash');
        const next = await store.append('crash', { mailboxIds: [inbox.id], bytes: Buffer.from('Subject: after\r\n\r\nx') });
        assert.ok(next.placements[0]!.uid > Math.max(...uids));
      } finally {
        await store.close();
      }
      // Both ways of storing a blob were acknowledged and survived: rows of store.sqlite, and files.
      const files = openSqliteStoreFiles(dataDir)!;
      try {
        const inline = new Set(files.db.prepare('SELECT hash FROM blob_inline').pluck().all() as string[]);
        assert.ok(acks.some((a) => inline.has(a.sha256)), 'small messages were stored inline');
        assert.ok(acks.some((a) => !inline.has(a.sha256) && files.blobs.files.hasFileSync(a.sha256)), 'large messages were stored as files');
      } finally {
        files.db.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
