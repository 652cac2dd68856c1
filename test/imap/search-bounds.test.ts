// SEARCH programs built to exhaust the server (thousands of OR/NOT, parentheses nested thousands
// deep) get BAD with a clear text beyond the documented bound, and are answered normally at it;
// never NO [SERVERBUG] from a stack overflow or SQLite's expression-depth limit.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { MAX_SEARCH_CRITERIA, MAX_SEARCH_DEPTH } from '../../src/imap/search/criteria.js';
import { MAX_LIST_DEPTH } from '../../src/imap/proto/tokens.js';

const USER = 'alice@example.org';
const PASS = 'secret';

let h: ImapHarness;
let c: RawClient;
before(async () => {
  h = await startImap({ users: { [USER]: PASS } });
  c = await RawClient.loggedIn(h.port, USER, PASS);
  for (const subject of ['alpha', 'beta']) {
    const m = `From: a@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n`;
    c.write(`a APPEND INBOX {${m.length}}\r\n`);
    assert.match(await c.readLine(), /^\+ /);
    c.write(`${m}\r\n`);
    assert.match((await c.until('a')).at(-1)!, /^a OK/);
  }
  assert.match((await c.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
});
after(async () => {
  c.close();
  await h.close();
});

const repeat = (s: string, n: number): string => Array(n).fill(s).join('');

async function search(tag: string, program: string): Promise<string[]> {
  return c.command(tag, `SEARCH ${program}`, 60_000);
}

test('SEARCH nested 10,000 deep (NOT, parentheses, OR of NOT) is BAD with a clear text', async () => {
  for (const [i, program] of [
    `${repeat('NOT ', 10_000)}ALL`,
    `${repeat('(', 10_000)}ALL${repeat(')', 10_000)}`,
    `${repeat('OR NOT ', 5_000)}ALL${repeat(' ALL', 5_000)}`,
  ].entries()) {
    const r = await search(`d${i}`, program);
    assert.match(r.at(-1)!, new RegExp(`^d${i} BAD .*nest`, 'i'), r.at(-1)!.slice(0, 200));
  }
});

test('SEARCH with more criteria than the bound is BAD with a clear text', async () => {
  const r = await search('w', repeat('SUBJECT alpha ', MAX_SEARCH_CRITERIA + 1).trim());
  assert.match(r.at(-1)!, /^w BAD .*criteria/i, r.at(-1)!.slice(0, 200));
  // An OR chain is one nesting level however long, but every OR counts as a criterion.
  const o = await search('o', `${repeat('OR SUBJECT alpha ', 3000)}SUBJECT beta`);
  assert.match(o.at(-1)!, /^o BAD .*criteria/i, o.at(-1)!.slice(0, 200));
  const l = await search('l', `${repeat('OR ALL ', 9000)}ALL`);
  assert.match(l.at(-1)!, /^l BAD .*criteria/i, l.at(-1)!.slice(0, 200));
});

test('SEARCH at the bounds is answered', async () => {
  // MAX_SEARCH_DEPTH levels of NOT around one key (an even count: the key's own answer).
  const depth = MAX_SEARCH_DEPTH - (MAX_SEARCH_DEPTH % 2);
  let r = await search('a', `${repeat('NOT ', depth)}SUBJECT alpha`);
  assert.deepEqual(r.slice(-2), ['* SEARCH 1', 'a OK SEARCH completed']);
  // Parentheses nested as deep as the command tokenizer allows.
  r = await search('p', `${repeat('(', MAX_LIST_DEPTH)}SUBJECT beta${repeat(')', MAX_LIST_DEPTH)}`);
  assert.deepEqual(r.slice(-2), ['* SEARCH 2', 'p OK SEARCH completed']);
  // MAX_SEARCH_CRITERIA keys side by side (an AND of them all).
  r = await search('b', repeat('UNDELETED ', MAX_SEARCH_CRITERIA - 1) + 'SUBJECT beta');
  assert.deepEqual(r.slice(-2), ['* SEARCH 2', 'b OK SEARCH completed']);
  // A wide OR chain just under the criteria bound (each OR counts as one criterion).
  const n = Math.floor((MAX_SEARCH_CRITERIA - 1) / 2);
  r = await search('c', `${repeat('OR SUBJECT zeta ', n)}SUBJECT beta`);
  assert.deepEqual(r.slice(-2), ['* SEARCH 2', 'c OK SEARCH completed']);
  // A UID set of thousands of single UIDs and ranges.
  const uids = Array.from({ length: 3000 }, (_, i) => (i % 2 ? `${i * 10}:${i * 10 + 3}` : String(i * 10 + 1))).join(',');
  r = await search('u', `UID ${uids}`);
  assert.deepEqual(r.slice(-2), ['* SEARCH 1', 'u OK SEARCH completed']);
});
