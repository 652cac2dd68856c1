// Flag lists shared by every selected mailbox's view (./selected.ts): most messages carry one of a
// handful of flag combinations (none, \Seen, \Seen \Answered, ...), so a view holds a reference to a
// shared frozen list per message instead of an array of its own (issue #18, memory per IDLE
// connection). Bounded: keywords are the clients' to invent, so past MAX_SHARED distinct lists
// further ones are simply not shared.

/** Distinct lists kept for sharing; beyond it a list gets a frozen copy of its own. */
const MAX_SHARED = 4096;

const shared = new Map<string, readonly string[]>();

/** A frozen list equal to `flags` (same flags, same order), shared when it can be. */
export function sharedFlagList(flags: readonly string[]): readonly string[] {
  // NUL cannot occur in a flag (RFC 3501 flag-keyword is atom characters), so the key is unambiguous.
  const key = flags.join('\u0000');
  const known = shared.get(key);
  if (known) return known;
  const list = Object.freeze([...flags]);
  if (shared.size < MAX_SHARED) shared.set(key, list);
  return list;
}
