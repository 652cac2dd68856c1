// The Shared namespace (RFC 2342 §6): the public mailboxes of a domain's account shared@<domain>,
// seen by other users as Shared/<mailbox> in NAMESPACE and LIST within the rights ("l") granted to
// them or to anyone, selectable within "r", invisible otherwise (the answers a missing mailbox gets),
// and watched by NOTIFY under the same names. A raw client on a real server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';

const PW = 'shared-namespace-pw';
const PUBLIC = 'shared@example.org';
const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
const DAVE = 'dave@other.example';

let h: ImapHarness;

before(async () => {
  h = await startImap({ users: { [PUBLIC]: PW, [BOB]: PW, [CAROL]: PW, [DAVE]: PW } });
  // The administrator of the public mailboxes logs in as the public account to set them up.
  const admin = await RawClient.loggedIn(h.port, PUBLIC, PW);
  try {
    for (const [tag, cmd] of [
      ['c1', 'CREATE Announcements/2026'],
      ['c2', 'CREATE Private'],
      ['g1', 'SETACL Announcements anyone lr'],
      ['g2', `SETACL Announcements/2026 ${BOB} lrs`],
      ['a1', 'APPEND Announcements {16}\r\nSubject: hello\r\n\r\n'],
    ] as const) {
      assert.match((await admin.command(tag, cmd)).at(-1)!, new RegExp(`^${tag} OK`), cmd);
    }
  } finally {
    admin.close();
  }
});

after(async () => {
  await h?.close();
});

const lines = (user: string, cmds: string[]): Promise<string[][]> => RawClient.commandsAs(h.port, user, PW, cmds);

describe('Shared namespace', () => {
  it('NAMESPACE names it when the domain has a public account, NIL otherwise', async () => {
    const [bob] = await lines(BOB, ['NAMESPACE']);
    assert.equal(bob![0], '* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))');
    const [dave] = await lines(DAVE, ['NAMESPACE']);
    assert.equal(dave![0], '* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL');
  });

  it('LIST shows each user the public mailboxes granted to them or to anyone, under Shared/', async () => {
    const [bob] = await lines(BOB, ['LIST "" "*"']);
    assert.ok(bob!.includes('* LIST (\\HasChildren) "/" Shared/Announcements'), bob!.join('\n'));
    assert.ok(bob!.includes('* LIST (\\HasNoChildren) "/" Shared/Announcements/2026'), bob!.join('\n'));
    assert.ok(bob!.includes('* LIST (\\Noselect \\HasChildren) "/" Shared'), bob!.join('\n'));
    assert.ok(!bob!.some((l) => l.includes('Private') || l.includes('Other Users')), bob!.join('\n'));
    const [carol] = await lines(CAROL, ['LIST "" "Shared/*"']);
    assert.deepEqual(carol!.filter((l) => l.startsWith('* LIST')), ['* LIST (\\HasNoChildren) "/" Shared/Announcements']);
  });

  it('SELECT within "r" is read-only without write rights; a mailbox without "l" answers as a missing one', async () => {
    const [sel, rights, fetch] = await lines(CAROL, ['SELECT Shared/Announcements', 'MYRIGHTS Shared/Announcements', 'FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)])']);
    assert.match(sel!.at(-1)!, /^t0 OK \[READ-ONLY\]/);
    assert.ok(sel!.includes('* 1 EXISTS'), sel!.join('\n'));
    assert.deepEqual(rights!.slice(0, 1), ['* MYRIGHTS Shared/Announcements lr']);
    assert.match(fetch!.join('\n'), /Subject: hello/);
    const hidden = await lines(CAROL, ['SELECT Shared/Announcements/2026', 'SELECT Shared/Nowhere', 'STATUS Shared/Private (MESSAGES)', 'STATUS Shared/Missing (MESSAGES)']);
    const answers = hidden.map((r) => r.at(-1)!.replace(/^t\d+ /, ''));
    assert.equal(answers[0], answers[1], 'no right to look up: the same answer as a missing mailbox');
    assert.equal(answers[2], answers[3]);
    assert.match(answers[0]!, /^NO \[NONEXISTENT\]/);
  });

  it('the public account itself sees its mailboxes as personal ones', async () => {
    const [ns, list] = await lines(PUBLIC, ['NAMESPACE', 'LIST "" "*"']);
    assert.equal(ns![0], '* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL');
    assert.ok(list!.includes('* LIST (\\HasNoChildren) "/" Private'), list!.join('\n'));
  });

  it('NOTIFY watches public mailboxes under their Shared/ names', async () => {
    const bob = await RawClient.loggedIn(h.port, BOB, PW);
    const admin = await RawClient.loggedIn(h.port, PUBLIC, PW);
    try {
      assert.match((await bob.command('n', 'NOTIFY SET (subtree Shared (MessageNew MessageExpunge))')).at(-1)!, /^n OK/);
      assert.match((await admin.command('a', 'APPEND Announcements {16}\r\nSubject: again\r\n\r\n')).at(-1)!, /^a OK/);
      let line = '';
      while (!line.startsWith('* STATUS')) {
        line = await bob.readLine(10_000);
        assert.ok(line !== '' || !bob.closed, 'the connection closed before the STATUS');
      }
      assert.match(line, /^\* STATUS Shared\/Announcements \(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \d+\)$/);
    } finally {
      bob.close();
      admin.close();
    }
  });
});
