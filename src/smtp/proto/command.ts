// Splits a command line into verb and arguments (RFC 5321 §4.1.1). The line arrives as bytes; it is
// decoded as strict UTF-8 (SMTPUTF8 addresses are UTF-8) and rejected if it holds NUL or other
// control characters that no command may contain.

export const KNOWN_VERBS = [
  'EHLO',
  'HELO',
  'LHLO',
  'MAIL',
  'RCPT',
  'DATA',
  'BDAT',
  'RSET',
  'NOOP',
  'VRFY',
  'EXPN',
  'QUIT',
  'STARTTLS',
  'AUTH',
  'HELP',
] as const;

export type Verb = (typeof KNOWN_VERBS)[number];

export type ParsedCommand =
  | { ok: true; verb: Verb; args: string }
  | { ok: false; reason: 'unknown'; verb: string }
  | { ok: false; reason: 'syntax'; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const verbs = new Set<string>(KNOWN_VERBS);

export function parseCommandLine(line: Buffer): ParsedCommand {
  for (const b of line) {
    // TAB is tolerated as whitespace; every other C0 control (NUL above all) and DEL is refused.
    if ((b < 0x20 && b !== 0x09) || b === 0x7f) {
      return { ok: false, reason: 'syntax', message: b === 0 ? 'NUL character not allowed' : 'Control character not allowed' };
    }
  }
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    return { ok: false, reason: 'syntax', message: 'Command is not valid UTF-8' };
  }
  const trimmed = text.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
  const sp = trimmed.search(/[ \t]/);
  const word = (sp < 0 ? trimmed : trimmed.slice(0, sp)).toUpperCase();
  const args = sp < 0 ? '' : trimmed.slice(sp + 1).replace(/^[ \t]+/, '');
  if (word === '') return { ok: false, reason: 'syntax', message: 'Empty command' };
  if (!verbs.has(word)) return { ok: false, reason: 'unknown', verb: word.slice(0, 32) };
  return { ok: true, verb: word as Verb, args };
}
