// Mailbox names whose bytes are not valid UTF-8, or not valid modified UTF-7, are refused (BAD for
// new names, NO for names of existing mailboxes) and never stored with the bad bytes replaced.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';

const USER = 'alice@example.org';
const PASS = 'secret';

let h: ImapHarness;
let c: RawClient;
before(async () => {
  h = await startImap({ users: { [USER]: PASS } });
  c = await RawClient.loggedIn(h.port, USER, PASS);
});
after(async () => {
  c.close();
  await h.close();
});

const INVALID_UTF8 = [
  Buffer.from([0x42, 0xff, 0x43]), // a byte that never occurs in UTF-8
  Buffer.from([0x42, 0xc3]), // a truncated sequence
  Buffer.from([0xc0, 0xaf]), // an overlong "/"
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
];

/** Sends `tag command <name as literal> rest` and returns the tagged answer. */
async function withLiteral(tag: string, command: string, name: Buffer, rest = ''): Promise<string> {
  c.write(`${tag} ${command} {${name.length}}\r\n`);
  assert.match(await c.readLine(), /^\+ /);
  c.write(Buffer.concat([name, Buffer.from(`${rest}\r\n`)]));
  return (await c.until(tag)).at(-1)!;
}

/** Sends the name as a quoted string (or atom) in raw bytes. */
async function raw(tag: string, command: string, name: Buffer, quoted: boolean): Promise<string> {
  const q = quoted ? '"' : '';
  c.write(Buffer.concat([Buffer.from(`${tag} ${command} ${q}`), name, Buffer.from(`${q}\r\n`)]));
  return (await c.until(tag)).at(-1)!;
}

async function mailboxNames(): Promise<string[]> {
  const lines = await c.command('list', 'LIST "" *');
  return lines.filter((l) => l.startsWith('* LIST')).map((l) => l.slice(l.lastIndexOf(' ') + 1));
}

async function subscribedNames(): Promise<string[]> {
  const lines = await c.command('lsub', 'LSUB "" *');
  return lines.filter((l) => l.startsWith('* LSUB')).map((l) => l.slice(l.lastIndexOf(' ') + 1));
}

test('CREATE, RENAME and SUBSCRIBE refuse names that are not valid UTF-8, as literal, quoted string or atom', async () => {
  assert.match((await c.command('k', 'CREATE Keep')).at(-1)!, /^k OK/);
  const [boxes, subscribed] = [await mailboxNames(), await subscribedNames()];
  for (const [i, name] of INVALID_UTF8.entries()) {
    assert.match(await withLiteral(`c${i}`, 'CREATE', name), new RegExp(`^c${i} BAD .*UTF-8`));
    assert.match(await raw(`q${i}`, 'CREATE', name, true), new RegExp(`^q${i} BAD .*UTF-8`));
    assert.match(await raw(`a${i}`, 'CREATE', name, false), new RegExp(`^a${i} BAD .*UTF-8`));
    assert.match(await withLiteral(`r${i}`, 'RENAME Keep', name), new RegExp(`^r${i} BAD .*UTF-8`));
    assert.match(await withLiteral(`s${i}`, 'SUBSCRIBE', name), new RegExp(`^s${i} (BAD|NO) `));
    assert.match(await withLiteral(`e${i}`, 'SELECT', name), new RegExp(`^e${i} (BAD|NO) `));
    assert.match(await withLiteral(`t${i}`, 'STATUS', name, ' (MESSAGES)'), new RegExp(`^t${i} (BAD|NO) `));
  }
  assert.deepEqual(await mailboxNames(), boxes, 'nothing was created or renamed');
  assert.deepEqual(await subscribedNames(), subscribed, 'nothing was subscribed');
});

test('CREATE, RENAME and SUBSCRIBE refuse invalid modified UTF-7 and store nothing', async () => {
  const [boxes, subscribed] = [await mailboxNames(), await subscribedNames()];
  for (const [i, name] of ['&Jjo', '&AGE-', '&-&', 'A&ZeVnLIqe-&ZeVnLIqe-', '&2D0-', '&,,,-'].entries()) {
    assert.match((await c.command(`m${i}`, `CREATE "${name}"`)).at(-1)!, new RegExp(`^m${i} BAD `));
    assert.match((await c.command(`n${i}`, `RENAME Keep "${name}"`)).at(-1)!, new RegExp(`^n${i} BAD `));
    assert.match((await c.command(`u${i}`, `SUBSCRIBE "${name}"`)).at(-1)!, new RegExp(`^u${i} (BAD|NO) `));
  }
  assert.deepEqual(await mailboxNames(), boxes);
  assert.deepEqual(await subscribedNames(), subscribed);
});

test('valid UTF-8 names still work, as literal and as modified UTF-7', async () => {
  assert.match(await withLiteral('v', 'CREATE', Buffer.from('Entwürfe', 'utf8')), /^v OK/);
  assert.match((await c.command('w', 'SUBSCRIBE Entw&APw-rfe')).at(-1)!, /^w OK/);
  assert.ok((await mailboxNames()).includes('Entw&APw-rfe'));
  assert.ok((await subscribedNames()).includes('Entw&APw-rfe'));
});

test('a mailbox name LIST sends can be sent back as it is: a name that reads as a fetch section is quoted', async () => {
  // "BODY[notes" is a valid atom for a client, but the command tokenizer reads BODY[ as the start of
  // a fetch section and wants its "]": a client echoing the listed name got BAD on SELECT.
  assert.match(await raw('c', 'CREATE', Buffer.from('BODY[notes'), true), /^c OK/);
  const listed = (await c.command('l', 'LIST "" "BODY*"')).find((l) => l.startsWith('* LIST '))!;
  const name = /^\* LIST \([^)]*\) "\/" (.+)$/.exec(listed)![1]!;
  assert.equal(name, '"BODY[notes"');
  assert.match((await c.command('s', `SELECT ${name}`)).at(-1)!, /^s OK/);
  assert.match((await c.command('x', 'CLOSE')).at(-1)!, /^x OK/);
});
