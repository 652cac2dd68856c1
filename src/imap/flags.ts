// Flag syntax and formatting. System flags are canonicalised to their RFC spelling so `\SEEN` and
// `\Seen` are one flag; keywords keep the client's spelling.
import { ImapSyntaxError } from './proto/errors.js';
import type { Token } from './proto/tokens.js';

const SYSTEM = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];
const SYSTEM_BY_LOWER = new Map(SYSTEM.map((f) => [f.toLowerCase(), f]));

export const PERMANENT_FLAGS = [...SYSTEM, '\\*'];

export function canonicalFlag(raw: string): string {
  if (raw.startsWith('\\')) {
    const sys = SYSTEM_BY_LOWER.get(raw.toLowerCase());
    if (!sys) {
      if (raw.toLowerCase() === '\\recent') return '\\Recent';
      throw new ImapSyntaxError(`Invalid system flag ${raw.slice(0, 40)}`);
    }
    return sys;
  }
  if (!/^[\x21-\x7e]+$/.test(raw) || /[(){%*"\\\]]/.test(raw)) throw new ImapSyntaxError(`Invalid keyword ${raw.slice(0, 40)}`);
  return raw;
}

/** Flags from a parenthesised list or a single atom (STORE allows both). \Recent is dropped. */
export function parseFlags(tokens: Token[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    if (t.type !== 'atom') throw new ImapSyntaxError('Flags must be atoms');
    const f = canonicalFlag(t.value);
    if (f === '\\Recent') continue;
    if (!out.some((x) => x.toLowerCase() === f.toLowerCase())) out.push(f);
  }
  return out;
}

export function formatFlags(flags: readonly string[], recent: boolean): string {
  const all = recent ? [...flags, '\\Recent'] : [...flags];
  return `(${all.join(' ')})`;
}

export function hasFlag(flags: readonly string[], flag: string): boolean {
  const l = flag.toLowerCase();
  return flags.some((f) => f.toLowerCase() === l);
}
