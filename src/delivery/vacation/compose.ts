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
  vacation: VacationSettings;
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

export function replySubject(vacation: VacationSettings, originalHeaders: RawHeader[]): string {
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
  if (text !== null) options.text = crlf(text);
  if (html !== null) options.html = crlf(html);
  return new MailComposer(options).compile().build();
}
