// The selected mailbox's view keeps each message's state in arrays aligned with its UIDs (issue #18):
// these check that they stay aligned through held-back and announced expunges, flag changes, new
// messages and STORE's own reports, that what get() hands out is a copy, and that equal flag lists
// are shared and cannot be changed through the view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SelectedView } from '../../src/imap/selected.js';
import { sharedFlagList } from '../../src/imap/flag-lists.js';
import type { Mailbox, MessageState } from '../../src/store/types.js';

function msg(uid: number, modseq: number, flags: string[] = []): MessageState {
  return { uid, emailId: `e${uid}`, modseq, flags };
}

function view(messages: MessageState[]): SelectedView {
  const mailbox = { uidValidity: 7, uidNext: 100, highestModSeq: 50 } as Mailbox;
  return new SelectedView('INBOX', 'mb1', false, { mailbox, messages }, 'alice', 'lrswipkxtea');
}

test('expunges held back keep their messages; announced ones go, highest sequence number first, and the rest stay aligned', () => {
  const v = view([msg(1, 10), msg(2, 11, ['\\Seen']), msg(3, 12), msg(5, 13, ['\\Flagged']), msg(8, 14)]);
  const held = v.apply({ changed: [msg(3, 60, ['\\Deleted'])], vanished: [2, 5, 6], highestModSeq: 60 }, false, true);
  assert.deepEqual(held.expunged, []);
  assert.deepEqual(held.changed.map((c) => c.seq), [3]);
  assert.deepEqual(v.uids, [1, 2, 3, 5, 8]);
  assert.deepEqual([...v.ghosts].sort((a, b) => a - b), [2, 5]);
  assert.equal(v.get(5)?.emailId, 'e5');

  const announced = v.apply({ changed: [msg(5, 61, ['\\Seen']), msg(9, 62, ['\\Seen'])], vanished: [], highestModSeq: 62 }, true, true);
  assert.deepEqual(announced.expunged, [{ seq: 4, uid: 5 }, { seq: 2, uid: 2 }]);
  assert.deepEqual(announced.newUids, [9]);
  assert.equal(announced.exists, 4);
  assert.deepEqual(v.uids, [1, 3, 8, 9]);
  assert.equal(v.get(5), undefined);
  assert.deepEqual(v.get(3), msg(3, 60, ['\\Deleted']));
  assert.deepEqual(v.get(8), msg(8, 14));
  assert.deepEqual(v.get(9), msg(9, 62, ['\\Seen']));
  assert.equal(v.seqOf(9), 4);
  assert.equal(v.uidNext, 100);
  assert.equal(v.syncedModseq, 62);
});

test('a change reported by STORE itself is not reported again; modseq-only changes count only when asked', () => {
  const v = view([msg(1, 10), msg(2, 11)]);
  v.record(msg(2, 20, ['\\Answered']));
  v.record(msg(4, 21, ['\\Seen']));
  assert.equal(v.get(4), undefined);
  const same = v.apply({ changed: [msg(2, 20, ['\\answered'])], vanished: [], highestModSeq: 20 }, true, true);
  assert.deepEqual(same.changed, []);
  const modseqOnly = v.apply({ changed: [msg(1, 30)], vanished: [], highestModSeq: 30 }, true, false);
  assert.deepEqual(modseqOnly.changed, []);
  assert.equal(v.get(1)?.modseq, 30);
  const counted = v.apply({ changed: [msg(1, 31)], vanished: [], highestModSeq: 31 }, true, true);
  assert.deepEqual(counted.changed.map((c) => c.seq), [1]);
});

test("what get() hands out is the caller's to change; equal flag lists are shared and frozen", () => {
  const v = view([msg(1, 10, ['\\Seen']), msg(2, 11, ['\\Seen'])]);
  const state = v.get(1)!;
  state.flags.push('\\Deleted');
  state.modseq = 99;
  assert.deepEqual(v.get(1), msg(1, 10, ['\\Seen']));

  const a = sharedFlagList(['\\Seen', '$Label']);
  assert.equal(sharedFlagList(['\\Seen', '$Label']), a);
  assert.notEqual(sharedFlagList(['$Label', '\\Seen']), a);
  assert.ok(Object.isFrozen(a));
});

test('at(), modseqOf() and flagsOf() read the reported state in place, and agree with get() through expunges', () => {
  const v = view([msg(1, 10), msg(4, 11, ['\\Seen']), msg(6, 12, ['\\Flagged'])]);
  v.apply({ changed: [msg(6, 20, ['\\Answered'])], vanished: [4], highestModSeq: 20 }, true, true);
  assert.deepEqual(v.uids, [1, 6]);
  assert.deepEqual(v.at(2), msg(6, 20, ['\\Answered']));
  assert.equal(v.at(0), undefined);
  assert.equal(v.at(3), undefined);
  assert.equal(v.modseqOf(6), 20);
  assert.equal(v.modseqOf(4), 0);
  assert.deepEqual(v.flagsOf(6), ['\\Answered']);
  assert.equal(v.flagsOf(4), undefined);
  // In place: the shared, frozen list itself, not a copy.
  assert.equal(v.flagsOf(6), v.at(2)!.flags);
  assert.ok(Object.isFrozen(v.flagsOf(6)));
  for (const uid of v.uids) assert.deepEqual(v.at(v.seqOf(uid)), v.get(uid));
});
