// UIDONLY (RFC 9586): once ENABLEd, the session neither takes nor gives message sequence numbers.
// Commands that would take them answer BAD [UIDREQUIRED] (§3), FETCH responses become UIDFETCH
// named by the UID (§3.3), EXPUNGE responses become VANISHED (§3.2), and a SEARCH answers ESEARCH.
import { ImapSyntaxError } from './proto/errors.js';
import type { ImapSession } from './session.js';

/** Commands whose non-UID forms name messages by sequence number (RFC 9586 §3; REPLACE, RFC 8508, takes one). */
const SEQUENCE_COMMANDS = new Set(['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'SORT', 'THREAD', 'REPLACE']);

export const UIDONLY = 'UIDONLY';

export function uidOnly(s: ImapSession): boolean {
  return s.enabled.has(UIDONLY);
}

/** A command that may not run in this session because it uses sequence numbers; undefined when it may. */
export function sequenceNumbersRefused(s: ImapSession, name: string, uid: boolean): ImapSyntaxError | undefined {
  if (uid || !uidOnly(s) || !SEQUENCE_COMMANDS.has(name)) return undefined;
  return new ImapSyntaxError(`${name} uses message sequence numbers, which UIDONLY turned off: use UID ${name}`, 'UIDREQUIRED');
}

/** A sequence-set search key under UIDONLY (§3: sequence numbers in UID SEARCH are refused as well). */
export function searchSequenceRefused(s: ImapSession): void {
  if (uidOnly(s)) throw new ImapSyntaxError('Message sequence numbers cannot be searched for under UIDONLY: use UID', 'UIDREQUIRED');
}

/** `<seq> FETCH`, or under UIDONLY `<uid> UIDFETCH` (§3.3), to start an untagged fetch response. */
export function fetchHead(s: ImapSession, seq: number, uid: number): string {
  return uidOnly(s) ? `${uid} UIDFETCH` : `${seq} FETCH`;
}

/** Whether the UID item goes in a fetch response the client did not ask it for: a UIDFETCH names the UID already. */
export function implicitUid(s: ImapSession): boolean {
  return !uidOnly(s);
}
