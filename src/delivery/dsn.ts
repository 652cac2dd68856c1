// RFC 3464 delivery status notifications: a multipart/report sent with the null sender to the
// original envelope sender. Only the original headers are returned (text/rfc822-headers), so a bounce
// never carries a large body back across the Internet.
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from './received.js';

export interface FailedRecipient {
  address: string;
  /** Enhanced status code, e.g. "5.2.2". */
  status: string;
  /** Remote reply or local reason, for Diagnostic-Code. */
  diagnostic: string;
  /** "smtp" when the text is an SMTP reply, "x-local" otherwise. */
  diagnosticType?: string;
  remoteMta?: string;
}

export interface DsnInput {
  reportingHost: string;
  /** The original envelope sender (the DSN's recipient). */
  originalSender: string;
  failed: FailedRecipient[];
  original: Buffer;
  arrivalDate: Date;
  now: Date;
}

/** Header block of a message (up to and including the blank line, or the whole thing). */
export function headerBlock(message: Buffer): Buffer {
  const end = message.indexOf('\r\n\r\n');
  return end < 0 ? message : message.subarray(0, end + 2);
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 900);
}

export function buildDsn(input: DsnInput): Buffer {
  const boundary = `dsn-${randomBytes(12).toString('hex')}`;
  const host = input.reportingHost;
  const list = input.failed.map((f) => `  <${f.address}>: ${oneLine(f.diagnostic)}`).join('\r\n');
  const human =
    `This is the mail system at ${host}.\r\n\r\n` +
    `Your message could not be delivered to one or more recipients.\r\n` +
    `It has been returned with the delivery report attached.\r\n\r\n${list}\r\n`;
  const perRecipient = input.failed
    .map((f) => {
      let block =
        `Final-Recipient: rfc822; ${f.address}\r\n` +
        `Action: failed\r\n` +
        `Status: ${f.status}\r\n`;
      if (f.remoteMta) block += `Remote-MTA: dns; ${f.remoteMta}\r\n`;
      block += `Diagnostic-Code: ${f.diagnosticType ?? 'smtp'}; ${oneLine(f.diagnostic)}\r\n`;
      block += `Last-Attempt-Date: ${rfc5322Date(input.now)}\r\n`;
      return block;
    })
    .join('\r\n');
  const text =
    `From: Mail Delivery System <MAILER-DAEMON@${host}>\r\n` +
    `To: <${input.originalSender}>\r\n` +
    `Subject: Undelivered Mail Returned to Sender\r\n` +
    `Date: ${rfc5322Date(input.now)}\r\n` +
    `Message-ID: <${randomBytes(12).toString('hex')}@${host}>\r\n` +
    `Auto-Submitted: auto-replied\r\n` +
    `MIME-Version: 1.0\r\n` +
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"\r\n` +
    `\r\n` +
    `--${boundary}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\n` +
    `Content-Transfer-Encoding: 8bit\r\n\r\n` +
    human +
    `\r\n--${boundary}\r\n` +
    `Content-Type: message/delivery-status\r\n\r\n` +
    `Reporting-MTA: dns; ${host}\r\n` +
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}\r\n\r\n` +
    perRecipient +
    `\r\n--${boundary}\r\n` +
    `Content-Type: text/rfc822-headers\r\n\r\n`;
  return Buffer.concat([
    Buffer.from(text, 'utf8'),
    headerBlock(input.original),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}
