// ManageSieve responses (RFC 5804 §1.2, §4): OK / NO / BYE with an optional response code in
// parentheses and an optional human-readable string, strings sent quoted when they can be and as a
// literal {n} otherwise (line breaks, long texts), and the capability listing.

/** RFC 5804 §1.3 response codes Tessera sends. */
export type ResponseCode =
  | 'AUTH-TOO-WEAK'
  | 'ENCRYPT-NEEDED'
  | 'QUOTA'
  | 'QUOTA/MAXSCRIPTS'
  | 'QUOTA/MAXSIZE'
  | 'TRANSITION-NEEDED'
  | 'TRYLATER'
  | 'ACTIVE'
  | 'NONEXISTENT'
  | 'ALREADYEXISTS'
  | 'WARNINGS';

/** Longest text sent as a quoted string (RFC 5804 §4: quoted strings are at most 1024 octets). */
const MAX_QUOTED = 1024;

/** A string as the server sends it: quoted when possible, else a literal {n}. */
export function str(text: string | Buffer): string {
  const s = Buffer.isBuffer(text) ? text.toString('utf8') : text;
  const octets = Buffer.byteLength(s, 'utf8');
  if (octets <= MAX_QUOTED && !/[\r\n\0]/.test(s)) return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `{${octets}}\r\n${s}`;
}

function response(kind: 'OK' | 'NO' | 'BYE', code: string | undefined, text: string | undefined): string {
  return `${kind}${code ? ` (${code})` : ''}${text !== undefined ? ` ${str(text)}` : ''}\r\n`;
}

export function ok(text?: string, code?: ResponseCode): string {
  return response('OK', code, text);
}

export function no(text: string, code?: ResponseCode): string {
  return response('NO', code, text);
}

export function bye(text: string, code?: ResponseCode): string {
  return response('BYE', code, text);
}

/** NOOP's echo of the client's tag (RFC 5804 §2.11): `OK (TAG "x") "Done"`. */
export function okTagged(tag: string, text: string): string {
  return `OK (TAG ${str(tag)}) ${str(text)}\r\n`;
}

/** One capability line: `"NAME"` or `"NAME" "value"`. */
export function capabilityLine(name: string, value?: string): string {
  return value === undefined ? `${str(name)}\r\n` : `${str(name)} ${str(value)}\r\n`;
}
