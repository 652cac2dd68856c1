// Builds the vacation reply (RFC 3834 §3): From the user, To the envelope sender, "Auto:" subject
// unless the user chose one, In-Reply-To/References to thread it, Auto-Submitted: auto-replied so
// other responders stay quiet, and the user's text and/or HTML bodies (RFC 8621 §8 defaults when
// either or both are null). nodemailer's MailComposer does the MIME encoding.
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import type { RawHeader } from '../../store/types.js';
import { headerValue } from '../../mime/headers.js';
import { decodeWords, htmlToText } from '../../mime/decode.js';
import { parseMessageIds } from '../../mime/addresses.js';
import type { VacationSettings } from './settings.js';

export const DEFAULT_VACATION_TEXT = 'I am away at the moment and will read your message when I return.';

/** References kept from the original, newest last: enough to thread, bounded against huge headers. */
const MAX_REFERENCES = 20;

export interface VacationReplyInput {
  vacation: Pick<VacationSettings, 'subject' | 'textBody' | 'htmlBody'>;
  /**
   * A complete MIME entity (header fields, blank line, body) to send as the reply's body instead of
   * textBody/htmlBody: RFC 5230 `vacation :mime`.
   */
  mimeEntity?: string;
  /** The user's address (the reply's From). */
  from: string;
  /** Display name for From, e.g. from the user's JMAP identity. */
  fromName?: string;
  /** The envelope sender of the original (the reply's To). */
  to: string;
  originalHeaders: RawHeader[];
  hostname: string;
  now: Date;
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

export function replySubject(vacation: Pick<VacationSettings, 'subject'>, originalHeaders: RawHeader[]): string {
  if (vacation.subject !== null && oneLine(vacation.subject) !== '') return oneLine(vacation.subject);
  const original = oneLine(decodeWords(headerValue(originalHeaders, 'Subject') ?? ''));
  return `Auto: ${original}`.trimEnd();
}

export async function composeVacationReply(input: VacationReplyInput): Promise<Buffer> {
  const { vacation, originalHeaders } = input;
  const messageId = parseMessageIds(headerValue(originalHeaders, 'Message-ID'))?.[0];
  // RFC 5322 §3.6.4: the parent's References (or its single In-Reply-To), then the parent's id.
  const refs = parseMessageIds(headerValue(originalHeaders, 'References'));
  const inReplyTo = parseMessageIds(headerValue(originalHeaders, 'In-Reply-To'));
  const parentRefs = refs ?? (inReplyTo?.length === 1 ? inReplyTo : []);
  const references = messageId ? [...parentRefs, messageId].slice(-MAX_REFERENCES) : [];

  let text = vacation.textBody;
  const html = vacation.htmlBody;
  if (text === null && html !== null) text = htmlToText(html);
  if (text === null && html === null) text = DEFAULT_VACATION_TEXT;

  const options: Mail.Options = {
    from: { name: oneLine(input.fromName ?? ''), address: input.from },
    to: input.to,
    subject: replySubject(vacation, originalHeaders),
    messageId: `<${randomBytes(12).toString('hex')}@${input.hostname}>`,
    date: input.now,
    headers: {
      'Auto-Submitted': 'auto-replied',
      // Exchange and Outlook honour this; their own responders then stay quiet too.
      'X-Auto-Response-Suppress': 'All',
    },
  };
  if (messageId) {
    options.inReplyTo = `<${messageId}>`;
    options.references = references.map((id) => `<${id}>`);
  }
  if (input.mimeEntity !== undefined) return withEntity(await new MailComposer({ ...options, text: '' }).compile().build(), input.mimeEntity);
  if (text !== null) options.text = crlf(text);
  if (html !== null) options.html = crlf(html);
  return new MailComposer(options).compile().build();
}

/**
 * The composed reply's header fields (minus its own Content-* ones) followed by `entity`, whose
 * header fields then describe the body. An entity without a header block is plain text.
 */
function withEntity(composed: Buffer, entity: string): Buffer {
  const text = composed.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  const fields = text.slice(0, end).split(/\r\n(?![ \t])/).filter((f) => !/^content-(type|transfer-encoding):/i.test(f));
  const body = crlf(entity);
  const hasHeader = /^[\x21-\x39\x3b-\x7e]+:/.test(body) && body.includes('\r\n\r\n');
  return Buffer.from(`${fields.join('\r\n')}\r\n${hasHeader ? body : `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}`}`, 'utf8');
}
