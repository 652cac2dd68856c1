// Builds the ENVELOPE from a message's raw header fields. Date, subject and ids come from the store's
// envelope; address fields are re-parsed with ./addresses.ts, which keeps groups, routes and comment
// names exactly as RFC 3501 wants them.
import type { Envelope, RawHeader } from '../../store/types.js';
import { parseAddressList } from './addresses.js';

function unfoldedValue(headers: RawHeader[], name: string): string | null {
  const l = name.toLowerCase();
  for (const h of headers) if (h.name.toLowerCase() === l) return h.value.replace(/\r?\n(?=[ \t])/g, '').trim();
  return null;
}

export function envelopeFromHeaders(base: Envelope, headers: RawHeader[]): Envelope {
  const from = parseAddressList(unfoldedValue(headers, 'from'));
  const sender = parseAddressList(unfoldedValue(headers, 'sender')) ?? from;
  const replyTo = parseAddressList(unfoldedValue(headers, 'reply-to')) ?? from;
  return {
    ...base,
    from,
    sender,
    replyTo,
    to: parseAddressList(unfoldedValue(headers, 'to')),
    cc: parseAddressList(unfoldedValue(headers, 'cc')),
    bcc: parseAddressList(unfoldedValue(headers, 'bcc')),
  };
}
