// The shared vectors (test/vectors/message-model.json) against the pure model and against both
// protocols over real sockets: IMAP (FETCH ENVELOPE, SORT SUBJECT/DATE, THREAD=ORDEREDSUBJECT, SEARCH
// SENT*/SUBJECT/BODY) and JMAP (Email/get, Email/query sort and filters, threads) must agree with
// every vector, so a message reads the same whichever protocol a client speaks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { MailStore } from '../../src/store/types.js';
import { baseSubject, subjectSortKey } from '../../src/mime/subject.js';
import { toAddressGroups, toEmailAddresses, toEnvelopeAddresses } from '../../src/mime/addresses.js';
import { formatWithOffset, parseMessageDate } from '../../src/mime/date.js';
import { decodeCharset, decodeTransfer, decodeWords } from '../../src/mime/decode.js';
import { startImap, type ImapHarness } from '../imap/harness.js';
import { RawClient } from '../imap/raw-client.js';
import { accountIdOf, call, startHarness, type Harness } from '../jmap/harness.js';
import { parseFetchValues, parseThreadGroups, type ImapValue } from './imap-values.js';

interface GroupVector {
  name: string | null;
  addresses: Array<{ name: string | null; email: string }>;
}
interface Vectors {
  subjects: Array<{ subject: string; base: string }>;
  threads: Array<{ original: string; reply: string; sameThread: boolean }>;
  addresses: Array<{ header: string; envelope: Array<Array<string | null>>; jmap: GroupVector['addresses']; groups: GroupVector[] }>;
  dates: Array<{ header: string; sentAt: string | null; day: string | null }>;
  encodedWords: Array<{ subject: string; decoded: string; needle: string }>;
  bodies: Array<{ charset: string; encoding: string; body: string; text: string; needle: string; isEncodingProblem: boolean }>;
}

const V = JSON.parse(readFileSync(new URL('../vectors/message-model.json', import.meta.url), 'utf8')) as Vectors;

const IMAP_USER = 'model@example.org';
const IMAP_PASS = 'model-pw';
const JMAP_USER = 'alice@example.com';
/** JMAP_USER's account id, as the session names it. */
let jmapAccountId: string;
/** The internal date of every vector message: what SORT DATE and SENT* fall back to. */
const RECEIVED = new Date('2020-06-15T12:00:00Z');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Spec {
  subject?: string;
  to?: string;
  date?: string;
  messageId?: string;
  inReplyTo?: string;
  charset?: string;
  encoding?: string;
  /** Body bytes as latin1 characters. */
  body?: string;
}

function build(s: Spec): Buffer {
  const head = [
    'From: Sender <sender@example.net>',
    `To: ${s.to ?? 'rcpt@example.org'}`,
    ...(s.subject !== undefined ? [`Subject: ${s.subject}`] : []),
    `Date: ${s.date ?? 'Mon, 05 Jun 2023 09:00:00 +0000'}`,
    `Message-ID: <${s.messageId ?? Math.random().toString(36).slice(2) + '@example.net'}>`,
    ...(s.inReplyTo ? [`In-Reply-To: <${s.inReplyTo}>`, `References: <${s.inReplyTo}>`] : []),
    'MIME-Version: 1.0',
    `Content-Type: text/plain; charset=${s.charset ?? 'utf-8'}`,
    `Content-Transfer-Encoding: ${s.encoding ?? '7bit'}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(`${s.body ?? 'vector body'}\r\n`, 'latin1')]);
}

const MAILBOXES: Record<string, Spec[]> = {
  subjects: V.subjects.map((v) => ({ subject: v.subject })),
  threads: V.threads.flatMap((v, i) => [
    { subject: v.original, messageId: `t${i}@example.net` },
    { subject: v.reply, messageId: `t${i}r@example.net`, inReplyTo: `t${i}@example.net` },
  ]),
  addresses: V.addresses.map((v) => ({ to: v.header })),
  dates: V.dates.map((v) => ({ date: v.header })),
  words: V.encodedWords.map((v) => ({ subject: v.subject })),
  bodies: V.bodies.map((v) => ({ charset: v.charset, encoding: v.encoding, body: v.body })),
};

let imap: ImapHarness;
let jmap: Harness;
let client: RawClient;
/** JMAP: mailbox name → its id and the email ids in vector order. IMAP: UID n is vector n-1. */
const jmapBoxes = new Map<string, { id: string; emails: string[] }>();

async function seed(store: MailStore, account: string): Promise<Map<string, { id: string; emails: string[] }>> {
  await store.ensureAccount(account);
  const out = new Map<string, { id: string; emails: string[] }>();
  for (const [path, specs] of Object.entries(MAILBOXES)) {
    const box = await store.createMailbox(account, { path });
    const emails: string[] = [];
    for (const spec of specs) emails.push((await store.append(account, { mailboxIds: [box.id], bytes: build(spec), receivedAt: RECEIVED })).emailId);
    out.set(path, { id: box.id, emails });
  }
  return out;
}

before(async () => {
  imap = await startImap({ users: { [IMAP_USER]: IMAP_PASS } });
  jmap = await startHarness();
  jmapAccountId = await accountIdOf(jmap, JMAP_USER);
  await seed(imap.store, IMAP_USER);
  for (const [k, v] of await seed(jmap.store, JMAP_USER)) jmapBoxes.set(k, v);
  client = await RawClient.connect(imap.port);
  const r = await client.command('l', `LOGIN ${IMAP_USER} ${IMAP_PASS}`);
  assert.match(r.at(-1)!, /^l OK/);
});

after(async () => {
  client.close();
  await imap.close();
  await jmap.close();
});

// ---------------------------------------------------------------------------------------------
// IMAP helpers

let tagNo = 0;
async function imapCommand(text: string | Buffer): Promise<string[]> {
  const tag = `t${++tagNo}`;
  client.write(Buffer.concat([Buffer.from(`${tag} `), typeof text === 'string' ? Buffer.from(text) : text, Buffer.from('\r\n')]));
  const lines = await client.until(tag);
  assert.match(lines.at(-1)!, new RegExp(`^${tag} OK`), `${String(text)} → ${lines.join('\n')}`);
  return lines;
}

async function select(mailbox: string): Promise<void> {
  await imapCommand(`SELECT ${mailbox}`);
}

/** A UTF-8 search string as a non-synchronising literal (LITERAL+). */
function literal(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from(`{${bytes.length}+}\r\n`), bytes]);
}

async function uidSearch(...parts: Array<string | Buffer>): Promise<number[]> {
  const lines = await imapCommand(Buffer.concat([Buffer.from('UID SEARCH CHARSET UTF-8 '), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))]));
  const line = lines.find((l) => l.startsWith('* SEARCH'))!;
  return line
    .slice(8)
    .trim()
    .split(' ')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

async function uidSort(key: string): Promise<number[]> {
  const lines = await imapCommand(`UID SORT (${key}) UTF-8 ALL`);
  return lines.find((l) => l.startsWith('* SORT'))!.slice(6).trim().split(' ').filter(Boolean).map(Number);
}

async function envelope(uid: number): Promise<ImapValue[]> {
  const lines = await imapCommand(`UID FETCH ${uid} ENVELOPE`);
  const values = parseFetchValues(lines.slice(0, -1).join('\r\n'));
  const env = values.get('ENVELOPE');
  assert.ok(Array.isArray(env), `ENVELOPE of ${uid}`);
  return env;
}

function imapDate(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return `${d}-${MONTHS[m - 1]}-${y}`;
}

function shiftDay(day: string, by: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + by * 86_400_000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// JMAP helpers

async function jmapGet(ids: string[], properties: string[], extra: Record<string, unknown> = {}): Promise<Array<Record<string, unknown>>> {
  const [[name, res]] = (await call(jmap, [['Email/get', { accountId: jmapAccountId, ids, properties, ...extra }, 'g']])) as unknown as [[string, { list: Array<Record<string, unknown>> }]];
  assert.equal(name, 'Email/get');
  return ids.map((id) => res.list.find((e) => e.id === id)!);
}

async function jmapQuery(mailbox: string, filter: Record<string, unknown>, sort?: Array<Record<string, unknown>>): Promise<string[]> {
  const box = jmapBoxes.get(mailbox)!;
  const [[name, res]] = (await call(jmap, [
    ['Email/query', { accountId: jmapAccountId, filter: { operator: 'AND', conditions: [{ inMailbox: box.id }, filter] }, ...(sort ? { sort } : {}) }, 'q'],
  ])) as unknown as [[string, { ids: string[] }]];
  assert.equal(name, 'Email/query', JSON.stringify(res));
  return res.ids;
}

/** Vector indexes of JMAP email ids in a mailbox. */
function indexes(mailbox: string, ids: string[]): number[] {
  const emails = jmapBoxes.get(mailbox)!.emails;
  return ids.map((id) => emails.indexOf(id));
}

/** Vector indexes in the order RFC 5256 wants: by key octets, ties in arrival (UID) order. */
function expectedOrder<T>(items: T[], key: (t: T) => Buffer | number): number[] {
  return items
    .map((t, i) => ({ i, k: key(t) }))
    .sort((a, b) => (typeof a.k === 'number' ? a.k - (b.k as number) : Buffer.compare(a.k, b.k as Buffer)) || a.i - b.i)
    .map((x) => x.i);
}

const casemapped = (s: string): Buffer => Buffer.from(s.replace(/[a-z]/g, (c) => c.toUpperCase()), 'utf8');

// ---------------------------------------------------------------------------------------------
// The pure model

test('the model itself agrees with every vector', () => {
  for (const v of V.subjects) assert.equal(baseSubject(v.subject), v.base, v.subject);
  for (const v of V.addresses) {
    assert.deepEqual(
      toEnvelopeAddresses(v.header)?.map((a) => [a.name, a.adl, a.mailbox, a.host]),
      v.envelope,
      v.header,
    );
    assert.deepEqual(toEmailAddresses(v.header), v.jmap, v.header);
    assert.deepEqual(toAddressGroups(v.header), v.groups, v.header);
  }
  for (const v of V.dates) {
    const d = parseMessageDate(v.header);
    assert.equal(d ? formatWithOffset(d) : null, v.sentAt, v.header);
    assert.equal(d ? new Date(d.day * 86_400_000).toISOString().slice(0, 10) : null, v.day, v.header);
  }
  for (const v of V.encodedWords) assert.equal(decodeWords(v.subject), v.decoded, v.subject);
  for (const v of V.bodies) {
    const decoded = decodeCharset(decodeTransfer(Buffer.from(v.body, 'latin1'), v.encoding), v.charset);
    assert.deepEqual(decoded, { text: v.text, isEncodingProblem: v.isEncodingProblem }, v.charset);
  }
});

// ---------------------------------------------------------------------------------------------
// Subjects

test('IMAP SORT (SUBJECT) and JMAP sort by subject order the vectors by i;ascii-casemap base subject', async () => {
  const expected = expectedOrder(V.subjects, (v) => casemapped(v.base));
  await select('subjects');
  assert.deepEqual((await uidSort('SUBJECT')).map((uid) => uid - 1), expected);
  const ids = await jmapQuery('subjects', {}, [{ property: 'subject', isAscending: true }]);
  assert.deepEqual(indexes('subjects', ids), expected);
  assert.equal(subjectSortKey('Re: Hello'), subjectSortKey('hello'));
});

test('IMAP THREAD=ORDEREDSUBJECT groups the vectors with equal base subjects together', async () => {
  await select('subjects');
  const lines = await imapCommand('UID THREAD ORDEREDSUBJECT UTF-8 ALL');
  const groups = parseThreadGroups(lines.find((l) => l.startsWith('* THREAD'))!.slice(8));
  const byBase = new Map<string, number[]>();
  V.subjects.forEach((v, i) => byBase.set(casemapped(v.base).toString(), [...(byBase.get(casemapped(v.base).toString()) ?? []), i + 1]));
  const norm = (gs: number[][]): string[] => gs.map((g) => [...g].sort((a, b) => a - b).join(',')).sort();
  assert.deepEqual(norm(groups), norm([...byBase.values()]));
});

test('a reply joins its original in IMAP ORDEREDSUBJECT threads and in JMAP threads exactly when the base subjects agree', async () => {
  await select('threads');
  const lines = await imapCommand('UID THREAD ORDEREDSUBJECT UTF-8 ALL');
  const groups = parseThreadGroups(lines.find((l) => l.startsWith('* THREAD'))!.slice(8));
  const emails = jmapBoxes.get('threads')!.emails;
  const got = await jmapGet(emails, ['threadId']);
  V.threads.forEach((v, i) => {
    const [original, reply] = [2 * i + 1, 2 * i + 2];
    const together = groups.some((g) => g.includes(original) && g.includes(reply));
    assert.equal(together, v.sameThread, `IMAP: ${v.original} / ${v.reply}`);
    assert.equal(got[2 * i]!.threadId === got[2 * i + 1]!.threadId, v.sameThread, `JMAP: ${v.original} / ${v.reply}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Addresses

test('IMAP ENVELOPE and JMAP Email/get give every address vector its RFC 3501 and RFC 8621 forms', async () => {
  await select('addresses');
  const emails = jmapBoxes.get('addresses')!.emails;
  const got = await jmapGet(emails, ['to', 'header:To:asGroupedAddresses']);
  for (const [i, v] of V.addresses.entries()) {
    const env = await envelope(i + 1);
    assert.deepEqual(env[5], v.envelope, `IMAP ENVELOPE to of ${v.header}`);
    assert.deepEqual(got[i]!.to, v.jmap, `JMAP to of ${v.header}`);
    assert.deepEqual(got[i]!['header:To:asGroupedAddresses'], v.groups, `JMAP groups of ${v.header}`);
  }
});

test('IMAP SEARCH TO and the JMAP to filter find an address by its decoded name and by what was written', async () => {
  await select('addresses');
  for (const [i, v] of V.addresses.entries()) {
    for (const a of v.jmap) {
      const needles = [a.email, ...(a.name ? [a.name] : [])];
      for (const needle of needles) {
        assert.ok((await uidSearch('TO ', literal(needle))).includes(i + 1), `IMAP TO ${needle}`);
        assert.ok(indexes('addresses', await jmapQuery('addresses', { to: needle })).includes(i), `JMAP to ${needle}`);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Dates

test('JMAP sentAt, IMAP SORT (DATE) and JMAP sort by sentAt read every date vector alike', async () => {
  const emails = jmapBoxes.get('dates')!.emails;
  const got = await jmapGet(emails, ['sentAt']);
  V.dates.forEach((v, i) => assert.equal(got[i]!.sentAt, v.sentAt, v.header));
  const expected = expectedOrder(V.dates, (v) => (v.sentAt ? Date.parse(v.sentAt) : RECEIVED.getTime()));
  await select('dates');
  assert.deepEqual((await uidSort('DATE')).map((uid) => uid - 1), expected);
  const ids = await jmapQuery('dates', {}, [{ property: 'sentAt', isAscending: true }]);
  assert.deepEqual(indexes('dates', ids), expected);
});

test('IMAP SENTON/SENTBEFORE/SENTSINCE compare the day the Date header names, disregarding time and zone', async () => {
  await select('dates');
  const fallback = RECEIVED.toISOString().slice(0, 10);
  for (const [i, v] of V.dates.entries()) {
    const day = v.day ?? fallback;
    const uid = i + 1;
    assert.ok((await uidSearch(`SENTON ${imapDate(day)}`)).includes(uid), `SENTON ${day} for ${v.header}`);
    assert.ok(!(await uidSearch(`SENTON ${imapDate(shiftDay(day, 1))}`)).includes(uid), `not SENTON the day after ${v.header}`);
    assert.ok(!(await uidSearch(`SENTBEFORE ${imapDate(day)}`)).includes(uid), `not SENTBEFORE its day: ${v.header}`);
    assert.ok((await uidSearch(`SENTBEFORE ${imapDate(shiftDay(day, 1))}`)).includes(uid), `SENTBEFORE the next day: ${v.header}`);
    assert.ok((await uidSearch(`SENTSINCE ${imapDate(day)}`)).includes(uid), `SENTSINCE its day: ${v.header}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Encoded words and bodies

test('encoded-word subjects: IMAP ENVELOPE keeps them raw, JMAP decodes them, both search the decoded text', async () => {
  await select('words');
  const emails = jmapBoxes.get('words')!.emails;
  const got = await jmapGet(emails, ['subject']);
  for (const [i, v] of V.encodedWords.entries()) {
    assert.equal((await envelope(i + 1))[1], v.subject, `IMAP ENVELOPE subject ${v.subject}`);
    assert.equal(got[i]!.subject, v.decoded, `JMAP subject ${v.subject}`);
    assert.ok((await uidSearch('SUBJECT ', literal(v.needle))).includes(i + 1), `IMAP SUBJECT ${v.needle}`);
    assert.ok(indexes('words', await jmapQuery('words', { subject: v.needle })).includes(i), `JMAP subject ${v.needle}`);
  }
});

test('bodies in every charset (UTF-7 included) are decoded alike for IMAP SEARCH BODY, JMAP body filters and bodyValues', async () => {
  await select('bodies');
  const emails = jmapBoxes.get('bodies')!.emails;
  const got = await jmapGet(emails, ['textBody', 'bodyValues'], { fetchTextBodyValues: true });
  for (const [i, v] of V.bodies.entries()) {
    const part = (got[i]!.textBody as Array<{ partId: string }>)[0]!;
    const value = (got[i]!.bodyValues as Record<string, { value: string; isEncodingProblem: boolean }>)[part.partId]!;
    assert.equal(value.value.trimEnd(), v.text, `JMAP bodyValue in ${v.charset}`);
    assert.equal(value.isEncodingProblem, v.isEncodingProblem, `JMAP isEncodingProblem in ${v.charset}`);
    assert.deepEqual(await uidSearch('BODY ', literal(v.needle)), [i + 1], `IMAP BODY ${v.needle}`);
    assert.deepEqual(indexes('bodies', await jmapQuery('bodies', { body: v.needle })), [i], `JMAP body ${v.needle}`);
    assert.deepEqual(indexes('bodies', await jmapQuery('bodies', { text: v.needle })), [i], `JMAP text ${v.needle}`);
  }
});
