// Response serialisation: strings go out quoted when they can, as literals when they must (CR, LF,
// NUL, 8-bit data on a session that has not enabled UTF8=ACCEPT, 8-bit data that is not UTF-8); NIL for
// absent values.
import { isUtf8 } from 'node:buffer';

/** A piece of a response: text is UTF-8 encoded on the wire, Buffers are sent unchanged. */
export type Wire = string | Buffer;

export interface StringOptions {
  /** UTF8=ACCEPT enabled: 8-bit UTF-8 may go in quoted strings. */
  utf8?: boolean;
  /** Force a literal (message data). */
  literal?: boolean;
}

function needsLiteral(b: Buffer, utf8: boolean): boolean {
  if (b.length > 1024) return true;
  let eightBit = false;
  for (const c of b) {
    if (c === 0x00 || c === 0x0d || c === 0x0a) return true;
    if (c >= 0x80) {
      if (!utf8) return true;
      eightBit = true;
    }
  }
  // UTF8=ACCEPT lets quoted strings carry UTF-8 only (RFC 6855 §3); other 8-bit data (a Latin-1
  // body part) would be decoded into U+FFFD on its way into the quoted form: it goes as a literal.
  return eightBit && !isUtf8(b);
}

/** An IMAP string (quoted or literal). */
export function imapString(value: string | Buffer, opts: StringOptions = {}): Wire {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (opts.literal || needsLiteral(b, opts.utf8 ?? false)) {
    // A literal carrying a NUL byte must be literal8 (RFC 3516), only used by BINARY fetches.
    return Buffer.concat([Buffer.from(`{${b.length}}\r\n`, 'latin1'), b]);
  }
  const s = b.toString(opts.utf8 ? 'utf8' : 'latin1');
  return '"' + s.replace(/[\\"]/g, (m) => '\\' + m) + '"';
}

/** A literal of data that may hold NUL bytes: a literal8 (`~{n}`, RFC 3516 §4.2) when it does. */
export function literal8(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.includes(0) ? '~' : ''}{${data.length}}\r\n`, 'latin1'), data]);
}

export function nstring(value: string | Buffer | null | undefined, opts: StringOptions = {}): Wire {
  return value === null || value === undefined ? 'NIL' : imapString(value, opts);
}

const ATOM_SAFE = /^[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|}~]+$/;

/**
 * An astring: bare atom when safe, otherwise a string. Used for mailbox names. `[` and `]` are
 * atom characters to RFC 3501, but a client echoing a bare `BODY[notes` back would have it read as
 * the start of a fetch section, so names holding brackets always go quoted.
 */
export function astring(value: string, opts: StringOptions = {}): Wire {
  if (value.length > 0 && ATOM_SAFE.test(value) && value.toUpperCase() !== 'NIL') return value;
  return imapString(value, opts);
}

/** A parenthesised list of already-serialised items. */
export function list(items: Wire[]): Wire[] {
  const out: Wire[] = ['('];
  items.forEach((it, i) => {
    if (i > 0) out.push(' ');
    out.push(it);
  });
  out.push(')');
  return out;
}

/** Joins pieces into one Buffer for the socket. */
export function toBuffer(parts: readonly Wire[]): Buffer {
  let onlyText = true;
  for (const p of parts) if (typeof p !== 'string') onlyText = false;
  if (onlyText) return Buffer.from(parts.join(''), 'utf8');
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/**
 * Appends `items` to `out` one by one. `out.push(...items)` passes every item as a call argument and
 * throws RangeError once a response holds more pieces than the engine allows arguments (a message
 * with thousands of parts or addresses), so the serialiser never spreads into a call.
 */
export function pushAll(out: Wire[], items: readonly Wire[]): Wire[] {
  for (const it of items) out.push(it);
  return out;
}

/** Flattens nested Wire arrays. */
export function flat(parts: ReadonlyArray<Wire | readonly Wire[]>): Wire[] {
  const out: Wire[] = [];
  for (const p of parts) {
    if (Array.isArray(p)) pushAll(out, p as readonly Wire[]);
    else out.push(p as Wire);
  }
  return out;
}
