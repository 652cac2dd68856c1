// IMAP flags ⇄ JMAP keywords, and the compact form the store keeps them in.
// Keywords belong to the email (see types.ts); `\Deleted` belongs to the mailbox membership and has
// no JMAP keyword; `\Recent` is never stored. System flags are kept as bits, other keywords as a list
// with their original case (IMAP clients see what they set), compared case-insensitively.

export const SEEN = 1;
export const ANSWERED = 2;
export const FLAGGED = 4;
export const DRAFT = 8;

const SYSTEM: ReadonlyArray<{ bit: number; imap: string; jmap: string }> = [
  { bit: ANSWERED, imap: '\\Answered', jmap: '$answered' },
  { bit: FLAGGED, imap: '\\Flagged', jmap: '$flagged' },
  { bit: DRAFT, imap: '\\Draft', jmap: '$draft' },
  { bit: SEEN, imap: '\\Seen', jmap: '$seen' },
];

export const DELETED_FLAG = '\\Deleted';

/** Email-level keyword state: system bits plus other keywords (case as first set). */
export interface KeywordState {
  bits: number;
  others: string[];
}

/** Bit of a system flag/keyword in either form, or 0. */
export function systemBit(flagOrKeyword: string): number {
  const lower = flagOrKeyword.toLowerCase();
  for (const s of SYSTEM) if (s.imap.toLowerCase() === lower || s.jmap === lower) return s.bit;
  return 0;
}

export function isDeletedFlag(flag: string): boolean {
  return flag.toLowerCase() === '\\deleted';
}

export function isRecentFlag(flag: string): boolean {
  return flag.toLowerCase() === '\\recent';
}

/** IMAP flag → JMAP keyword; null for \Deleted and \Recent, which are not JMAP keywords. */
export function imapFlagToKeyword(flag: string): string | null {
  if (isDeletedFlag(flag) || isRecentFlag(flag)) return null;
  const bit = systemBit(flag);
  if (bit) return SYSTEM.find((s) => s.bit === bit)!.jmap;
  return flag.toLowerCase();
}

/** JMAP keyword → IMAP flag ($seen → \Seen; others unchanged). */
export function keywordToImapFlag(keyword: string): string {
  const bit = systemBit(keyword);
  if (bit && keyword.startsWith('$')) return SYSTEM.find((s) => s.bit === bit)!.imap;
  return keyword;
}

/** Builds a state from IMAP flags or JMAP keywords (\Deleted/\Recent ignored, duplicates merged). */
export function toKeywordState(flagsOrKeywords: Iterable<string>): KeywordState {
  let bits = 0;
  const others: string[] = [];
  const seen = new Set<string>();
  for (const f of flagsOrKeywords) {
    if (isDeletedFlag(f) || isRecentFlag(f)) continue;
    const bit = systemBit(f);
    if (bit && (f.startsWith('\\') || f.startsWith('$'))) {
      bits |= bit;
      continue;
    }
    if (f.startsWith('\\')) continue; // unknown system flag: IMAP layer refuses it; never stored
    const key = f.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    others.push(f);
  }
  return { bits, others };
}

export function applyFlagChange(
  current: KeywordState,
  mode: 'set' | 'add' | 'remove',
  change: KeywordState,
): KeywordState {
  if (mode === 'set') return { bits: change.bits, others: [...change.others] };
  if (mode === 'add') {
    const have = new Set(current.others.map((k) => k.toLowerCase()));
    const others = [...current.others];
    for (const k of change.others) if (!have.has(k.toLowerCase())) others.push(k);
    return { bits: current.bits | change.bits, others };
  }
  const drop = new Set(change.others.map((k) => k.toLowerCase()));
  return {
    bits: current.bits & ~change.bits,
    others: current.others.filter((k) => !drop.has(k.toLowerCase())),
  };
}

export function sameKeywords(a: KeywordState, b: KeywordState): boolean {
  if (a.bits !== b.bits || a.others.length !== b.others.length) return false;
  const set = new Set(a.others.map((k) => k.toLowerCase()));
  return b.others.every((k) => set.has(k.toLowerCase()));
}

/** IMAP flag list of a membership. */
export function toImapFlags(state: KeywordState, deleted: boolean): string[] {
  const out: string[] = [];
  for (const s of SYSTEM) if (state.bits & s.bit) out.push(s.imap);
  if (deleted) out.push(DELETED_FLAG);
  for (const k of state.others) out.push(k); // a loop: the keyword count is the client's to choose
  return out;
}

/** JMAP keyword list of an email (lowercase). */
export function toJmapKeywords(state: KeywordState): string[] {
  const out: string[] = [];
  for (const s of SYSTEM) if (state.bits & s.bit) out.push(s.jmap);
  for (const k of state.others) out.push(k.toLowerCase());
  return out;
}
