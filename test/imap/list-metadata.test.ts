// LIST-METADATA (RFC 9590) over real sockets: LIST's METADATA return option sends each listed
// mailbox's annotations (from the METADATA store) right after its LIST response, leaves out
// entries without a value and, with MAXSIZE, long values (announced by LONGENTRIES); a reader of a
// shared mailbox sees the /shared entries and only their own /private ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const PASS = 'secret';

function tagged(lines: string[]): string {
  return lines.at(-1)!;
}

test('RFC 9590 §3: LIST RETURN (METADATA (...)) follows each LIST response with that mailbox\'s METADATA', async () => {
  const h = await startImap({ users: { [ALICE]: PASS } });
  const a = await RawClient.loggedIn(h.port, ALICE, PASS);
  try {
    assert.ok((await a.command('c', 'CAPABILITY'))[0]!.split(' ').includes('LIST-METADATA'));
    for (const [t, name] of [['c1', 'Work'], ['c2', 'Plain']]) assert.match(tagged(await a.command(t, `CREATE ${name}`)), new RegExp(`^${t} OK`));
    assert.match(tagged(await a.command('s1', 'SETMETADATA INBOX (/private/comment "mine")')), /^s1 OK/);
    assert.match(tagged(await a.command('s2', 'SETMETADATA Work (/shared/comment "team" /private/color "#ff0000")')), /^s2 OK/);
    const r = await a.command('l', 'LIST "" "*" RETURN (METADATA ("/shared/comment" "/private/comment"))');
    assert.match(tagged(r), /^l OK/);
    const lines = r.slice(0, -1);
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    const inbox = at(/^\* LIST \(.*\) "\/" INBOX$/);
    const work = at(/^\* LIST \(.*\) "\/" Work$/);
    assert.ok(inbox >= 0 && work >= 0 && at(/^\* LIST \(.*\) "\/" Plain$/) >= 0, JSON.stringify(lines));
    assert.equal(lines[inbox + 1], '* METADATA INBOX (/private/comment "mine")');
    // Only the entries asked for, and none without a value: Work has no /private/comment here.
    assert.equal(lines[work + 1], '* METADATA Work (/shared/comment "team")');
    // A mailbox with none of the entries gets no METADATA response at all.
    assert.equal(lines.filter((l) => l.startsWith('* METADATA')).length, 2, JSON.stringify(lines));
    // Other return options combine with it.
    const both = await a.command('l2', 'LIST "" "Work" RETURN (SUBSCRIBED METADATA ("/private/color"))');
    assert.deepEqual(both.slice(0, -1), ['* LIST (\\HasNoChildren) "/" Work', '* METADATA Work (/private/color "#ff0000")']);
  } finally {
    a.close();
    await h.close();
  }
});

test('RFC 9590 §3 with RFC 5464 §4.2.1: MAXSIZE leaves long values out and the tagged OK says METADATA LONGENTRIES', async () => {
  const h = await startImap({ users: { [ALICE]: PASS } });
  const a = await RawClient.loggedIn(h.port, ALICE, PASS);
  try {
    const long = 'x'.repeat(40);
    assert.match(tagged(await a.command('s', `SETMETADATA INBOX (/shared/comment "${long}" /private/comment "short")`)), /^s OK/);
    const r = await a.command('l', 'LIST "" INBOX RETURN (METADATA (MAXSIZE 10 /shared/comment /private/comment))');
    assert.deepEqual(r.slice(0, -1), ['* LIST (\\HasNoChildren) "/" INBOX', '* METADATA INBOX (/private/comment "short")']);
    assert.match(tagged(r), /^l OK \[METADATA LONGENTRIES 40\]/);
    const all = await a.command('l2', 'LIST "" INBOX RETURN (METADATA (/shared/comment))');
    assert.ok(all.includes(`* METADATA INBOX (/shared/comment "${long}")`), JSON.stringify(all));
    assert.match(tagged(all), /^l2 OK LIST completed/);
  } finally {
    a.close();
    await h.close();
  }
});

test('RFC 9590 §3: a malformed METADATA return option is BAD', async () => {
  const h = await startImap({ users: { [ALICE]: PASS } });
  const a = await RawClient.loggedIn(h.port, ALICE, PASS);
  try {
    for (const [t, opt] of [
      ['b1', 'METADATA'],
      ['b2', 'METADATA ()'],
      ['b3', 'METADATA (/bogus/entry)'],
      ['b4', 'METADATA (MAXSIZE x /shared/comment)'],
      ['b5', 'METADATA ((DEPTH 1) /shared/comment)'],
    ]) {
      assert.match(tagged(await a.command(t, `LIST "" "*" RETURN (${opt})`)), new RegExp(`^${t} BAD`), opt);
    }
  } finally {
    a.close();
    await h.close();
  }
});

test('RFC 9590 §3 with RFC 4314: a reader of a shared mailbox gets its /shared entries and only their own /private ones', async () => {
  const h = await startImap({ users: { [ALICE]: PASS, [BOB]: PASS } });
  const a = await RawClient.loggedIn(h.port, ALICE, PASS);
  const b = await RawClient.loggedIn(h.port, BOB, PASS);
  try {
    assert.match(tagged(await a.command('acl', `SETACL INBOX ${BOB} lr`)), /^acl OK/);
    assert.match(tagged(await a.command('s', 'SETMETADATA INBOX (/shared/comment "team" /private/comment "alice")')), /^s OK/);
    const r = await b.command('l', `LIST "" "Other Users/${ALICE}/*" RETURN (METADATA (/shared/comment /private/comment))`);
    const shared = `"Other Users/${ALICE}/INBOX"`;
    const i = r.findIndex((l) => l.endsWith(`"/" ${shared}`));
    assert.ok(i >= 0, JSON.stringify(r));
    assert.equal(r[i + 1], `* METADATA ${shared} (/shared/comment "team")`);
    assert.ok(!r.some((l) => l.includes('"alice"')), JSON.stringify(r));
  } finally {
    a.close();
    b.close();
    await h.close();
  }
});
