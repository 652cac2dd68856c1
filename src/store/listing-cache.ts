// The last listing (UID, email, MODSEQ, flags of every message) read of each recently selected
// mailbox, reused while the mailbox's HIGHESTMODSEQ and UIDNEXT are unchanged. Every change to a
// membership, a \Deleted mark, a flag or a keyword raises the mailbox's HIGHESTMODSEQ (CONDSTORE,
// RFC 7162 §3.1.2; removeMembership, storeFlags and the keyword writes in messages.ts do) and every
// new message its UIDNEXT, so an equal pair, read in the same transaction, means equal rows, also
// when another process or node wrote them: every writer of an account's messages first takes its
// next MODSEQ from the account row (allocModseq), so they commit one after another and a mailbox's
// HIGHESTMODSEQ only grows (one writer at a time in SQLite; the account row's lock in PostgreSQL,
// whose reads are REPEATABLE READ snapshots). A client that reconnects and SELECTs again (mobile
// clients do, all day) then costs a mailbox row instead of a join over every message it holds.
import type { MessageState } from './api/message-reads.js';

/** What the cache needs of a mailbox row (both engines' rows have it). */
export interface ListedMailbox {
  id: number;
  highest_modseq: number;
  uid_next: number;
}

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

/** Per store (its engine context). */
const caches = new WeakMap<object, Cache>();

function cacheOf(store: object): Cache {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = { listings: new Map(), messages: 0 }));
  return cache;
}

/**
 * The mailbox's messages as kept, when its HIGHESTMODSEQ and UIDNEXT are still those of `mb` (read
 * in the caller's transaction); else null. Callers own what they get (flags are arrays they may
 * change), so each gets its own copies.
 */
export function cachedListing(store: object, mb: ListedMailbox): MessageState[] | null {
  const cache = cacheOf(store);
  const hit = cache.listings.get(mb.id);
  if (!hit || hit.highestModseq !== mb.highest_modseq || hit.uidNext !== mb.uid_next) return null;
  cache.listings.delete(mb.id);
  cache.listings.set(mb.id, hit);
  return hit.messages.map(copy);
}

/**
 * Keeps a copy of the mailbox's messages as read in the transaction that read `mb`. Only rows
 * that are committed may be kept: rows a write transaction could still roll back would let the same
 * pair name other rows later.
 */
export function keepListing(store: object, mb: ListedMailbox, messages: readonly MessageState[]): void {
  const cache = cacheOf(store);
  const old = cache.listings.get(mb.id);
  if (old) {
    cache.listings.delete(mb.id);
    cache.messages -= old.messages.length;
  }
  if (messages.length > MAX_CACHED_MESSAGES) return;
  cache.listings.set(mb.id, { highestModseq: mb.highest_modseq, uidNext: mb.uid_next, messages: messages.map(copy) });
  cache.messages += messages.length;
  for (const [id, listing] of cache.listings) {
    if (cache.messages <= MAX_CACHED_MESSAGES) break;
    cache.listings.delete(id);
    cache.messages -= listing.messages.length;
  }
}

function copy(m: MessageState): MessageState {
  return { ...m, flags: m.flags.slice() };
}
