// The outbound worker relays a queued message from the store a chunk at a time: the store it is given
// refuses whole reads (test/support/bounded-reads.ts), and a 5 MiB message whose lines starting with
// "." (a lone "." among them, which would end DATA unstuffed) fall exactly on the stores' 256 KiB
// chunk boundaries, or with their CRLF split by one, reaches a real SMTP sink byte-exact, on SQLite
// and on PostgreSQL. A bounce of it returns its headers alone (it is over the DSN window). Bytes that
// vanish mid-DATA end the connection without the terminating dot: the hop never takes a cut message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { MailStore } from '../../src/store/types.js';
import { OutboundWorker } from '../../src/delivery/outbound/worker.js';
import type { DsnRecipientReport, ReportContext } from '../../src/delivery/dsn.js';
import { silentLogger } from '../../src/log/logger.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { boundedReads, vanishingReads } from '../support/bounded-reads.js';
import { createTestDatabase, dropTemplate, postgresUnavailable, type TestDatabase } from '../support/postgres.js';

const CHUNK = 256 * 1024;
const SIZE = 5 * 1024 * 1024;

/**
 * 5 MiB of CRLF lines with, at every chunk boundary B, one of: "\r\n" + "." at B; "\r" before B and
 * "\n." from B; a lone "." line at B; "\r\n." before B and its "\r\n" from B.
 */
function dottedMessage(): Buffer {
  const head = Buffer.from('From: <alice@here.example>\r\nTo: <bob@far.example>\r\nSubject: dots on boundaries\r\nMessage-ID: <dots@here.example>\r\n\r\n', 'latin1');
  const buf = Buffer.alloc(SIZE, 'a');
  head.copy(buf);
  const nearBoundary = (p: number): boolean => Math.abs(p - Math.round(p / CHUNK) * CHUNK) < 8;
  for (let p = head.length + 70; p < SIZE - 2; p += 80) if (!nearBoundary(p) && !nearBoundary(p + 1)) buf.write('\r\n', p, 'latin1');
  const patterns = [
    { at: -2, text: '\r\n.x' },
    { at: -1, text: '\r\n.y' },
    { at: -2, text: '\r\n.\r\n' },
    { at: -3, text: '\r\n.\r\n' },
  ];
  for (let k = 1; k * CHUNK < SIZE - 8; k++) {
    const { at, text } = patterns[k % patterns.length]!;
    buf.write(text, k * CHUNK + at, 'latin1');
  }
  buf.write('\r\n', SIZE - 2, 'latin1');
  return buf;
}

interface Report {
  recipients: DsnRecipientReport[];
  original: Buffer;
  context: ReportContext;
}

function engineSuite(name: string, open: () => Promise<{ store: MailStore; close(): Promise<void> }>, skip: string | false): void {
  describe(`outbound relay streamed from the store (${name})`, { skip }, () => {
    let sink: SmtpSink;
    let store: MailStore;
    let close: () => Promise<void>;
    const reports: Report[] = [];
    let worker: OutboundWorker;
    let cutWorker: OutboundWorker | undefined;

    before(async () => {
      sink = await SmtpSink.start({ maxData: 8 * 1024 * 1024, rejectPrefix: 'nobody' });
      ({ store, close } = await open());
      worker = new OutboundWorker({
        store: boundedReads(store),
        logger: silentLogger(),
        hostname: 'here.example',
        routes: { 'far.example': { host: '127.0.0.1', port: sink.port } },
        mtaSts: false,
        retryDelaysMs: [],
        timeoutMs: 5000,
        report: async (_sender, recipients, original, _arrival, context) => {
          reports.push({ recipients, original, context });
        },
      });
    });

    after(async () => {
      await worker.stop();
      await cutWorker?.stop();
      await close();
      await sink.close();
    });

    test('a 5 MiB message with dot lines on every 256 KiB boundary arrives byte-exact', async () => {
      const bytes = dottedMessage();
      const item = await store.enqueueOutbound({ sender: 'alice@here.example', recipients: ['bob@far.example'], bytes });
      // The premise: the store hands the message out in chunks that end on the 256 KiB boundaries.
      const sizes: number[] = [];
      for await (const chunk of (await store.openOutbound(item.id))!.chunks()) sizes.push(chunk.length);
      assert.ok(sizes.length > 16 && sizes.slice(0, -1).every((n) => n === CHUNK), `chunks of ${[...new Set(sizes)].join(', ')} bytes`);
      assert.equal(await worker.runOnce(), 1);
      assert.equal(sink.messages.length, 1);
      const got = sink.messages[0]!.data;
      assert.equal(got.length, bytes.length);
      assert.ok(got.equals(bytes), 'the sink got the message byte-exact');
      assert.match(sink.messages[0]!.mail, new RegExp(`SIZE=${bytes.length}`));
    });

    test('a refused recipient of the big message with RET=FULL gets its headers back, not the whole message', async () => {
      const bytes = dottedMessage();
      reports.length = 0;
      await store.enqueueOutbound({ sender: 'alice@here.example', recipients: [{ address: 'nobody@far.example', notify: ['FAILURE'] }], envelope: { ret: 'FULL' }, bytes });
      assert.equal(await worker.runOnce(), 1);
      assert.equal(reports.length, 1);
      const [report] = reports;
      assert.equal(report!.recipients[0]!.action, 'failed');
      assert.equal(report!.context.ret, undefined);
      assert.ok(report!.original.length <= CHUNK);
      assert.ok(report!.original.toString('latin1').startsWith('From: <alice@here.example>\r\n'));
      assert.ok(report!.original.includes('Subject: dots on boundaries'));
    });

    test('bytes gone mid-DATA: the connection is dropped without the final dot, nothing arrives, the recipient waits', async () => {
      cutWorker = new OutboundWorker({
        store: boundedReads(vanishingReads(store, 2)),
        logger: silentLogger(),
        hostname: 'here.example',
        routes: { 'far.example': { host: '127.0.0.1', port: sink.port } },
        mtaSts: false,
        retryDelaysMs: [3_600_000],
        timeoutMs: 5000,
        report: async () => undefined,
      });
      const before = sink.messages.length;
      const item = await store.enqueueOutbound({ sender: 'alice@here.example', recipients: ['carol@far.example'], bytes: dottedMessage() });
      assert.equal(await cutWorker.runOnce(), 1);
      assert.equal(sink.messages.length, before, 'the sink took no message');
      const after = (await store.getOutbound(item.id))!;
      assert.equal(after.status, 'queued');
      assert.equal(after.recipients[0]!.status, 'pending');
      assert.equal(after.attempts, 1);
    });
  });
}

engineSuite(
  'SQLite',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-outbound-stream-'));
    const events = new MemoryEventBus();
    const store = await openSqliteStore({ dataDir: dir, events, logger: silentLogger() });
    return {
      store,
      async close() {
        await store.close();
        await events.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  false,
);

const unavailable = await postgresUnavailable();
engineSuite(
  'PostgreSQL',
  async () => {
    const db: TestDatabase = await createTestDatabase();
    const events = new MemoryEventBus();
    const store = await openPostgresStore({ url: db.url, poolSize: 4, events });
    return {
      store,
      async close() {
        await store.close();
        await events.close();
        await db.drop();
        await dropTemplate();
      },
    };
  },
  unavailable ?? false,
);
