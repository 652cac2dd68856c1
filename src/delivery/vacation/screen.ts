// Which messages must never get a vacation reply (RFC 3834 §2, and the practice of the Sieve
// vacation extension, RFC 5230). Pure functions over the envelope sender and the original header
// block, so every rule is testable on its own.
import type { RawHeader } from '../../store/types.js';
import { headerBlock } from '../dsn.js';
import { headerValue, headerValues, parseHeaderBlock } from '../../mime/headers.js';
import { toEmailAddresses } from '../../mime/addresses.js';

/** Why a message is not answered; logged at debug level. */
export type SkipReason =
  | 'null sender'
  | 'auto-submitted'
  | 'precedence'
  | 'mailing list'
  | 'spam'
  | 'suppressed'
  | 'machine sender'
  | 'own address'
  | 'not addressed to user';

export function parseOriginalHeaders(original: Buffer): RawHeader[] {
  const bin = headerBlock(original).toString('latin1');
  return parseHeaderBlock(bin, 0, bin.length).headers;
}

/** RFC 2369 / RFC 2919 list header fields: their presence marks list traffic. */
const LIST_HEADERS = ['list-id', 'list-unsubscribe', 'list-post', 'list-help', 'list-subscribe', 'list-owner', 'list-archive'];

/** Local parts (before any +detail) of senders that are programs, not people. */
const MACHINE_LOCAL_PARTS = new Set([
  'mailer-daemon',
  'mailer',
  'postmaster',
  'listserv',
  'majordomo',
  'noreply',
  'no-reply',
  'donotreply',
  'do-not-reply',
]);

/** The first token of a structured value: `no; comment` and `(c) auto-generated` both work. */
function firstToken(value: string): string {
  return value.replace(/\([^)]*\)/g, ' ').trim().split(/[\s;]+/)[0]?.toLowerCase() ?? '';
}

/** Header-based rules: auto-submitted, bulk/list/junk, list headers, spam verdicts, suppression. */
export function screenHeaders(headers: RawHeader[]): SkipReason | null {
  // RFC 3834 §2: never answer a message whose Auto-Submitted is anything but "no".
  for (const v of headerValues(headers, 'Auto-Submitted')) if (firstToken(v) !== 'no') return 'auto-submitted';
  for (const v of headerValues(headers, 'Precedence')) {
    if (['bulk', 'list', 'junk'].includes(firstToken(v))) return 'precedence';
  }
  if (headers.some((h) => LIST_HEADERS.includes(h.name.toLowerCase()))) return 'mailing list';
  // A reply to spam goes to a forged sender (backscatter).
  const flag = headerValue(headers, 'X-Spam-Flag');
  if (flag !== null && firstToken(flag) === 'yes') return 'spam';
  const status = headerValue(headers, 'X-Spam-Status');
  if (status !== null && /^yes\b/i.test(status)) return 'spam';
  // Microsoft's X-Auto-Response-Suppress: "OOF" (out of office) or "All".
  for (const v of headerValues(headers, 'X-Auto-Response-Suppress')) {
    if (v.split(/[\s,]+/).some((t) => /^(all|oof)$/i.test(t))) return 'suppressed';
  }
  return null;
}

/** Envelope-sender rules: the null sender and program addresses (owner-*, *-request, …). */
export function screenSender(sender: string): SkipReason | null {
  if (sender === '') return 'null sender';
  const at = sender.lastIndexOf('@');
  const local = (at < 0 ? sender : sender.slice(0, at)).toLowerCase().replace(/^"|"$/g, '');
  const base = local.split('+')[0]!;
  if (MACHINE_LOCAL_PARTS.has(base)) return 'machine sender';
  if (base.startsWith('owner-') || base.endsWith('-owner') || base.endsWith('-request')) return 'machine sender';
  if (base.endsWith('-bounces') || base.startsWith('bounce-') || base.startsWith('bounces-')) return 'machine sender';
  return null;
}

/**
 * Addresses the message says it was sent to: To, Cc, Bcc and their Resent- forms (RFC 3834 §2
 * recommends replying only when the user is named in one of them). Lowercased.
 */
export function explicitRecipients(headers: RawHeader[]): string[] {
  const out: string[] = [];
  for (const name of ['To', 'Cc', 'Bcc', 'Resent-To', 'Resent-Cc', 'Resent-Bcc']) {
    for (const raw of headerValues(headers, name)) {
      for (const a of toEmailAddresses(raw) ?? []) if (a.email) out.push(a.email.toLowerCase());
    }
  }
  return out;
}
