// Reads an mbox file the way imaptest does: a message is every line after a `From ` separator up to
// the next one, with LF turned into CRLF; the separator's date becomes the INTERNALDATE.

export interface MboxMessage {
  /** latin1 binary string. */
  data: string;
  /** IMAP date-time from the From_ line, when it parses. */
  internalDate?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function fromLineDate(line: string): string | undefined {
  const m = /(\w{3}) +(\w{3}) +(\d{1,2}) +(\d{2}:\d{2}:\d{2}) +(\d{4})(?: +([+-]\d{4}))?\s*$/.exec(line);
  if (!m || !MONTHS.includes(m[2]!)) return undefined;
  return `${m[3]!.padStart(2, '0')}-${m[2]}-${m[5]} ${m[4]} ${m[6] ?? '+0000'}`;
}

export function parseMbox(content: string): MboxMessage[] {
  const lines = content.split('\n');
  const out: MboxMessage[] = [];
  let cur: string[] | null = null;
  let date: string | undefined;
  const flush = (): void => {
    if (cur) {
      // The file's final newline produces one empty trailing element, not a line.
      out.push({ data: cur.map((l) => l.replace(/\r$/, '') + '\r\n').join(''), ...(date ? { internalDate: date } : {}) });
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i === lines.length - 1 && line === '') break;
    if (line.startsWith('From ')) {
      flush();
      cur = [];
      date = fromLineDate(line);
      continue;
    }
    cur?.push(line);
  }
  flush();
  return out;
}
