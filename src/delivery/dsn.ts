// RFC 3464 delivery status notifications: a multipart/report sent with the null sender to the
// original envelope sender, reporting what became of some recipients (failed, delayed, delivered,
// relayed). What the client asked for with RFC 3461 decides which recipients are reported (see
// wantsReport) and how much of the message comes back: the whole message (message/rfc822) only for
// failures with RET=FULL, otherwise only its headers (text/rfc822-headers), so a report rarely carries
// a large body back across the Internet. With non-ASCII content the RFC 6533 types are used.
import { randomBytes } from 'node:crypto';
import type { DsnNotify, RecipientDsn } from '../core/delivery.js';
import { rfc5322Date } from './received.js';

/** RFC 3464 §2.3.3 actions (expanded is not used: Tessera expands no lists). */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed';

export interface DsnRecipientReport {
  /** Final-Recipient. */
  address: string;
  action: DsnAction;
  /** Enhanced status code, e.g. "5.2.2", "2.0.0", "4.4.1". */
  status: string;
  /** Remote reply or local reason, for Diagnostic-Code. */
  diagnostic?: string;
  /** "smtp" when the text is an SMTP reply, "x-local" otherwise. */
  diagnosticType?: string;
  remoteMta?: string;
  /** RFC 3461 ORCPT, reported as Original-Recipient. */
  orcpt?: RecipientDsn['orcpt'];
  /** Delayed: until when delivery is retried (Will-Retry-Until). */
  willRetryUntil?: Date;
}

/** What a report needs of the client's request besides the recipients: RET (FULL only when the message may go back whole) and ENVID. */
export interface ReportContext {
  ret?: 'FULL' | 'HDRS';
  envid?: string;
}

export interface DsnInput {
  reportingHost: string;
  /** The original envelope sender (the DSN's recipient). */
  originalSender: string;
  recipients: DsnRecipientReport[];
  original: Buffer;
  /** RFC 3461 RET; the whole message is returned only for failures with RET=FULL. */
  ret?: 'FULL' | 'HDRS';
  /** RFC 3461 ENVID, reported as Original-Envelope-Id. */
  envid?: string;
  arrivalDate: Date;
  now: Date;
}

/**
 * RFC 3461 §4.1: whether a recipient's NOTIFY asks for a report of `action`. Without NOTIFY, failures
 * are reported (and delays, which we also report, as Postfix does); relayed and delivered count as
 * SUCCESS; NOTIFY=NEVER (an empty list) asks for nothing.
 */
export function wantsReport(notify: DsnNotify[] | undefined, action: DsnAction): boolean {
  const wanted: DsnNotify = action === 'failed' ? 'FAILURE' : action === 'delayed' ? 'DELAY' : 'SUCCESS';
  if (notify === undefined) return wanted !== 'SUCCESS';
  return notify.includes(wanted);
}

/** The ORCPT of a recipient's DSN request as a report field (spread into the report). */
export function orcptOf(dsn: RecipientDsn): Pick<DsnRecipientReport, 'orcpt'> {
  return dsn.orcpt ? { orcpt: dsn.orcpt } : {};
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

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

const SUBJECTS: Record<DsnAction, string> = {
  failed: 'Undelivered Mail Returned to Sender',
  delayed: 'Delayed Mail (still being retried)',
  delivered: 'Successful Mail Delivery Report',
  relayed: 'Successful Mail Delivery Report',
};

const HUMAN: Record<DsnAction, string> = {
  failed: 'Your message could not be delivered to one or more recipients.\r\nIt has been returned with the delivery report attached.',
  delayed: 'Your message could not be delivered yet to one or more recipients.\r\nDelivery is being retried; you need not resend it.',
  delivered: 'Your message was delivered to the recipients listed below.',
  relayed: 'Your message was passed on to the recipients listed below; their mail system does not report\r\ndelivery, so no further notification will follow.',
};

function perRecipientFields(r: DsnRecipientReport, now: Date): string {
  let block = '';
  if (r.orcpt) block += `Original-Recipient: ${r.orcpt.type};${oneLine(r.orcpt.address)}\r\n`;
  block += `Final-Recipient: rfc822; ${r.address}\r\nAction: ${r.action}\r\nStatus: ${r.status}\r\n`;
  if (r.remoteMta) block += `Remote-MTA: dns; ${r.remoteMta}\r\n`;
  if (r.diagnostic) block += `Diagnostic-Code: ${r.diagnosticType ?? 'smtp'}; ${oneLine(r.diagnostic)}\r\n`;
  block += `Last-Attempt-Date: ${rfc5322Date(now)}\r\n`;
  if (r.willRetryUntil) block += `Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}\r\n`;
  return block;
}

export function buildDsn(input: DsnInput): Buffer {
  const boundary = `dsn-${randomBytes(12).toString('hex')}`;
  const host = input.reportingHost;
  // The report is about the gravest thing that happened: failures first, then delays, then success.
  const order: DsnAction[] = ['failed', 'delayed', 'delivered', 'relayed'];
  const main = order.find((a) => input.recipients.some((r) => r.action === a)) ?? 'failed';
  const human = order
    .filter((a) => input.recipients.some((r) => r.action === a))
    .map((a) => {
      const list = input.recipients
        .filter((r) => r.action === a)
        .map((r) => `  <${r.address}>${r.diagnostic ? `: ${oneLine(r.diagnostic)}` : ''}`)
        .join('\r\n');
      return `${HUMAN[a]}\r\n\r\n${list}\r\n`;
    })
    .join('\r\n');
  let perMessage = `Reporting-MTA: dns; ${host}\r\n`;
  if (input.envid !== undefined) perMessage += `Original-Envelope-Id: ${oneLine(input.envid)}\r\n`;
  perMessage += `Arrival-Date: ${rfc5322Date(input.arrivalDate)}\r\n`;
  const status = [perMessage, ...input.recipients.map((r) => perRecipientFields(r, input.now))].join('\r\n');
  // RFC 6533 §6: non-ASCII in the status fields or the returned headers needs the "global" types.
  const full = main === 'failed' && input.ret === 'FULL';
  const returned = full ? input.original : headerBlock(input.original);
  const utf8Status = NON_ASCII.test(status);
  const utf8Returned = NON_ASCII.test(headerBlock(input.original).toString('latin1'));
  const statusType = utf8Status ? 'message/global-delivery-status' : 'message/delivery-status';
  const returnedType = full ? (utf8Returned ? 'message/global' : 'message/rfc822') : utf8Returned ? 'message/global-headers' : 'text/rfc822-headers';
  const text =
    `From: Mail Delivery System <MAILER-DAEMON@${host}>\r\n` +
    `To: <${input.originalSender}>\r\n` +
    `Subject: ${SUBJECTS[main]}\r\n` +
    `Date: ${rfc5322Date(input.now)}\r\n` +
    `Message-ID: <${randomBytes(12).toString('hex')}@${host}>\r\n` +
    `Auto-Submitted: auto-replied\r\n` +
    `MIME-Version: 1.0\r\n` +
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"\r\n` +
    `\r\n` +
    `--${boundary}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\n` +
    `Content-Transfer-Encoding: 8bit\r\n\r\n` +
    `This is the mail system at ${host}.\r\n\r\n` +
    human +
    `\r\n--${boundary}\r\n` +
    `Content-Type: ${statusType}\r\n` +
    (utf8Status ? `Content-Transfer-Encoding: 8bit\r\n` : '') +
    `\r\n` +
    status +
    `\r\n--${boundary}\r\n` +
    `Content-Type: ${returnedType}\r\n` +
    (utf8Returned || full ? `Content-Transfer-Encoding: 8bit\r\n` : '') +
    `\r\n`;
  return Buffer.concat([Buffer.from(text, 'utf8'), returned, Buffer.from(`${returned.subarray(-2).toString() === '\r\n' ? '' : '\r\n'}\r\n--${boundary}--\r\n`)]);
}
