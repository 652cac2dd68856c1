// POP3 status lines (RFC 1939 §3) with the extended response codes of RFC 2449 §8 / RFC 3206
// ([AUTH], [SYS/TEMP], [SYS/PERM], [IN-USE]), and multi-line bodies terminated by ".".

export type ResponseCode = 'AUTH' | 'SYS/TEMP' | 'SYS/PERM' | 'IN-USE' | 'LOGIN-DELAY';

/** Text never carries a line break, whatever a caller passes (a reason from session control). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

export function ok(text?: string): string {
  return text ? `+OK ${oneLine(text)}\r\n` : '+OK\r\n';
}

export function err(text: string, code?: ResponseCode): string {
  return `-ERR ${code ? `[${code}] ` : ''}${oneLine(text)}\r\n`;
}

/** A complete multi-line response whose lines need no byte-stuffing check beyond the one done here. */
export function multiline(status: string, lines: readonly string[]): string {
  const body = lines.map((l) => (l.startsWith('.') ? `.${l}` : l) + '\r\n').join('');
  return `${status}${body}.\r\n`;
}

export const TERMINATOR = '.\r\n';
