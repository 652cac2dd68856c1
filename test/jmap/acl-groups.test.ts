// "$group" ACL entries over JMAP (issue #24): alice's Team is shared with $support; bob, a member,
// finds alice's account in his session and reads Team with its myRights; carol, not a member, has
// no such account and is answered as for any account she cannot see; once bob leaves the group, his
// next request sees the same as carol.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, post, startHarness, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const MAIL = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

let h: Harness;
let aliceAccount: string;

before(async () => {
  h = await startHarness({ users: { [ALICE]: 'alice-pw', [BOB]: 'bob-pw', [CAROL]: 'carol-pw' } });
  aliceAccount = await accountIdOf(h, ALICE);
  const team = await h.store.createMailbox(ALICE, { path: 'Team' });
  await h.store.setRights(ALICE, team.id, '$support', 'lr');
  h.users.setGroups(BOB, ['support']);
  h.users.setGroups(CAROL, ['sales']);
});

after(() => h?.close());

async function sessionAccounts(user: string): Promise<string[]> {
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic(user) } });
  assert.equal(res.status, 200);
  return Object.keys(((await res.json()) as { accounts: Record<string, unknown> }).accounts);
}

async function mailboxesOf(user: string): Promise<unknown[]> {
  const r = await post(h, { using: MAIL, methodCalls: [['Mailbox/get', { accountId: aliceAccount, properties: ['name', 'myRights'] }, 'm']] }, h.basic(user));
  assert.equal(r.status, 200);
  return (r.body.methodResponses as unknown[][])[0]!;
}

describe('"$group" ACL entries over JMAP', () => {
  it("a member finds the owner's account in the session and reads the shared mailbox with its rights", async () => {
    assert.ok((await sessionAccounts(BOB)).includes(aliceAccount));
    const [name, args] = (await mailboxesOf(BOB)) as [string, { list: Array<{ name: string; myRights: Record<string, boolean> }> }];
    assert.equal(name, 'Mailbox/get');
    assert.deepEqual(args.list.map((m) => m.name), ['Team']);
    assert.equal(args.list[0]!.myRights['mayReadItems'], true);
    assert.equal(args.list[0]!.myRights['mayAddItems'], false);
  });

  it('a non-member has no such account; leaving the group makes the member one', async () => {
    const unknown = async (user: string) => {
      assert.ok(!(await sessionAccounts(user)).includes(aliceAccount));
      const [name, args] = (await mailboxesOf(user)) as [string, { type: string }];
      assert.deepEqual([name, args.type], ['error', 'accountNotFound']);
    };
    await unknown(CAROL);
    h.users.setGroups(BOB, []);
    await unknown(BOB);
  });
});

describe('"$group" entries and Mailbox shareWith', () => {
  it("the owner's shareWith lists users only, and writing it whole keeps the group's entry", async () => {
    const [box] = (await h.store.listMailboxes(ALICE)).filter((m) => m.path === 'Team');
    const using = [...MAIL, 'urn:ietf:params:jmap:principals'];
    const get = await post(h, { using, methodCalls: [['Mailbox/get', { accountId: aliceAccount, ids: [box!.id], properties: ['shareWith'] }, 'g']] });
    const [, args] = (get.body.methodResponses as unknown[][])[0] as [string, { list: Array<{ shareWith: unknown }> }];
    assert.equal(args.list[0]!.shareWith, null);
    const set = await post(h, { using, methodCalls: [['Mailbox/set', { accountId: aliceAccount, update: { [box!.id]: { shareWith: null } } }, 's']] });
    const [name, result] = (set.body.methodResponses as unknown[][])[0] as [string, { updated?: Record<string, unknown> }];
    assert.equal(name, 'Mailbox/set', JSON.stringify(result));
    assert.ok(result.updated && box!.id in result.updated, JSON.stringify(result));
    assert.deepEqual((await h.store.listRights(ALICE, box!.id)).map((e) => [e.identifier, e.rights]), [[ALICE, 'lrswipkxtea'], ['$support', 'lr']]);
  });
});
