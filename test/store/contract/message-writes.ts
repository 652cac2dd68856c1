// MessageWriter contract: append, copy/move, flags, expunge, JMAP patches and destroy, the events
// they publish, malformed input and concurrent writers.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StateMismatchError } from '../../../src/store/types.js';
import { message, MULTIPART } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runMessageWritesContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox, nextEvents } = storeHarness(factory);

  describe(`MessageWriter contract: ${name}`, () => {
    it('appends byte-exact with increasing UIDs and a parsed cache', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const a = await store.append(USER, { mailboxIds: [inboxId], bytes: MULTIPART, flags: ['\\Seen', '$Forwarded'], receivedAt: new Date('2023-01-05T00:00:00Z') });
        const second = message({});
        const b = await store.append(USER, { mailboxIds: [inboxId], bytes: second });
        assert.equal(a.placements[0]!.uid, 1);
        assert.equal(b.placements[0]!.uid, 2);
        assert.ok(b.placements[0]!.modseq > a.placements[0]!.modseq);
        assert.deepEqual(await store.readMessage(USER, a.emailId), MULTIPART);
        assert.deepEqual(await store.readMessage(USER, a.emailId, { start: 0, end: 5 }), MULTIPART.subarray(0, 5));
        const [meta] = await store.getMessages(USER, inboxId, [1], { parsed: true });
        assert.ok(meta?.parsed);
        assert.deepEqual(meta.flags.sort(), ['$Forwarded', '\\Seen']);
        assert.equal(meta.receivedAt.toISOString(), '2023-01-05T00:00:00.000Z');
        assert.equal(meta.parsed.subject, 'Café report');
        assert.equal(meta.parsed.envelope.subject, '=?utf-8?q?Caf=C3=A9_report?=');
        assert.deepEqual(meta.parsed.envelope.from, [{ name: 'Carol', adl: null, mailbox: 'carol', host: 'example.net' }]);
        assert.equal(meta.parsed.hasAttachment, true);
        const body = meta.parsed.body;
        assert.equal(body.type, 'multipart');
        assert.equal(body.children.length, 2);
        const text = body.children[0]!;
        assert.equal(text.partId, '1');
        assert.equal(MULTIPART.subarray(text.bodyStart, text.end).toString(), 'Le caf=E9 est pr=EAt.');
        assert.equal(body.children[1]!.disposition?.params.filename, 'data.bin');
        assert.equal(meta.parsed.preview, 'Le café est prêt.');
        const [email] = await store.getEmails(USER, [a.emailId]);
        assert.deepEqual(email?.keywords.sort(), ['$forwarded', '$seen']);
        const mb = await store.getMailbox(USER, inboxId);
        assert.equal(mb?.totalEmails, 2);
        assert.equal(mb?.unseen, 1);
        assert.equal(mb?.uidNext, 3);
        assert.equal(mb?.size, MULTIPART.length + second.length);
      });
    });

    it('keeps keywords per email and \\Deleted per mailbox', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const other = await store.createMailbox(USER, { path: 'Other' });
        const r = await store.append(USER, { mailboxIds: [inboxId, other.id], bytes: message({}) });
        const uidIn = r.placements[0]!.uid;
        const uidOther = r.placements[1]!.uid;
        await store.storeFlags(USER, inboxId, [uidIn], { mode: 'add', flags: ['\\Seen', '\\Deleted'] });
        const [inOther] = await store.getMessages(USER, other.id, [uidOther]);
        assert.deepEqual(inOther?.flags, ['\\Seen']);
        const [inInbox] = await store.getMessages(USER, inboxId, [uidIn]);
        assert.deepEqual(inInbox?.flags.sort(), ['\\Deleted', '\\Seen']);
        assert.ok(inOther.modseq > r.placements[1]!.modseq, 'keyword change bumps every membership');
        const exp = await store.expunge(USER, inboxId);
        assert.deepEqual(exp.uids, [uidIn]);
        const [email] = await store.getEmails(USER, [r.emailId]);
        assert.deepEqual(email?.mailboxIds, [other.id]);
      });
    });

    it('STORE with UNCHANGEDSINCE reports the modified set and changes nothing there', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        for (let i = 0; i < 3; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        const snap = await store.snapshot(USER, inboxId);
        const base = snap.mailbox.highestModSeq;
        await store.storeFlags(USER, inboxId, [2], { mode: 'add', flags: ['\\Flagged'] });
        const res = await store.storeFlags(USER, inboxId, [[1, 3]], { mode: 'add', flags: ['\\Seen'], unchangedSince: base });
        assert.deepEqual(res.modified, [2]);
        assert.deepEqual(res.messages.map((m) => m.uid), [1, 3]);
        assert.ok(res.messages.every((m) => m.changed && m.flags.includes('\\Seen')));
        const [two] = await store.getMessages(USER, inboxId, [2]);
        assert.deepEqual(two?.flags, ['\\Flagged']);
        const again = await store.storeFlags(USER, inboxId, [1], { mode: 'add', flags: ['\\Seen'] });
        assert.equal(again.messages[0]!.changed, false);
        assert.equal(again.messages[0]!.modseq, res.messages[0]!.modseq);
        const replaced = await store.storeFlags(USER, inboxId, [1], { mode: 'set', flags: ['junk'] });
        assert.deepEqual(replaced.messages[0]!.flags, ['junk']);
      });
    });

    it('copies and moves with a UID mapping; a copy into the same mailbox is a new email', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const dest = await store.createMailbox(USER, { path: 'Dest' });
        for (let i = 0; i < 3; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: `m${i}` }) });
        const copy = await store.copy(USER, inboxId, [[2, 9]], dest.id);
        assert.deepEqual(copy.sourceUids, [2, 3]);
        assert.deepEqual(copy.destinationUids, [1, 2]);
        assert.equal(copy.uidValidity, dest.uidValidity);
        const moved = await store.move(USER, inboxId, [1], dest.id);
        assert.deepEqual(moved.destinationUids, [3]);
        assert.deepEqual((await store.snapshot(USER, inboxId)).messages.map((m) => m.uid), [2, 3]);
        const self = await store.copy(USER, dest.id, [1], dest.id);
        const [orig, dup] = await store.getMessages(USER, dest.id, [1, self.destinationUids[0]!]);
        assert.notEqual(orig?.emailId, dup?.emailId);
        assert.equal(orig?.blobId, dup?.blobId);
      });
    });

    it('JMAP keyword and mailboxIds patches, ifInState and destroy', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const archive = (await store.findMailboxByRole(USER, 'archive'))!;
        const r = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        const states = await store.getStates(USER);
        const res = await store.updateEmails(USER, [
          { emailId: r.emailId, keywords: { add: ['$seen', '$Label'] }, mailboxIds: { set: [archive.id] } },
          { emailId: 'e999999', keywords: { set: [] } },
        ]);
        assert.deepEqual(res.updated, [r.emailId]);
        assert.equal(res.notUpdated[0]?.type, 'notFound');
        const [email] = await store.getEmails(USER, [r.emailId]);
        assert.deepEqual(email?.keywords.sort(), ['$label', '$seen']);
        assert.deepEqual(email?.mailboxIds, [archive.id]);
        const [inArchive] = await store.getMessages(USER, archive.id, [1]);
        assert.equal(inArchive?.emailId, r.emailId);
        assert.deepEqual((await store.changedSince(USER, inboxId, 0)).vanished, [1]);
        const empty = await store.updateEmails(USER, [{ emailId: r.emailId, mailboxIds: { set: [] } }]);
        assert.equal(empty.notUpdated[0]?.type, 'invalidProperties');
        await assert.rejects(store.destroyEmails(USER, [r.emailId], { ifInState: states.Email }), StateMismatchError);
        const d = await store.destroyEmails(USER, [r.emailId]);
        assert.deepEqual(d.destroyed, [r.emailId]);
        assert.deepEqual(await store.getEmails(USER, [r.emailId]), []);
        assert.equal(await store.readMessage(USER, r.emailId), null);
      });
    });

    it('never gives a new email, thread or mailbox the id of a destroyed one (JMAP ids are not reassigned)', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const first = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'one' }) });
        const newest = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'two' }) });
        await store.destroyEmails(USER, [newest.emailId]);
        const next = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'three' }) });
        assert.notEqual(next.emailId, newest.emailId);
        assert.notEqual(next.threadId, newest.threadId);
        assert.notEqual(next.emailId, first.emailId);
        const box = await store.createMailbox(USER, { path: 'Doomed' });
        await store.deleteMailbox(USER, box.id, { removeEmails: true });
        const again = await store.createMailbox(USER, { path: 'Doomed' });
        assert.notEqual(again.id, box.id);
        // A copy into the same mailbox is a new email too.
        const copied = await store.copy(USER, inboxId, [1], inboxId);
        const [clone] = await store.getMessages(USER, inboxId, [copied.destinationUids[0]!]);
        assert.ok(clone && ![first.emailId, newest.emailId, next.emailId].includes(clone.emailId));
      });
    });

    it('publishes added, flag, expunge and state events after commit', async () => {
      await withStore(async (store, bus) => {
        const inboxId = await inbox(store);
        await new Promise((res) => setImmediate(res)); // let account creation events drain first
        const perMailbox: string[] = [];
        const off = bus.onMailbox(USER, inboxId, (e) => perMailbox.push(e.type));
        const added = nextEvents(bus, USER, 2);
        const r = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) }, { origin: 's1', delivery: true });
        const [a, s] = await added;
        assert.equal(a?.type, 'messages-added');
        if (a?.type === 'messages-added') {
          assert.deepEqual(a.messages, [{ uid: 1, emailId: r.emailId, modseq: r.placements[0]!.modseq }]);
          assert.equal(a.origin, 's1');
          assert.equal(a.delivery, true);
        }
        assert.equal(s?.type, 'state-changed');
        if (s?.type === 'state-changed') {
          const states = await store.getStates(USER);
          assert.equal(s.changed.Email, states.Email);
          assert.equal(s.changed.EmailDelivery, states.EmailDelivery);
        }
        const flagged = nextEvents(bus, USER, 1);
        await store.storeFlags(USER, inboxId, [1], { mode: 'add', flags: ['\\Deleted'] });
        const [f] = await flagged;
        assert.equal(f?.type, 'flags-changed');
        const gone = nextEvents(bus, USER, 1);
        await store.expunge(USER, inboxId);
        const [x] = await gone;
        assert.equal(x?.type, 'messages-expunged');
        if (x?.type === 'messages-expunged') assert.deepEqual(x.uids, [1]);
        await new Promise((res) => setImmediate(res));
        off();
        assert.deepEqual(perMailbox, ['messages-added', 'flags-changed', 'messages-expunged']);
      });
    });

    it('stores malformed messages byte-exact and never throws from append', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const samples = [
          Buffer.alloc(0),
          Buffer.from('no headers at all, just text\r\n'),
          Buffer.from('Subject: caf\xe9 \xff\xfe\r\nFrom: \xc3\xa9 <x@y>\r\n\r\n8-bit body \x80\x81\r\n', 'latin1'),
          Buffer.from('Content-Type: multipart/mixed; boundary="never"\r\n\r\nno boundary here\r\n'),
          Buffer.from('Content-Type: multipart/mixed\r\n\r\nmissing boundary parameter\r\n'),
          Buffer.from('Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@not base64!!\r\n'),
          Buffer.from('Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nbroken =ZZ soft=\r\n'),
          Buffer.from('From: <<<@@@>>>\r\nTo: ,,,;;;\r\nDate: not a date\r\nSubject: =?bogus?X?abc?=\r\n\r\nbody'),
          Buffer.from('Content-Type: multipart/mixed; boundary=a\r\n\r\n' + '--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n'.repeat(200)),
          Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10, 0]),
        ];
        for (const bytes of samples) {
          const r = await store.append(USER, { mailboxIds: [inboxId], bytes });
          assert.deepEqual(await store.readMessage(USER, r.emailId), bytes);
          const [meta] = await store.getMessages(USER, inboxId, [r.placements[0]!.uid], { parsed: true });
          assert.ok(meta?.parsed?.body);
          assert.equal(meta.size, bytes.length);
        }
        const found = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'just text' } });
        assert.deepEqual(found.uids, [2]);
      });
    });

    it('never duplicates a UID or loses a flag under concurrent writers', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        const appends = await Promise.all(
          Array.from({ length: 60 }, (_, i) => store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: `c${i}` }) })),
        );
        const uids = appends.map((a) => a.placements[0]!.uid).sort((a, b) => a - b);
        assert.deepEqual(uids, Array.from({ length: 60 }, (_, i) => i + 1));
        const keywords = Array.from({ length: 20 }, (_, i) => `k${i}`);
        await Promise.all(keywords.map((k) => store.storeFlags(USER, inboxId, [[1, 60]], { mode: 'add', flags: [k] })));
        const snap = await store.snapshot(USER, inboxId);
        for (const m of snap.messages) assert.equal(m.flags.length, 20, `uid ${m.uid} lost a flag`);
        const modseqs = new Set(snap.messages.map((m) => m.modseq));
        assert.equal(modseqs.size, 60);
      });
    });
  });
}
