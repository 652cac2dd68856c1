// FETCH attribute parsing (RFC 3501 §6.4.5, BINARY RFC 3516, MODSEQ RFC 7162, EMAILID/THREADID
// RFC 8474 §5, PREVIEW RFC 8970 §3, SAVEDATE RFC 8514 §3).
import { ImapSyntaxError } from '../proto/errors.js';
import type { Token } from '../proto/tokens.js';

export type SectionText = 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface SectionSpec {
  /** Part numbers, e.g. [1, 2] for "1.2"; empty for the whole message. */
  part: number[];
  text?: SectionText;
  /** Upper-cased field names for HEADER.FIELDS(.NOT). */
  fields?: string[];
}

export type FetchItem =
  | { kind: 'FLAGS' | 'UID' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' | 'MODSEQ' | 'EMAILID' | 'THREADID' | 'PREVIEW' | 'SAVEDATE' }
  | {
      kind: 'section';
      /** Name used in the response, e.g. `BODY[HEADER]` or `RFC822.TEXT` (without the partial origin). */
      responseName: string;
      peek: boolean;
      binary: boolean;
      section: SectionSpec;
      partial?: { start: number; length: number };
    }
  | { kind: 'BINARY.SIZE'; responseName: string; section: SectionSpec };

const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

const SIMPLE = new Set(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'MODSEQ', 'EMAILID', 'THREADID', 'PREVIEW', 'SAVEDATE']);

const SECTION_RE = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[([^\]]*)\](?:<(\d{1,10})(?:\.(\d{1,10}))?>)?$/i;

export function parseSection(text: string, binary: boolean): SectionSpec {
  const m = /^((?:[1-9]\d{0,8})(?:\.[1-9]\d{0,8})*)?(?:(?:^|\.)(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)(?:\s*\(([^)]*)\))?)?$/i.exec(text.trim());
  if (!m) throw new ImapSyntaxError(`Invalid section "${text.slice(0, 40)}"`);
  const part = m[1] ? m[1].split('.').map(Number) : [];
  const spec: SectionSpec = { part };
  if (m[2]) {
    const t = m[2].toUpperCase() as SectionText;
    if (t === 'MIME' && part.length === 0) throw new ImapSyntaxError('MIME needs a part number');
    if (binary) throw new ImapSyntaxError('BINARY takes part numbers only');
    spec.text = t;
    if (t === 'HEADER.FIELDS' || t === 'HEADER.FIELDS.NOT') {
      if (m[3] === undefined) throw new ImapSyntaxError('HEADER.FIELDS needs a field list');
      const fields = m[3].match(/"(?:[^"\\]|\\.)*"|[^\s"]+/g) ?? [];
      if (fields.length === 0) throw new ImapSyntaxError('Empty header field list');
      spec.fields = fields.map((f) => (f.startsWith('"') ? f.slice(1, -1).replace(/\\(.)/g, '$1') : f).toUpperCase());
      for (const f of spec.fields) if (!/^[\x21-\x39\x3b-\x7e]+$/.test(f)) throw new ImapSyntaxError('Invalid header field name');
    } else if (m[3] !== undefined) throw new ImapSyntaxError('Unexpected field list');
  }
  return spec;
}

export function sectionLabel(spec: SectionSpec): string {
  const parts: string[] = [];
  if (spec.part.length > 0) parts.push(spec.part.join('.'));
  if (spec.text) parts.push(spec.fields ? `${spec.text} (${spec.fields.join(' ')})` : spec.text);
  return parts.join('.');
}

function parseOne(atom: string, out: FetchItem[]): void {
  const upper = atom.toUpperCase();
  if (SIMPLE.has(upper)) {
    out.push({ kind: upper as 'FLAGS' });
    return;
  }
  if (upper === 'RFC822') {
    out.push({ kind: 'section', responseName: 'RFC822', peek: false, binary: false, section: { part: [] } });
    return;
  }
  if (upper === 'RFC822.HEADER') {
    out.push({ kind: 'section', responseName: 'RFC822.HEADER', peek: true, binary: false, section: { part: [], text: 'HEADER' } });
    return;
  }
  if (upper === 'RFC822.TEXT') {
    out.push({ kind: 'section', responseName: 'RFC822.TEXT', peek: false, binary: false, section: { part: [], text: 'TEXT' } });
    return;
  }
  const m = SECTION_RE.exec(atom);
  if (!m) throw new ImapSyntaxError(`Unknown FETCH item ${atom.slice(0, 40)}`);
  const kind = m[1]!.toUpperCase();
  const binary = kind.startsWith('BINARY');
  const section = parseSection(m[2]!, binary);
  if (kind === 'BINARY.SIZE') {
    if (m[3] !== undefined) throw new ImapSyntaxError('BINARY.SIZE takes no partial range');
    out.push({ kind: 'BINARY.SIZE', responseName: `BINARY.SIZE[${sectionLabel(section)}]`, section });
    return;
  }
  let partial: { start: number; length: number } | undefined;
  if (m[3] !== undefined) {
    if (m[4] === undefined) throw new ImapSyntaxError('Partial range needs a length');
    const start = Number(m[3]);
    const length = Number(m[4]);
    if (length === 0 || start > 4294967295 || length > 4294967295) throw new ImapSyntaxError('Invalid partial range');
    partial = { start, length };
  }
  out.push({
    kind: 'section',
    responseName: `${binary ? 'BINARY' : 'BODY'}[${sectionLabel(section)}]`,
    peek: kind.endsWith('.PEEK'),
    binary,
    section,
    ...(partial ? { partial } : {}),
  });
}

export function parseFetchItems(t: Token): FetchItem[] {
  const out: FetchItem[] = [];
  if (t.type === 'atom') {
    const macro = MACROS[t.value.toUpperCase()];
    if (macro) {
      for (const m of macro) parseOne(m, out);
      return out;
    }
    parseOne(t.value, out);
    return out;
  }
  if (t.type !== 'list' || t.items.length === 0) throw new ImapSyntaxError('Invalid FETCH attribute list');
  for (let i = 0; i < t.items.length; i++) {
    const item = t.items[i]!;
    if (item.type === 'list' && out[out.length - 1]?.kind === 'PREVIEW') {
      previewModifiers(item.items);
      continue;
    }
    if (item.type !== 'atom') throw new ImapSyntaxError('Invalid FETCH attribute');
    parseOne(item.value, out);
  }
  return out;
}

/**
 * RFC 8970 §3.2: PREVIEW takes an optional modifier list; LAZY is the only one defined. Previews here
 * come from the summary parsed at ingest, so they are never costlier to give at once and LAZY asks
 * for nothing different. An unknown modifier is a BAD (§3.2).
 */
function previewModifiers(mods: Token[]): void {
  if (mods.length === 0) throw new ImapSyntaxError('Empty PREVIEW modifier list');
  for (const m of mods) {
    if (m.type !== 'atom' || m.value.toUpperCase() !== 'LAZY') throw new ImapSyntaxError('Unknown PREVIEW modifier');
  }
}
