// SearchStore contract: IMAP SEARCH/SORT inside a mailbox and JMAP Email/query over the account.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MailStore } from '../../../src/store/types.js';
import { message, MULTIPART } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runSearchContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`SearchStore contract: ${name}`, () => {
    async function seed(store: MailStore): Promise<{ inboxId: string; ids: string[] }> {
      const inboxId = await inbox(store);
      const ids: string[] = [];
      const add = async (bytes: Buffer, flags: string[], at: string) =>
        ids.push((await store.append(USER, { mailboxIds: [inboxId], bytes, flags, receivedAt: new Date(at) })).emailId);
      await add(message({ from: 'Zed <zed@example.org>', subject: 'Quarterly numbers', body: 'revenue grew strongly', date: 'Wed, 01 Feb 2023 09:00:00 +0000' }), ['\\Seen'], '2023-02-01T09:00:00Z');
      await add(message({ from: 'amy@example.org', subject: 'Lunch?', body: 'pizza or sushi', extraHeaders: ['X-Priority: 1'], date: 'Thu, 02 Feb 2023 09:00:00 +0000' }), [], '2023-02-02T09:00:00Z');
      await add(MULTIPART, ['\\Flagged'], '2023-02-03T09:00:00Z');
      return { inboxId, ids };
    }

    it('answers IMAP SEARCH criteria', async () => {
      await withStore(async (store) => {
        const { inboxId } = await seed(store);
        const q = async (criteria: Parameters<MailStore['searchMailbox']>[2]['criteria']) => (await store.searchMailbox(USER, inboxId, { criteria })).uids;
        assert.deepEqual(await q({ kind: 'all' }), [1, 2, 3]);
        assert.deepEqual(await q({ kind: 'flag', flag: '\\Seen', present: false }), [2, 3]);
        assert.deepEqual(await q({ kind: 'text', field: 'from', value: 'AMY' }), [2]);
        assert.deepEqual(await q({ kind: 'text', field: 'subject', value: 'café' }), [3]);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'venue gr' }), [1]);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'est prêt' }), [3]);
        assert.deepEqual(await q({ kind: 'text', field: 'text', value: 'X-Priority' }), [2]);
        // JMAP text: the address fields, Subject and body, not the other headers (Message-ID included).
        assert.deepEqual(await q({ kind: 'text', field: 'text', value: 'multi@' }), [3]);
        assert.deepEqual(await q({ kind: 'text', field: 'fieldsAndBody', value: 'multi@' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'fieldsAndBody', value: 'X-Priority' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'fieldsAndBody', value: 'amy@' }), [2]);
        assert.deepEqual(await q({ kind: 'text', field: 'fieldsAndBody', value: 'quarterly' }), [1]);
        assert.deepEqual(await q({ kind: 'text', field: 'fieldsAndBody', value: 'sushi' }), [2]);
        assert.deepEqual(await q({ kind: 'text', field: 'fieldsAndBody', value: 'zz' }), [2]);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'qq' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'su' }), [2]);
        // Any character is a character to look for: NUL, quotes, an FTS or LIKE operator.
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'revenue\u0000grew' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'text', value: 'sushi\u0000' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: '"revenue' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'grew%' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'subject', value: 'Lunch?' }), [2]);
        assert.deepEqual(await q({ kind: 'header', name: 'x-priority', value: '1\u0000' }), []);
        assert.deepEqual(await q({ kind: 'header', name: 'x-priority\u0000', value: '' }), []);
        assert.deepEqual(await q({ kind: 'header', name: 'x-priority', value: '' }), [2]);
        assert.deepEqual(await q({ kind: 'header', name: 'Message-ID', value: 'multi@' }), [3]);
        assert.deepEqual(await q({ kind: 'receivedAt', notBefore: new Date('2023-02-02T00:00:00Z'), before: new Date('2023-02-03T00:00:00Z') }), [2]);
        assert.deepEqual(await q({ kind: 'sentAt', before: new Date('2023-02-01T00:00:00Z') }), [3]);
        assert.deepEqual(await q({ kind: 'size', larger: 400 }), [3]);
        assert.deepEqual(await q({ kind: 'or', of: [{ kind: 'uid', uids: [1] }, { kind: 'flag', flag: '\\Flagged', present: true }] }), [1, 3]);
        assert.deepEqual(await q({ kind: 'not', of: { kind: 'uid', uids: [[1, 2]] } }), [3]);
        const sorted = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'all' }, sort: [{ key: 'subject' }] });
        assert.deepEqual(sorted.uids, [3, 2, 1]);
        const bySize = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'all' }, sort: [{ key: 'size', descending: true }] });
        assert.equal(bySize.uids[0], 3);
        const byFrom = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'all' }, sort: [{ key: 'from' }] });
        assert.deepEqual(byFrom.uids, [2, 3, 1]);
      });
    });

    it('compares text under i;unicode-casemap: Unicode case folding and compatibility forms (RFC 5255 §4, RFC 5051)', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const add = (subject: string, body: string) => store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject, body }) });
        await add('Viel ÄRGER heute', 'Das ist ärger als gedacht'); // uid 1
        await add('ǅemal report', 'ＴＥＳＳＥＲＡ in fullwidth, ﬁnal ligature'); // uid 2
        await add('Straße', 'ΟΔΟΣ and οδός'); // uid 3
        const q = async (criteria: Parameters<MailStore['searchMailbox']>[2]['criteria']) => (await store.searchMailbox(USER, inboxId, { criteria })).uids;
        // Non-ASCII letters fold both ways, in the indexed (3+ characters) and the scanning path.
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'ÄRGER' }), [1]);
        assert.deepEqual(await q({ kind: 'text', field: 'subject', value: 'ärger' }), [1]);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'Ä' }), [1]);
        assert.deepEqual(await q({ kind: 'text', field: 'subject', value: 'ä' }), [1]);
        // The three forms of the digraph (Ǆ, ǅ, ǆ) are one letter.
        for (const v of ['ǄEMAL', 'ǆemal', 'ǅEMAL', 'ǆ']) assert.deepEqual(await q({ kind: 'text', field: 'subject', value: v }), [2], v);
        // NFKD: fullwidth letters and ligatures match their plain forms.
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'tessera' }), [2]);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'FINAL' }), [2]);
        // Greek: final sigma folds with Σ; accents still count (ό is not ο).
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'οδος' }), [3]);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'οδόσ' }), [3]);
        assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'ODOS' }), []);
        // Simple case mapping only: ß is not "ss".
        assert.deepEqual(await q({ kind: 'text', field: 'subject', value: 'STRASSE' }), []);
        assert.deepEqual(await q({ kind: 'text', field: 'subject', value: 'STRAßE' }), [3]);
        // Header criteria fold the same way.
        assert.deepEqual(await q({ kind: 'header', name: 'subject', value: 'viel ärger' }), [1]);
        assert.deepEqual(await q({ kind: 'header', name: 'subject', value: 'Ǆ' }), [2]);
        assert.deepEqual(await q({ kind: 'text', field: 'text', value: 'ǅEMAL REPORT' }), [2]);
      });
    });

    it('answers JMAP Email/query with sorting, collapse and paging', async () => {
      await withStore(async (store) => {
        const { inboxId, ids } = await seed(store);
        const reply = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'Re: Café report', inReplyTo: 'multi@example.net' }), receivedAt: new Date('2023-02-04T00:00:00Z') });
        const all = await store.queryEmails(USER, { filter: { kind: 'inMailbox', mailboxId: inboxId } });
        assert.deepEqual(all.ids, [reply.emailId, ids[2], ids[1], ids[0]]);
        const collapsed = await store.queryEmails(USER, { filter: { kind: 'all' }, collapseThreads: true });
        assert.deepEqual(collapsed.ids, [reply.emailId, ids[1], ids[0]]);
        assert.equal(collapsed.total, 3);
        const page = await store.queryEmails(USER, { filter: { kind: 'all' }, position: 1, limit: 2 });
        assert.deepEqual(page.ids, [ids[2], ids[1]]);
        const fast = await store.queryEmails(USER, { filter: { kind: 'all' }, position: 1, limit: 2, calculateTotal: false });
        assert.deepEqual(fast.ids, page.ids);
        const anchored = await store.queryEmails(USER, { filter: { kind: 'all' }, anchor: ids[1]!, anchorOffset: 1, limit: 5 });
        assert.deepEqual(anchored.ids, [ids[0]]);
        const thread = await store.queryEmails(USER, { filter: { kind: 'threadKeyword', keyword: '$flagged', mode: 'some' } });
        assert.deepEqual(thread.ids.sort(), [reply.emailId, ids[2]].sort());
        const att = await store.queryEmails(USER, { filter: { kind: 'hasAttachment', value: true } });
        assert.deepEqual(att.ids, [ids[2]]);
        const kw = await store.queryEmails(USER, { filter: { kind: 'flag', flag: '$seen', present: true } });
        assert.deepEqual(kw.ids, [ids[0]]);
      });
    });

    it('finds keywords and flags as they are set, cleared, copied and destroyed', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const archive = (await store.findMailboxByRole(USER, 'archive'))!;
        const other = 'bob@example.org';
        await store.ensureAccount(other);
        const otherInbox = (await store.findMailboxByPath(other, 'INBOX'))!.id;
        await store.append(other, { mailboxIds: [otherInbox], bytes: message({}), flags: ['Project-X', '\\Flagged'] });
        const a = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'a' }), flags: ['Project-X', '\\Seen'] });
        const b = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'b' }), flags: ['\\Flagged'] });
        const c = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'c' }) });
        const search = async (mb: string, flag: string, present = true) =>
          (await store.searchMailbox(USER, mb, { criteria: { kind: 'flag', flag, present } })).uids;
        const query = async (flag: string, present = true) =>
          (await store.queryEmails(USER, { filter: { kind: 'flag', flag, present } })).ids.sort();
        assert.deepEqual(await search(inboxId, 'project-x'), [1], 'keywords match case-insensitively, in this account only');
        assert.deepEqual(await search(inboxId, '\\Seen', false), [2, 3]);
        assert.deepEqual(await search(inboxId, '\\Flagged'), [2]);
        assert.deepEqual(await query('$flagged'), [b.emailId]);
        await store.storeFlags(USER, inboxId, [3], { mode: 'add', flags: ['project-x', '\\Seen', '\\Flagged'] });
        await store.storeFlags(USER, inboxId, [1], { mode: 'remove', flags: ['Project-X'] });
        assert.deepEqual(await search(inboxId, 'PROJECT-X'), [3]);
        assert.deepEqual(await search(inboxId, '\\Seen', false), [2]);
        assert.deepEqual(await search(inboxId, '\\Flagged'), [2, 3]);
        await store.updateEmails(USER, [{ emailId: a.emailId, keywords: { add: ['$label1'] } }, { emailId: b.emailId, keywords: { set: ['$label1'] } }]);
        assert.deepEqual(await query('$label1'), [a.emailId, b.emailId].sort());
        assert.deepEqual(await query('$flagged'), [c.emailId]);
        const copied = await store.copy(USER, inboxId, [2], archive.id);
        assert.deepEqual(await search(archive.id, '$label1'), copied.destinationUids);
        assert.deepEqual(await search(archive.id, '\\Seen', false), copied.destinationUids);
        await store.destroyEmails(USER, [b.emailId]);
        assert.deepEqual(await search(inboxId, '$label1'), [1]);
        assert.deepEqual(await search(inboxId, '\\Seen', false), []);
        assert.deepEqual(await query('$label1'), [a.emailId]);
      });
    });

    it('counts the whole result when it returns only a page', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        for (let i = 0; i < 9; i++) {
          const root = i - (i % 3);
          await store.append(USER, {
            mailboxIds: [inboxId],
            bytes: message({ subject: root === i ? `topic ${root}` : `Re: topic ${root}`, messageId: `t${i}@x`, ...(root !== i ? { inReplyTo: `t${root}@x` } : {}) }),
            receivedAt: new Date(Date.UTC(2024, 0, 1 + i)),
            flags: i % 2 ? ['\\Seen'] : [],
          });
        }
        const filter = { kind: 'inMailbox', mailboxId: inboxId } as const;
        const page = await store.queryEmails(USER, { filter, collapseThreads: true, limit: 2 });
        assert.equal(page.ids.length, 2);
        assert.equal(page.total, 3);
        const flat = await store.queryEmails(USER, { filter, position: 3, limit: 2 });
        assert.equal(flat.total, 9);
        assert.equal(flat.position, 3);
        const all = await store.queryEmails(USER, { filter });
        assert.deepEqual(flat.ids, all.ids.slice(3, 5));
        const unread = await store.queryEmails(USER, { filter: { kind: 'and', of: [filter, { kind: 'flag', flag: '$seen', present: false }] }, limit: 1 });
        assert.equal(unread.total, 5);
        const bounded = await store.queryEmails(USER, { filter, limit: 2, calculateTotal: false });
        assert.deepEqual(bounded.ids, all.ids.slice(0, 2));
      });
    });
  });
}
