// Email clauses of RFC 8621 where Tessera answered differently from the RFC text, found by checking an
// independent conformance suite's email, thread and search-snippet cases against the RFCs. Each
// test names the clause it holds the server to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, type Call, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
let h: Harness;
let ID: string;
let inbox: string;

async function calls(c: Call[]): Promise<any[]> {
  return (await call(h, c)) as any[];
}
async function upload(bytes: Buffer | string, type: string): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': type }, body: bytes });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}
async function importing(emails: Record<string, unknown>): Promise<any> {
  const [[name, r]] = await calls([['Email/import', { accountId: ID, emails }, 'i']]);
  assert.equal(name, 'Email/import', JSON.stringify(r));
  return r;
}

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
});
after(() => h.close());

test('RFC 8621 §4.8: "If the blobId … [is] invalid (e.g. … id not found), the server MUST reject the import with an invalidProperties SetError"', async () => {
  const good = await upload(message({ subject: 'kept' }), 'message/rfc822');
  const r = await importing({
    gone: { blobId: 'Gno-such-blob', mailboxIds: { [inbox]: true } },
    ok: { blobId: good, mailboxIds: { [inbox]: true } },
  });
  assert.deepEqual([r.notCreated.gone.type, r.notCreated.gone.properties], ['invalidProperties', ['blobId']]);
  // The failure is per email: the other one of the same call is imported.
  assert.equal(typeof r.created.ok.id, 'string');
  assert.deepEqual(Object.keys(r.notCreated), ['gone']);
});

test('RFC 8621 §4.8: a blob that is not an RFC 5322 message is rejected with invalidEmail, as Email/parse calls it notParsable', async () => {
  const junk = await upload('just some words, no header field at all', 'application/octet-stream');
  const [[, before]] = await calls([['Email/get', { accountId: ID, ids: [] }, 'g']]);
  const r = await importing({ junk: { blobId: junk, mailboxIds: { [inbox]: true } } });
  assert.equal(r.notCreated.junk.type, 'invalidEmail');
  assert.equal(r.created, null);
  // Nothing was stored: the Email state did not move.
  assert.equal(r.newState, before.state);
  const [[, parsed]] = await calls([['Email/parse', { accountId: ID, blobIds: [junk] }, 'p']]);
  assert.deepEqual(parsed.notParsable, [junk]);
});

test('RFC 8620 §5.3 invalidProperties on Email/set update: an unknown mailbox or no mailbox left names mailboxIds', async () => {
  const blob = await upload(message({ subject: 'stays put' }), 'message/rfc822');
  const id = (await importing({ e: { blobId: blob, mailboxIds: { [inbox]: true } } })).created.e.id as string;
  const [[, unknown], [, emptied]] = await calls([
    ['Email/set', { accountId: ID, update: { [id]: { 'mailboxIds/Mnope': true } } }, 'u1'],
    ['Email/set', { accountId: ID, update: { [id]: { [`mailboxIds/${inbox}`]: null } } }, 'u2'],
  ]);
  const r = { unknown, emptied };
  for (const which of ['unknown', 'emptied'] as const) {
    const e = r[which].notUpdated[id];
    assert.deepEqual([e.type, e.properties], ['invalidProperties', ['mailboxIds']], `${which}: ${JSON.stringify(e)}`);
    assert.equal(r[which].updated, null);
  }
  const [[, g]] = await calls([['Email/get', { accountId: ID, ids: [id], properties: ['mailboxIds'] }, 'g']]);
  assert.deepEqual(g.list[0].mailboxIds, { [inbox]: true });
});

test('RFC 8621 §5 SearchSnippet preview: "It MUST NOT be bigger than 255 octets in size", markup and escapes included', async () => {
  // Multi-octet letters, characters that escape to entities, and many matches: the marked-up text is
  // far over 255 octets long unless it is cut.
  const body = 'Grüße, the needle <&> ' + 'ünd needle <&> '.repeat(80);
  const blob = await upload(message({ subject: 'needle in a haystack', body }), 'message/rfc822');
  const id = (await importing({ s: { blobId: blob, mailboxIds: { [inbox]: true } } })).created.s.id as string;
  const [[, r]] = await calls([['SearchSnippet/get', { accountId: ID, emailIds: [id], filter: { text: 'needle' } }, 's']]);
  const { preview, subject } = r.list[0];
  assert.ok(Buffer.byteLength(preview) <= 255, `${Buffer.byteLength(preview)} octets: ${preview}`);
  assert.match(preview, /^[^<]*?the <mark>needle<\/mark> &lt;&amp;&gt; /);
  // Cut between whole characters, entities and elements: no open tag or half entity at the end.
  assert.doesNotMatch(preview, /(&[a-z]*|<[^>]*)$/);
  assert.equal(preview.split('<mark>').length, preview.split('</mark>').length);
  // The subject has no such limit and is marked whole.
  assert.equal(subject, '<mark>needle</mark> in a haystack');
});

test('RFC 8621 §4.4.1 String filters: white space divides tokens that "MUST all be present"; quoted text is a phrase', async () => {
  const ids: Record<string, string> = {};
  for (const [k, body] of [['both', 'The plan for the project timeline, in short'], ['one', 'Only the timeline here'], ['quoted', 'She said "ship it" twice']] as const) {
    const blob = await upload(message({ subject: `tokens ${k}`, body }), 'message/rfc822');
    ids[(await importing({ t: { blobId: blob, mailboxIds: { [inbox]: true } } })).created.t.id] = k;
  }
  const found = async (filter: Record<string, unknown>): Promise<string[]> => {
    const [[name, r]] = await calls([['Email/query', { accountId: ID, filter, sort: [{ property: 'subject' }] }, 'q']]);
    assert.equal(name, 'Email/query', JSON.stringify(r));
    return (r.ids as string[]).map((id) => ids[id]).filter((k): k is string => k !== undefined);
  };
  // Tokens in another order than in the message, and far apart: all present, so it matches.
  assert.deepEqual(await found({ body: 'timeline project' }), ['both']);
  assert.deepEqual(await found({ text: 'TIMELINE  plan' }), ['both']);
  // A phrase needs the words together and in order; the quotes themselves are not searched for.
  assert.deepEqual(await found({ body: '"project timeline"' }), ['both']);
  assert.deepEqual(await found({ body: "'timeline project'" }), []);
  // An escaped quote inside a phrase is a literal quote character.
  assert.deepEqual(await found({ body: '"said \\"ship"' }), ['quoted']);
  // Tokens and phrases combine: every one must be present.
  assert.deepEqual(await found({ text: 'tokens "the timeline"' }), ['one']);
});

test('RFC 8621 §5 SearchSnippet highlights a quoted phrase as one match', async () => {
  const blob = await upload(message({ subject: 'phrase snippet', body: 'one two three, two one' }), 'message/rfc822');
  const id = (await importing({ p: { blobId: blob, mailboxIds: { [inbox]: true } } })).created.p.id as string;
  const [[, r]] = await calls([['SearchSnippet/get', { accountId: ID, emailIds: [id], filter: { text: '"two three"' } }, 's']]);
  assert.equal(r.list[0].preview, 'one <mark>two three</mark>, two one');
});
