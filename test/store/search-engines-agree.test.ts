// The SQLite and PostgreSQL engines give identical answers to IMAP SEARCH/SORT and JMAP Email/query:
// one corpus appended in the same order to both (so UIDs match), then every criterion, combination
// and sort key of the search AST asked of each, the answers compared (JMAP ids through the message
// each names). The contract suites check answers known in advance; this checks the many the
// contract does not spell out, including needles with LIKE's wildcards and backslash.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MailStore } from '../../src/store/types.js';
import type { SearchCriteria, SortComparator } from '../../src/store/api/search.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { message, MULTIPART } from './fixtures.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';

const unavailable = await postgresUnavailable();
const USER = 'erin@example.org';

/** The corpus: [bytes, flags, receivedAt]. Varied headers, encodings, threads, sizes and needles. */
const CORPUS: Array<[Buffer, string[], string]> = [
  [message({ from: 'Zed Zebra <zed@example.org>', to: 'erin@example.org, Frank <frank@example.com>', subject: 'Quarterly numbers 100%', body: 'revenue grew 50% strongly_now', date: 'Wed, 01 Feb 2023 09:00:00 +0000', messageId: 'q1@x' }), ['\\Seen', 'Project_X'], '2023-02-01T09:00:00Z'],
  [message({ from: 'amy@example.org', subject: 'Re: Quarterly numbers 100%', body: 'pizza or sushi? path C:\\temp\\file', inReplyTo: 'q1@x', messageId: 'q2@x', extraHeaders: ['X-Priority: 1', 'Cc: "Gus O\'Neil" <gus@example.net>'], date: 'Thu, 02 Feb 2023 09:00:00 -0500' }), [], '2023-02-02T09:00:00Z'],
  [MULTIPART, ['\\Flagged', '$label1'], '2023-02-03T09:00:00Z'],
  [message({ from: '=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>', to: 'erin@example.org', subject: '=?utf-8?b?w4RyZ2VyIMO8YmVyIFN0cmHDn2U=?=', body: 'Grüße aus München, ＴＥＳＳＥＲＡ ﬁnal', date: 'Fri, 03 Feb 2023 23:30:00 -0800', messageId: 'de@x' }), ['\\Answered'], '2023-02-04T07:30:00Z'],
  [message({ from: 'bot@example.org', subject: '', body: 'x'.repeat(3000) + ' needle_in_haystack ' + 'y'.repeat(3000), messageId: 'big@x', extraHeaders: ['Bcc: hidden@example.org'] }), ['\\Deleted', '$junk'], '2023-01-15T00:00:00Z'],
  [Buffer.from('From: nodate@example.org\r\nTo: erin@example.org\r\nSubject: no date header\r\nMessage-ID: <nd@x>\r\n\r\nplain, with a_b and a%b and 10_000\r\n'), ['\\Draft'], '2023-02-05T12:00:00Z'],
  [message({ from: 'Zed Zebra <zed@example.org>', subject: 'Fwd: Re: Quarterly numbers 100%', body: 'forwarding', references: '<q1@x> <q2@x>', inReplyTo: 'q2@x', messageId: 'q3@x', date: 'Sat, 04 Feb 2023 08:00:00 +0000' }), ['\\Seen', '\\Flagged'], '2023-02-04T08:00:00Z'],
  [message({ from: '"ß Sharp" <s@example.org>', to: '"Zoë" <zoe@example.org>', subject: 'ΟΔΟΣ και οδός', body: 'Ǆemal ǅemal ǆemal', date: 'Sun, 05 Feb 2023 10:00:00 +0100', messageId: 'gr@x' }), [], '2023-02-05T09:00:00Z'],
];

const NEEDLES = ['', 'a', 'e', 'ab', '%', '_', '\\', '100%', '50%', 'a_b', 'a%b', '10_000', 'strongly_now', 'C:\\temp', "O'Neil", '"', 'needle_in', 'quarterly', 'QUARTERLY NUMBERS', 'café', 'CAFE', 'ärger', 'STRAßE', 'strasse', 'müller', 'grüße', 'tessera', 'FINAL', 'οδος', 'ǆemal', 'zoë', 'example', '@example.org', 'xxxxxxxxxx', 'yx', 'Re:', 'no date', 'nothing-matches-this'];
const FIELDS = ['from', 'to', 'cc', 'bcc', 'subject', 'body', 'text'] as const;
const HEADERS = ['subject', 'from', 'to', 'cc', 'bcc', 'message-id', 'x-priority', 'in-reply-to', 'references', 'date', 'content-type', 'x-absent'];
const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '\\Deleted', '\\Draft', '$label1', 'project_x', 'PROJECT_X', '$junk', 'Project%', '$absent'];
const DAYS = ['2023-01-01', '2023-01-15', '2023-02-01', '2023-02-02', '2023-02-03', '2023-02-04', '2023-02-05', '2023-02-06'];

function criteria(): SearchCriteria[] {
  const out: SearchCriteria[] = [{ kind: 'all' }, { kind: 'none' }];
  for (const value of NEEDLES) for (const field of FIELDS) out.push({ kind: 'text', field, value });
  for (const name of HEADERS) for (const value of ['', 'a', 'x', '1', 'quarterly', '%', 'q1@', 'Zed', 'ärger']) out.push({ kind: 'header', name, value });
  for (const flag of FLAGS) for (const present of [true, false]) out.push({ kind: 'flag', flag, present });
  for (const [i, day] of DAYS.entries()) {
    const d = new Date(`${day}T00:00:00Z`);
    const next = new Date(`${DAYS[i + 1] ?? '2023-03-01'}T00:00:00Z`);
    for (const kind of ['receivedAt', 'sentAt', 'savedAt'] as const) {
      out.push({ kind, before: d }, { kind, notBefore: d }, { kind, notBefore: d, before: next });
    }
  }
  // Every message's own size too, where > and >= part.
  for (const n of [0, 500, 7000, ...CORPUS.map(([bytes]) => bytes.length)]) out.push({ kind: 'size', larger: n }, { kind: 'size', smaller: n }, { kind: 'size', larger: n, smaller: n + 400 });
  for (const n of [1, 3, 5, 9, 100]) out.push({ kind: 'modseq', atLeast: n });
  out.push({ kind: 'uid', uids: [1, [3, 5], 8] }, { kind: 'uid', uids: [[6, 100]] });
  out.push({ kind: 'hasAttachment', value: true }, { kind: 'hasAttachment', value: false });
  for (const keyword of ['$seen', '$flagged', '$label1', 'project_x']) for (const mode of ['all', 'some', 'none'] as const) out.push({ kind: 'threadKeyword', keyword, mode });
  // Combinations, nested.
  out.push({ kind: 'and', of: [{ kind: 'text', field: 'text', value: 'quarterly' }, { kind: 'flag', flag: '\\Seen', present: false }] });
  out.push({ kind: 'or', of: [{ kind: 'text', field: 'from', value: 'zed' }, { kind: 'size', larger: 5000 }, { kind: 'header', name: 'x-priority', value: '' }] });
  out.push({ kind: 'not', of: { kind: 'or', of: [{ kind: 'flag', flag: '\\Seen', present: true }, { kind: 'text', field: 'body', value: '%' }] } });
  out.push({ kind: 'and', of: [] }, { kind: 'or', of: [] }, { kind: 'not', of: { kind: 'none' } });
  return out;
}

function sorts(): SortComparator[][] {
  const keys = ['receivedAt', 'sentAt', 'size', 'subject', 'from', 'to', 'cc', 'displayFrom', 'displayTo', 'uid'] as const;
  const out: SortComparator[][] = [];
  for (const key of keys) for (const descending of [false, true]) out.push([{ key, descending }]);
  for (const key of ['hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword'] as const) {
    for (const keyword of ['$seen', '$flagged']) for (const descending of [false, true]) out.push([{ key, keyword, descending }]);
  }
  out.push([{ key: 'from' }, { key: 'size', descending: true }], [{ key: 'subject', descending: true }, { key: 'receivedAt' }]);
  return out;
}

interface Engine {
  store: MailStore;
  inbox: string;
  archive: string;
  /** emailId → index in CORPUS. */
  names: Map<string, number>;
  ids: string[];
  close(): Promise<void>;
}

/** Appends the corpus, copies some of it to the archive, and changes flags: modseqs and save dates differ per message. */
async function fill(store: MailStore, close: () => Promise<void>): Promise<Engine> {
  await store.ensureAccount(USER);
  const inbox = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
  const archive = (await store.findMailboxByRole(USER, 'archive'))!.id;
  const names = new Map<string, number>();
  const ids: string[] = [];
  for (const [i, [bytes, flags, at]] of CORPUS.entries()) {
    const { emailId } = await store.append(USER, { mailboxIds: [inbox], bytes, flags, receivedAt: new Date(at) });
    names.set(emailId, i);
    ids.push(emailId);
  }
  await store.copy(USER, inbox, [2, 3], archive);
  await store.storeFlags(USER, inbox, [4], { mode: 'add', flags: ['\\Seen', 'Project_X'] });
  await store.storeFlags(USER, inbox, [1], { mode: 'remove', flags: ['\\Seen'] });
  return { store, inbox, archive, names, ids, close };
}

/** The answer, or the refusal's name: both engines must refuse the same requests alike. */
async function answer<T>(ask: () => Promise<T>, show: (r: T) => unknown): Promise<string> {
  try {
    return JSON.stringify(show(await ask()));
  } catch (err) {
    return `refused: ${(err as Error).name}`;
  }
}

describe('SQLite and PostgreSQL answer searches alike', { skip: unavailable ?? false }, () => {
  after(dropSharedDatabase);

  it('gives the same UIDs to every IMAP SEARCH and SORT, and the same messages to every JMAP Email/query', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-agree-'));
    const db = await createTestSchema();
    const busA = new MemoryEventBus();
    const busB = new MemoryEventBus();
    const sqliteStore = await openSqliteStore({ dataDir, events: busA });
    const sqlite = await fill(sqliteStore, () => sqliteStore.close());
    const pgStore = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events: busB });
    const postgres = await fill(pgStore, () => pgStore.close());
    try {
      const all = criteria();
      const mismatches: string[] = [];
      const compare = async (what: string, ask: (e: Engine) => Promise<string>) => {
        const [a, b] = [await ask(sqlite), await ask(postgres)];
        if (a !== b) mismatches.push(`${what}: sqlite ${a}, postgres ${b}`);
      };
      const query = (e: Engine, request: Parameters<MailStore['queryEmails']>[1]) =>
        answer(() => e.store.queryEmails(USER, request), (r) => [r.ids.map((id) => e.names.get(id)), r.total]);
      for (const c of all) {
        for (const mb of ['inbox', 'archive'] as const) {
          await compare(`SEARCH ${mb} ${JSON.stringify(c)}`, (e) => answer(() => e.store.searchMailbox(USER, e[mb], { criteria: c }), (r) => [r.uids, r.highestModSeq]));
        }
        await compare(`Email/query ${JSON.stringify(c)}`, (e) => query(e, { filter: c }));
      }
      // Filters naming the engine's own ids.
      const byIds: Array<[string, (e: Engine) => SearchCriteria]> = [
        ['inMailbox archive', (e) => ({ kind: 'inMailbox', mailboxId: e.archive })],
        ['inMailboxOtherThan inbox', (e) => ({ kind: 'inMailboxOtherThan', mailboxIds: [e.inbox] })],
        ['inMailboxOtherThan archive', (e) => ({ kind: 'inMailboxOtherThan', mailboxIds: [e.archive] })],
        ['emailIds 0, 3', (e) => ({ kind: 'emailIds', ids: [e.ids[0]!, e.ids[3]!] })],
        ['and(inMailbox archive, text café)', (e) => ({ kind: 'and', of: [{ kind: 'inMailbox', mailboxId: e.archive }, { kind: 'text', field: 'text', value: 'café' }] })],
      ];
      for (const [what, filter] of byIds) await compare(`Email/query ${what}`, (e) => query(e, { filter: filter(e) }));
      for (const sort of sorts()) {
        await compare(`SORT ${JSON.stringify(sort)}`, (e) => answer(() => e.store.searchMailbox(USER, e.inbox, { criteria: { kind: 'all' }, sort }), (r) => r.uids));
        for (const collapseThreads of [false, true]) {
          await compare(`Email/query sort ${JSON.stringify(sort)} collapse=${collapseThreads}`, (e) => query(e, { filter: { kind: 'all' }, sort, collapseThreads }));
        }
      }
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${all.length * 3 + byIds.length + sorts().length * 3} answers differ`);
    } finally {
      await sqlite.close();
      await postgres.close();
      await busA.close();
      await busB.close();
      await rm(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
