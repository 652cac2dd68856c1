// The Received: trace header (RFC 5321 §4.4) prepended to every message we accept. It names the
// client's HELO and address, our host, the protocol (RFC 3848) and an id matching our logs; it never
// names the authenticated user, which would leak account names into forwarded mail.
import type { TraceInfo } from '../core/delivery.js';

/** RFC 5322 date-time in UTC ("Sat, 28 Nov 2026 23:25:01 +0000"). */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** Characters that could break the header (CR, LF, and other controls) are replaced. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f()]/g, '?').slice(0, 255);
}

export function receivedHeader(trace: TraceInfo, id: string, date: Date, singleRecipient?: string): string {
  const peer = trace.peerAddress.replace(/^::ffff:/i, '');
  const literal = peer.includes(':') ? `IPv6:${peer}` : peer;
  let header = `Received: from ${clean(trace.helo)} ([${literal}])\r\n\tby ${clean(trace.by)} (Tessera) with ${trace.protocol} id ${id}`;
  if (singleRecipient !== undefined) header += `\r\n\tfor <${clean(singleRecipient)}>`;
  return `${header};\r\n\t${rfc5322Date(date)}\r\n`;
}
