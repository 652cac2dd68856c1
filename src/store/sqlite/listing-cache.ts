// The last listing (UID, email, MODSEQ, flags of every message) read of each recently selected
// mailbox, reused while the mailbox's HIGHESTMODSEQ and UIDNEXT are unchanged. Every change to a
// membership, a \Deleted mark, a flag or a keyword raises the mailbox's HIGHESTMODSEQ (CONDSTORE,
// RFC 7162 §3.1.2; removeMembership, storeFlags and the keyword writes in messages.ts do) and every
// new message its UIDNEXT, so an equal pair, read in the same transaction, means equal rows, also
// when another process wrote them. A client that reconnects and SELECTs again (mobile clients do
// all day) then costs a mailbox row instead of a join over every message of the mailbox.
import type { MessageState } from '../types.js';
import type { Ctx, MailboxRow } from './context.js';

/** Messages held over all cached listings of a store: some MB, the size of a few large mailboxes. */
const MAX_CACHED_MESSAGES = 100_000;

interface Listing {
  highestModseq: number;
  uidNext: number;
  messages: readonly MessageState[];
}

interface Cache {
  /** By mailbox row id, least recently used first. */
  listings: Map<number, Listing>;
  messages: number;
}

const caches = new WeakMap<Ctx, Cache>();

/**
 * The mailbox's messages, from the cache when its HIGHESTMODSEQ and UIDNEXT are those of `mb`, else
 * from `read` (which the cache then keeps if `committed`: read outside any write transaction, whose
 * rows could still be rolled back and the same pair later name other rows). Callers own what they
 * get (flags are arrays they may change), so each gets its own copies.
 */
export function cachedListing(ctx: Ctx, mb: MailboxRow, committed: boolean, read: () => MessageState[]): MessageState[] {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = { listings: new Map(), messages: 0 }));
  const hit = cache.listings.get(mb.id);
  if (hit && hit.highestModseq === mb.highest_modseq && hit.uidNext === mb.uid_next) {
    cache.listings.delete(mb.id);
    cache.listings.set(mb.id, hit);
    return hit.messages.map((m) => ({ ...m, flags: m.flags.slice() }));
  }
  const messages = read();
  if (!committed) return messages;
  if (hit) {
    cache.listings.delete(mb.id);
    cache.messages -= hit.messages.length;
  }
  if (messages.length <= MAX_CACHED_MESSAGES) {
    cache.listings.set(mb.id, { highestModseq: mb.highest_modseq, uidNext: mb.uid_next, messages: messages.map((m) => ({ ...m, flags: m.flags.slice() })) });
    cache.messages += messages.length;
    for (const [id, old] of cache.listings) {
      if (cache.messages <= MAX_CACHED_MESSAGES) break;
      cache.listings.delete(id);
      cache.messages -= old.messages.length;
    }
  }
  return messages;
}
