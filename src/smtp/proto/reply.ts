// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034 / RFC 3463). A reply is data until
// it is serialised, so handlers can be tested without a socket.

export interface SmtpReply {
  /** Three-digit reply code. */
  code: number;
  /** Enhanced status code "class.subject.detail", omitted only for 220/221 greetings and 334/354. */
  enhanced?: string;
  /** One or more text lines; multi-line replies use "code-" on all but the last (RFC 5321 §4.2.1). */
  lines: string[];
}

export function reply(code: number, enhanced: string | undefined, ...lines: string[]): SmtpReply {
  return enhanced === undefined ? { code, lines } : { code, enhanced, lines };
}

/** Serialises a reply. CR and LF inside a text line are replaced so a line can never forge a reply. */
export function formatReply(r: SmtpReply): string {
  const lines = r.lines.length === 0 ? [''] : r.lines;
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? ' ' : '-';
    const text = lines[i]!.replace(/[\r\n]/g, ' ');
    const body = r.enhanced === undefined ? text : text === '' ? r.enhanced : `${r.enhanced} ${text}`;
    out += `${r.code}${sep}${body}\r\n`;
  }
  return out;
}

/** True for 4xx/5xx. */
export function isFailure(r: SmtpReply): boolean {
  return r.code >= 400;
}
