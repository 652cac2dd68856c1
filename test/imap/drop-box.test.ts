// A drop box (RFC 4314 §2.1, "i" alone): a user granted only "i" on another user's mailbox may
// APPEND to it and COPY or MOVE into it, and learns nothing else of it: it is not listed, not
// selectable, and its contents stay hidden. A user without the right gets the answer a missing
// mailbox gets. A raw client on a real server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';

const PW = 'drop-box-pw';
const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
const DROP = `"Other Users/${ALICE}/Homework"`;
const MESSAGE = 'Subject: essay\r\n\r\nmine\r\n';

let h: ImapHarness;

before(async () => {
  h = await startImap({ users: { [ALICE]: PW, [BOB]: PW, [CAROL]: PW } });
  const [create, grant] = await RawClient.commandsAs(h.port, ALICE, PW, ['CREATE Homework', `SETACL Homework ${BOB} i`]);
  assert.match(create!.at(-1)!, /^t0 OK/);
  assert.match(grant!.at(-1)!, /^t1 OK/);
});

after(async () => {
  await h?.close();
});

const lines = (user: string, cmds: string[]): Promise<string[][]> => RawClient.commandsAs(h.port, user, PW, cmds);

describe('drop box ("i" alone)', () => {
  it('takes APPEND, COPY and MOVE from a user who holds "i", who still cannot list, select or read it', async () => {
    const [append, own, sel, copy, move, list, select, rights] = await lines(BOB, [
      `APPEND ${DROP} {${MESSAGE.length}+}\r\n${MESSAGE}`,
      `APPEND INBOX {${MESSAGE.length}+}\r\n${MESSAGE}`,
      'SELECT INBOX',
      `COPY 1 ${DROP}`,
      `MOVE 1 ${DROP}`,
      'LIST "" "Other Users/*"',
      `SELECT ${DROP}`,
      `STATUS ${DROP} (MESSAGES)`,
    ]);
    assert.match(append!.at(-1)!, /^t0 OK/, append!.join('\n'));
    assert.match(own!.at(-1)!, /^t1 OK/);
    assert.match(sel!.at(-1)!, /^t2 OK/);
    assert.match(copy!.at(-1)!, /^t3 OK/, copy!.join('\n'));
    assert.match(move!.at(-1)!, /^t4 OK/, move!.join('\n'));
    assert.ok(!list!.some((l) => l.includes('Homework')), list!.join('\n'));
    assert.match(select!.at(-1)!, /^t6 NO \[NONEXISTENT\]/);
    assert.match(rights!.at(-1)!, /^t7 NO \[NONEXISTENT\]/);
    const [mine] = await lines(ALICE, ['STATUS Homework (MESSAGES)']);
    assert.ok(mine!.includes('* STATUS Homework (MESSAGES 3)'), mine!.join('\n'));
  });

  it('answers a user without "i" as if the mailbox did not exist', async () => {
    const [append, missing] = await lines(CAROL, [`APPEND ${DROP} {${MESSAGE.length}+}\r\n${MESSAGE}`, `APPEND "Other Users/${ALICE}/Nowhere" {${MESSAGE.length}+}\r\n${MESSAGE}`]);
    assert.equal(append!.at(-1)!.replace(/^t0 /, ''), missing!.at(-1)!.replace(/^t1 /, ''));
    assert.match(append!.at(-1)!, /^t0 NO \[NONEXISTENT\]/);
  });
});
