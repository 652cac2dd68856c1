// "$group" ACL identifiers over IMAP (issue #24): alice shares Team with $support; bob, a member in
// the embedded users repository's groups, sees it in LIST (with its rights under LIST-MYRIGHTS) and
// may SELECT it; carol, not a member, gets exactly the answer a missing mailbox gets; taking bob out
// of the group ends his access at his next command (his session with Team selected ends with BYE,
// as after a revoked right).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedUsersRepository, type EmbeddedUsers } from '../../src/auth/users/sqlite-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';

const PW = 'acl-groups-pw';
const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
const TEAM = `"Other Users/${ALICE}/Team"`;

let h: ImapHarness;
let dir: string;
let embedded: EmbeddedUsers;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-acl-groups-'));
  embedded = await createEmbeddedUsersRepository(
    dir,
    { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
    { domainnames: ['example.org'], defaultDomain: 'example.org' },
    silentLogger(),
  );
  for (const u of [ALICE, BOB, CAROL]) await embedded.users.add(u, PW);
  await embedded.groups.addMember('support', BOB);
  await embedded.groups.addMember('sales', CAROL);
  h = await startImap({ users: { [ALICE]: PW, [BOB]: PW, [CAROL]: PW }, groups: embedded.users });
  const alice = await RawClient.loggedIn(h.port, ALICE, PW);
  try {
    for (const [tag, cmd] of [
      ['c1', 'CREATE Team'],
      ['g1', 'SETACL Team $Support lrs'],
      ['a1', 'APPEND Team {18}\r\nSubject: ticket\r\n\r\n'],
    ] as const) {
      assert.match((await alice.command(tag, cmd)).at(-1)!, new RegExp(`^${tag} OK`), cmd);
    }
    const acl = await alice.command('g2', 'GETACL Team');
    assert.equal(acl[0], `* ACL Team ${ALICE} lrswipkxtea $support lrs`);
  } finally {
    alice.close();
  }
});

after(async () => {
  await h?.close();
  await embedded?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lines = (user: string, cmds: string[]): Promise<string[][]> => RawClient.commandsAs(h.port, user, PW, cmds);

describe('"$group" ACL identifiers over IMAP', () => {
  it('a member sees the mailbox in LIST, selects it and holds the group\'s rights', async () => {
    const [list, sel, rights, fetch] = await lines(BOB, ['LIST "" "Other Users/*"', `SELECT ${TEAM}`, `MYRIGHTS ${TEAM}`, 'FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)])']);
    assert.ok(list!.some((l) => l.startsWith('* LIST') && l.endsWith(TEAM)), list!.join('\n'));
    assert.match(sel!.at(-1)!, /^t1 OK \[READ-WRITE\]/);
    assert.ok(sel!.includes('* 1 EXISTS'), sel!.join('\n'));
    assert.equal(rights![0], `* MYRIGHTS ${TEAM} lrs`);
    assert.match(fetch!.join('\n'), /Subject: ticket/);
  });

  it('LIST-MYRIGHTS (RFC 8440): RETURN (MYRIGHTS) follows each LIST line with its MYRIGHTS, the group\'s for a member, none for others', async () => {
    const [member] = await lines(BOB, ['LIST "" "Other Users/*" RETURN (MYRIGHTS)']);
    const at = member!.findIndex((l) => l.startsWith('* LIST') && l.endsWith(TEAM));
    assert.ok(at >= 0, member!.join('\n'));
    assert.equal(member![at + 1], `* MYRIGHTS ${TEAM} lrs`);
    const [own, other] = await lines(CAROL, ['LIST "" INBOX RETURN (MYRIGHTS)', 'LIST "" "Other Users/*" RETURN (MYRIGHTS)']);
    assert.deepEqual(own!.slice(0, 2), ['* LIST (\\HasNoChildren) "/" INBOX', '* MYRIGHTS INBOX lrswipkxtea']);
    assert.deepEqual(other!.filter((l) => l.startsWith('* ')), []);
  });

  it('a non-member gets the answers a missing mailbox gets', async () => {
    const [list, sel, missing, status, statusMissing] = await lines(CAROL, [
      'LIST "" "Other Users/*"',
      `SELECT ${TEAM}`,
      `SELECT "Other Users/${ALICE}/Nowhere"`,
      `STATUS ${TEAM} (MESSAGES)`,
      `STATUS "Other Users/${ALICE}/Nowhere" (MESSAGES)`,
    ]);
    assert.deepEqual(list!.filter((l) => l.startsWith('* LIST')), []);
    assert.match(sel!.at(-1)!, /^t1 NO \[NONEXISTENT\]/);
    assert.equal(sel!.at(-1)!.replace(/^t1 /, ''), missing!.at(-1)!.replace(/^t2 /, ''));
    assert.equal(status!.at(-1)!.replace(/^t3 /, ''), statusMissing!.at(-1)!.replace(/^t4 /, ''));
  });

  it('taking the member out of the group ends access at the next command', async () => {
    const bob = await RawClient.loggedIn(h.port, BOB, PW);
    try {
      assert.match((await bob.command('s1', `SELECT ${TEAM}`)).at(-1)!, /^s1 OK/);
      assert.equal(await embedded.groups.removeMember('support', BOB), true);
      bob.write('n1 NOOP\r\n');
      assert.equal(await bob.readLine(), '* BYE Access to the selected mailbox was revoked');
      assert.equal(await bob.closedWithin(5000), true);
    } finally {
      bob.close();
    }
    const [list, sel] = await lines(BOB, ['LIST "" "Other Users/*"', `SELECT ${TEAM}`]);
    assert.deepEqual(list!.filter((l) => l.startsWith('* LIST')), []);
    assert.match(sel!.at(-1)!, /^t1 NO \[NONEXISTENT\]/);
    // NOTIFY: back in the group, then out again: the next command reports the mailbox gone.
    await embedded.groups.addMember('support', BOB);
    const watcher = await RawClient.loggedIn(h.port, BOB, PW);
    try {
      const set = await watcher.command('n1', 'NOTIFY SET (subtree "Other Users" (MailboxName))');
      assert.match(set.at(-1)!, /^n1 OK/);
      await embedded.groups.removeMember('support', BOB);
      const noop = await watcher.command('n2', 'NOOP');
      assert.ok(noop.includes(`* LIST (\\NonExistent) "/" ${TEAM}`), noop.join('\n'));
    } finally {
      watcher.close();
    }
    // Back in the group, bob's next command sees it again, in the same connection.
    const again = await RawClient.loggedIn(h.port, BOB, PW);
    try {
      assert.match((await again.command('x1', `SELECT ${TEAM}`)).at(-1)!, /^x1 NO \[NONEXISTENT\]/);
      await embedded.groups.addMember('support', BOB);
      assert.match((await again.command('x2', `SELECT ${TEAM}`)).at(-1)!, /^x2 OK/);
    } finally {
      again.close();
    }
  });
});
