// Messages built to break a server (thousands of MIME parts, tens of thousands of addresses, deep
// nesting) are stored by APPEND and must then be fetchable in every FETCH item: one such message in
// a mailbox must never make FETCH answer NO [SERVERBUG], which would stop every client syncing it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { manyAddresses, manyParts, deepMessages, deepNesting } from '../support/hostile-messages.js';

const USER = 'alice@example.org';
const PASS = 'secret';

let h: ImapHarness;
before(async () => {
  h = await startImap({ users: { [USER]: PASS } });
});
after(async () => {
  await h.close();
});

const EVERY_ITEM = [
  'FLAGS', 'UID', 'MODSEQ', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE',
  'RFC822.HEADER', 'BODY.PEEK[HEADER]', 'BODY.PEEK[HEADER.FIELDS (TO FROM)]', 'BODY.PEEK[TEXT]', 'BODY.PEEK[1]',
  'BODY.PEEK[1.MIME]', 'BINARY.PEEK[1]', 'BINARY.SIZE[1]', 'BODY.PEEK[]<0.100>', 'RFC822.TEXT', 'RFC822',
];

async function appendAndFetch(mailbox: string, message: Buffer): Promise<string[]> {
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  assert.match((await c.command('c', `CREATE ${mailbox}`)).at(-1)!, /^c OK/);
  c.write(`a APPEND ${mailbox} {${message.length}}\r\n`);
  assert.match(await c.readLine(), /^\+ /);
  c.write(Buffer.concat([message, Buffer.from('\r\n')]));
  assert.match((await c.until('a', 60_000)).at(-1)!, /^a OK/);
  assert.match((await c.command('s', `SELECT ${mailbox}`)).at(-1)!, /^s OK/);
  const answers: string[] = [];
  for (const [i, item] of EVERY_ITEM.entries()) {
    const lines = await c.command(`f${i}`, `FETCH 1 (${item})`, 60_000);
    const tagged = lines.at(-1)!;
    assert.match(tagged, new RegExp(`^f${i} OK`), `FETCH ${item}: ${tagged}`);
    assert.ok(lines.some((l) => l.startsWith('* 1 FETCH (')), `FETCH ${item} sends the message`);
    answers.push(lines.join('\r\n'));
  }
  for (const [i, q] of ['SEARCH ALL', 'SORT (TO) UTF-8 ALL', 'THREAD REFERENCES UTF-8 ALL', 'SEARCH TO a9999@example.org'].entries()) {
    const tagged = (await c.command(`q${i}`, q, 60_000)).at(-1)!;
    assert.match(tagged, new RegExp(`^q${i} OK`), `${q}: ${tagged}`);
  }
  c.close();
  return answers;
}

test('a message with 5,000 MIME parts is fetchable in every FETCH item', async () => {
  const answers = await appendAndFetch('Parts', manyParts(5000));
  const structure = answers[EVERY_ITEM.indexOf('BODYSTRUCTURE')]!;
  assert.match(structure, /"MIXED"/);
});

test('a message with 10,000 addresses in To is fetchable in every FETCH item', async () => {
  const answers = await appendAndFetch('Addresses', manyAddresses(10_000));
  const envelope = answers[EVERY_ITEM.indexOf('ENVELOPE')]!;
  assert.ok(envelope.includes('"a0" NIL "a0" "example.org"') || envelope.includes('(NIL NIL "a0" "example.org")'), 'the first address is listed');
});

test('a message nested 5,000 multiparts deep is fetchable in every FETCH item', async () => {
  await appendAndFetch('Deep', deepNesting(5000));
});

test('a message/rfc822 nested 5,000 deep is fetchable, and its BODYSTRUCTURE follows the grammar down to a text part', async () => {
  const answers = await appendAndFetch('DeepMessages', deepMessages(5000));
  const structure = answers[EVERY_ITEM.indexOf('BODYSTRUCTURE')]!;
  // Every "MESSAGE" "RFC822" is followed by its body fields and an envelope (a list), never by the
  // NIL of a missing one; the chain ends in the opaque text part holding the deeper levels.
  assert.doesNotMatch(structure, /"MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ NIL/);
  assert.match(structure, /\("TEXT" "PLAIN" \("CHARSET" "us-ascii"\) NIL NIL "7BIT" \d+ \d+ NIL NIL NIL NIL\)/);
});
