// The sort keys of a message (RFC 5256 §3 and RFC 5957), computed once at ingest from the envelope:
// IMAP SORT compares them in memory, JMAP Email/query in SQL; both see the same strings.
import type { Envelope, EnvelopeAddress, SortKeys } from './types.js';
import { decodeWords } from './decode.js';
import { asciiCasemap, subjectSortKey } from './subject.js';
import { MISSING_DOMAIN } from './addresses.js';

/** RFC 5256: the addr-mailbox (local part) of the first address. */
function firstMailbox(list: EnvelopeAddress[] | null): string {
  return list?.[0]?.mailbox ?? '';
}

/** RFC 5957: the decoded display name of the first address (or group), else its addr-spec. */
export function displayName(list: EnvelopeAddress[] | null): string {
  const a = list?.[0];
  if (!a) return '';
  if (a.host === null) return decodeWords(a.mailbox ?? '');
  if (a.name) return decodeWords(a.name);
  return a.host === MISSING_DOMAIN ? (a.mailbox ?? '') : `${a.mailbox ?? ''}@${a.host}`;
}

export function sortKeys(envelope: Envelope): SortKeys {
  return {
    subject: subjectSortKey(envelope.subject),
    from: asciiCasemap(firstMailbox(envelope.from)),
    to: asciiCasemap(firstMailbox(envelope.to)),
    cc: asciiCasemap(firstMailbox(envelope.cc)),
    displayFrom: asciiCasemap(displayName(envelope.from)),
    displayTo: asciiCasemap(displayName(envelope.to)),
  };
}
