// Java .properties files (jmap.properties, tessera.properties): `key=value`, `key: value` or
// `key value`; `#`/`!` comments; backslash line continuations; \t \n \r \f \uXXXX escapes.
// Like XML sections, the reader remembers which keys were read so the rest can be warned about.
import type { FileContext } from './context.js';
import type { RawValue } from './xml.js';

export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}

/** True when the line ends in an odd number of backslashes, i.e. continues on the next line. */
function continues(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

export function parseProperties(text: string): PropertyEntry[] {
  const lines = text.split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (continues(logical) && i + 1 < lines.length) {
      i++;
      logical = logical.slice(0, -1) + (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    }
    if (continues(logical)) logical = logical.slice(0, -1);
    // The key ends at the first unescaped '=', ':' or whitespace.
    let end = 0;
    while (end < logical.length) {
      const c = logical[end];
      if (c === '\\') {
        end += 2;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      end++;
    }
    const rawKey = logical.slice(0, end);
    let rest = logical.slice(end).replace(/^[ \t\f]+/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]+/, '');
    entries.push({ key: unescape(rawKey), value: unescape(rest).trim(), line: startLine });
  }
  return entries;
}

/** Parsed properties with read tracking. Later definitions win, as in Java, with a warning. */
export class PropertiesReader {
  private readonly values = new Map<string, PropertyEntry>();
  private readonly used = new Set<string>();

  constructor(readonly ctx: FileContext, text: string) {
    for (const entry of parseProperties(text)) {
      const previous = this.values.get(entry.key);
      if (previous) ctx.warn(entry.key, `defined twice (lines ${previous.line} and ${entry.line}); the value on line ${entry.line} is used`);
      this.values.set(entry.key, entry);
    }
  }

  /** The value of `key`; an empty value counts as absent, as James treats it. */
  get(key: string): RawValue | undefined {
    this.used.add(key);
    const entry = this.values.get(key);
    return entry && entry.value !== '' ? { raw: entry.value, key } : undefined;
  }

  parse<T>(key: string, parser: (raw: string) => T): T | undefined {
    const v = this.get(key);
    return v ? this.ctx.parse(key, v.raw, parser) : undefined;
  }

  /** Whether a non-empty key starts with `prefix` (keys starting with one of `except` do not count). */
  has(prefix: string, except: readonly string[] = []): boolean {
    return [...this.values.keys()].some(
      (k) => k.startsWith(prefix) && !except.some((e) => k.startsWith(e)) && this.values.get(k)?.value !== '',
    );
  }

  /** Warns about keys never read; `ignored` maps James keys Tessera does not use to a reason. */
  warnUnused(ignored: ReadonlyMap<string, string>): void {
    for (const key of this.values.keys()) {
      if (this.used.has(key)) continue;
      const reason = ignored.get(key);
      this.ctx.warn(
        key,
        reason !== undefined
          ? `James setting ${key} is not used by Tessera and is ignored${reason ? ` (${reason})` : ''}`
          : `unknown key ${key} is ignored; check its spelling`,
      );
    }
  }
}
