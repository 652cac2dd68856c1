// Streaming mbox reader (mboxo/mboxrd): splits on "From " separator lines, undoes mboxrd quoting
// (">From " → "From ", ">>From " → ">From "), turns LF line ends into CRLF (what IMAP serves), and
// reads the separator's date and the Status/X-Status flags. Never holds more than one message.
import { createReadStream } from 'node:fs';

export interface MboxMessage {
  bytes: Buffer;
  receivedAt?: Date;
  flags: string[];
}

const FROM = Buffer.from('From ');

/** The file does not start with a "From " separator line (RFC 4155), so it is no mbox: nothing is read from it. */
export class NotMboxError extends Error {
  override readonly name = 'NotMboxError';
}

/** Throws NotMboxError (before yielding anything) when text comes before the first separator. */
export async function* readMbox(file: string, onBytes?: (n: number) => void): AsyncGenerator<MboxMessage> {
  let pending: Buffer = Buffer.alloc(0);
  let lines: Buffer[] = [];
  let separator: string | null = null;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    onBytes?.(buf.length);
    pending = pending.length ? Buffer.concat([pending, buf]) : buf;
    let start = 0;
    for (let nl = pending.indexOf(10, start); nl >= 0; nl = pending.indexOf(10, start)) {
      const line = pending.subarray(start, nl + 1);
      start = nl + 1;
      if (line.subarray(0, 5).equals(FROM)) {
        if (separator !== null) yield finish(lines, separator);
        lines = [];
        separator = line.toString('latin1').trim();
      } else if (separator !== null) lines.push(Buffer.from(line));
      else if (!isBlank(line)) throw notMbox(file);
    }
    pending = Buffer.from(pending.subarray(start));
    // A first line longer than a separator can be, without its end yet: not a "From " line either.
    if (separator === null && pending.length >= 5 && !pending.subarray(0, 5).equals(FROM) && !isBlank(pending)) throw notMbox(file);
  }
  if (pending.length && separator !== null) lines.push(pending);
  else if (separator === null && !isBlank(pending)) throw notMbox(file);
  if (separator !== null) yield finish(lines, separator);
}

function isBlank(bytes: Buffer): boolean {
  return bytes.every((b) => b === 10 || b === 13 || b === 32 || b === 9);
}

function notMbox(file: string): NotMboxError {
  return new NotMboxError(`${file} is not an mbox file: it does not start with a "From " line`);
}

function finish(lines: Buffer[], separator: string): MboxMessage {
  // The blank line before the next separator belongs to the mbox format, not to the message.
  const last = lines[lines.length - 1];
  if (last && (last.length === 1 || (last.length === 2 && last[0] === 13))) lines.pop();
  const out: Buffer[] = [];
  let inHeaders = true;
  let status = '';
  for (const raw of lines) {
    let line = raw;
    if (/^>+From /.test(line.subarray(0, 64).toString('latin1'))) line = line.subarray(1);
    const text = line.toString('latin1');
    if (inHeaders) {
      if (text === '\n' || text === '\r\n') inHeaders = false;
      else if (/^(x-)?status:/i.test(text)) status += text.slice(text.indexOf(':') + 1).trim();
    }
    out.push(toCrlf(line));
  }
  const flags: string[] = [];
  if (status.includes('R')) flags.push('\\Seen');
  if (status.includes('A')) flags.push('\\Answered');
  if (status.includes('F')) flags.push('\\Flagged');
  if (status.includes('D')) flags.push('\\Deleted');
  if (status.includes('T')) flags.push('\\Draft');
  const date = parseSeparatorDate(separator);
  return { bytes: Buffer.concat(out), flags, ...(date ? { receivedAt: date } : {}) };
}

function toCrlf(line: Buffer): Buffer {
  const n = line.length;
  if (n && line[n - 1] === 10 && (n < 2 || line[n - 2] !== 13)) return Buffer.concat([line.subarray(0, n - 1), Buffer.from('\r\n')]);
  return line;
}

/** "From sender Mon Jan  2 10:00:00 2023" → Date (asctime, taken as UTC). */
function parseSeparatorDate(separator: string): Date | undefined {
  const m = /([A-Z][a-z]{2}) +(\d{1,2}) +(\d{1,2}:\d{2}(?::\d{2})?) +(\d{4})\s*$/.exec(separator);
  if (!m) return undefined;
  const d = new Date(`${m[1]} ${m[2]} ${m[4]} ${m[3]} UTC`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
