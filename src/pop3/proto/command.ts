// POP3 command lines (RFC 1939 §3, RFC 2449 §3): a keyword of 3–4 letters, case-insensitive, then
// arguments separated by single spaces. Pure: bytes in, a parsed command or the reason it is refused
// out, so the session and the fuzzer share it.

export const VERBS = ['USER', 'PASS', 'AUTH', 'STAT', 'LIST', 'RETR', 'DELE', 'NOOP', 'RSET', 'QUIT', 'TOP', 'UIDL', 'CAPA', 'STLS'] as const;
export type Verb = (typeof VERBS)[number];

export type ParsedCommand =
  | { ok: true; verb: Verb; args: string[]; /** Everything after the keyword and one space (PASS may hold spaces). */ rest: string }
  | { ok: false; reason: 'unknown' | 'syntax'; message: string };

const VERB_SET: ReadonlySet<string> = new Set(VERBS);

/** RFC 2449 §3: arguments are at most 40 printable characters; SASL responses and passwords are longer. */
export const MAX_ARG_LENGTH = 40;

export function parseCommandLine(line: Buffer): ParsedCommand {
  // Control characters other than the separators have no place in a command line.
  for (const b of line) if (b < 0x20 || b === 0x7f) return { ok: false, reason: 'syntax', message: 'Control characters in command' };
  const text = line.toString('latin1');
  const sp = text.indexOf(' ');
  const keyword = (sp < 0 ? text : text.slice(0, sp)).toUpperCase();
  if (!/^[A-Z]{3,4}$/.test(keyword) || !VERB_SET.has(keyword)) return { ok: false, reason: 'unknown', message: 'Unknown command' };
  const rest = sp < 0 ? '' : text.slice(sp + 1);
  const args = rest === '' ? [] : rest.split(' ');
  return { ok: true, verb: keyword as Verb, args, rest };
}

/** A message number argument (RFC 1939: 1-based, decimal); undefined when it is not one. */
export function parseMessageNumber(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^[1-9][0-9]{0,8}$/.test(arg)) return undefined;
  return Number(arg);
}

/** A non-negative line count (TOP's second argument). */
export function parseLineCount(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^[0-9]{1,9}$/.test(arg)) return undefined;
  return Number(arg);
}
