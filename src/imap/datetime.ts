// IMAP date formats: date-time `"dd-Mon-yyyy hh:mm:ss +zzzz"` (APPEND, INTERNALDATE) and date
// `d-Mon-yyyy` (SEARCH).
import { ImapSyntaxError } from './proto/errors.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function parseDateTime(s: string): Date {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(s);
  if (!m) throw new ImapSyntaxError('Invalid date-time');
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  if (month < 0) throw new ImapSyntaxError('Invalid month in date-time');
  const [day, year, hh, mm, ss, zh, zm] = [m[1], m[3], m[4], m[5], m[6], m[8], m[9]].map(Number) as number[];
  if (day! < 1 || day! > 31 || hh! > 23 || mm! > 59 || ss! > 60 || zm! > 59) throw new ImapSyntaxError('Invalid date-time');
  const offset = (m[7] === '-' ? -1 : 1) * (zh! * 60 + zm!);
  const utc = Date.UTC(year!, month, day!, hh!, mm!, ss!) - offset * 60_000;
  const d = new Date(utc);
  if (Number.isNaN(d.getTime())) throw new ImapSyntaxError('Invalid date-time');
  return d;
}

/** A SEARCH date (the day, as UTC midnight; callers compare calendar days). */
export function parseSearchDate(s: string): { y: number; m: number; d: number } {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(s);
  if (!m) throw new ImapSyntaxError('Invalid date');
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  if (month < 0) throw new ImapSyntaxError('Invalid month');
  const day = Number(m[1]);
  if (day < 1 || day > 31) throw new ImapSyntaxError('Invalid day');
  return { y: Number(m[3]), m: month, d: day };
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** INTERNALDATE in the server's UTC zone. */
export function formatDateTime(d: Date, offsetMinutes = 0): string {
  const t = new Date(d.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${pad(t.getUTCDate())}-${MONTH_NAMES[t.getUTCMonth()]}-${t.getUTCFullYear()} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}
