// The one RFC 5322 Date parser (§3.3, with the obsolete forms of §4.3): day-of-week optional,
// comments anywhere, two- and three-digit years, named and military zones (the latter read as
// -0000, as §4.3 says their meaning is unknown), seconds optional, a missing zone read as -0000.
// It yields the instant, the zone offset the header was written in (JMAP sentAt keeps it), and the
// calendar day the header names (IMAP SENT* compare that day, "disregarding time and timezone").

import type { RawHeader } from './types.js';
import { headerValue } from './headers.js';

export interface MessageDate {
  /** The instant (UTC). */
  instant: Date;
  /** Minutes east of UTC the header was written in. */
  offsetMinutes: number;
  /** The written date as days since 1970-01-01, whatever the zone. */
  day: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const NAMED_ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
};
const DAY_MS = 86_400_000;

/** Removes (possibly nested) comments. */
function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && depth > 0) i++;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

const DATE_RE =
  /^(?:[A-Za-z]{3,9}\s*,?\s*)?(\d{1,2})\s*[\s-]\s*([A-Za-z]{3,9})\.?\s*[\s-]\s*(\d{2,4})(?:\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?)?(?:\s*([+-]\d{4}|[A-Za-z]{1,5}))?/;

/** Parses a Date header value; null when it is not a date. */
export function parseMessageDate(raw: string | null): MessageDate | null {
  if (raw === null) return null;
  const text = stripComments(raw.replace(/\r?\n(?=[ \t])/g, '')).replace(/\s+/g, ' ').trim();
  const m = DATE_RE.exec(text);
  if (m === null) return null;
  const month = MONTHS.indexOf(m[2]!.slice(0, 3).toLowerCase());
  if (month < 0) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const dayOfMonth = Number(m[1]);
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (dayOfMonth < 1 || dayOfMonth > daysIn(year, month) || hour > 23 || minute > 59 || second > 60) return null;
  const offsetMinutes = zoneOffset(m[7]);
  const day = Date.UTC(year, month, dayOfMonth) / DAY_MS;
  const instant = new Date(day * DAY_MS + ((hour * 60 + minute - offsetMinutes) * 60 + Math.min(second, 59)) * 1000);
  return { instant, offsetMinutes, day };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function zoneOffset(zone: string | undefined): number {
  if (zone === undefined) return 0;
  if (/^[+-]\d{4}$/.test(zone)) {
    const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    return zone[0] === '-' ? -minutes : minutes;
  }
  return NAMED_ZONES[zone.toUpperCase()] ?? 0;
}

/** RFC 3339 with the header's own offset (`Z` for UTC), as JMAP sentAt and header:Date:asDate want. */
export function formatWithOffset(d: MessageDate): string {
  const local = new Date(d.instant.getTime() + d.offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (d.offsetMinutes === 0) return `${local}Z`;
  const sign = d.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(d.offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The date-time of the most recent Received field (the topmost: each relay prepends its own), the
 * part after its last ";" (RFC 5321 §4.4); null without a Received field or a readable date there.
 */
export function latestReceivedDate(headers: RawHeader[]): Date | null {
  const received = headerValue(headers, 'Received');
  const semi = received === null ? -1 : received.lastIndexOf(';');
  return semi < 0 ? null : (parseMessageDate(received!.slice(semi + 1))?.instant ?? null);
}
