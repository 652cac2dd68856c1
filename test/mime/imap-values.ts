// Reads IMAP response data the way a client does (RFC 3501 §4): NIL, atoms, numbers, quoted strings
// and literals (UTF-8 decoded), and parenthesised lists, so tests compare ENVELOPE and THREAD
// responses as values rather than as text.
export type ImapValue = string | null | ImapValue[];

/** The input is the response text as the raw client reads it: one char per byte (latin1). */
function parseValue(text: string, at: { i: number }): ImapValue {
  while (text[at.i] === ' ') at.i++;
  const c = text[at.i];
  if (c === '(') {
    at.i++;
    const list: ImapValue[] = [];
    for (;;) {
      while (text[at.i] === ' ') at.i++;
      if (text[at.i] === ')') {
        at.i++;
        return list;
      }
      if (at.i >= text.length) throw new Error('unterminated list');
      list.push(parseValue(text, at));
    }
  }
  if (c === '"') {
    let s = '';
    at.i++;
    while (at.i < text.length && text[at.i] !== '"') {
      if (text[at.i] === '\\') at.i++;
      s += text[at.i++];
    }
    at.i++;
    return Buffer.from(s, 'latin1').toString('utf8');
  }
  if (c === '{' || (c === '~' && text[at.i + 1] === '{')) {
    const m = /^~?\{(\d+)\+?\}\r\n/.exec(text.slice(at.i));
    if (!m) throw new Error(`bad literal at ${at.i}`);
    const start = at.i + m[0].length;
    at.i = start + Number(m[1]);
    return Buffer.from(text.slice(start, at.i), 'latin1').toString('utf8');
  }
  const m = /^[^\s()"{]+/.exec(text.slice(at.i));
  if (!m) throw new Error(`unexpected ${JSON.stringify(text.slice(at.i, at.i + 20))}`);
  at.i += m[0].length;
  return m[0].toUpperCase() === 'NIL' ? null : m[0];
}

/** The data items of the FETCH responses in `text` (`* n FETCH (...)`), by item name. */
export function parseFetchValues(text: string): Map<string, ImapValue> {
  const out = new Map<string, ImapValue>();
  const re = /\* \d+ FETCH /g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const at = { i: m.index + m[0].length };
    const items = parseValue(text, at);
    if (!Array.isArray(items)) throw new Error('FETCH data is not a list');
    for (let k = 0; k + 1 < items.length; k += 2) out.set(String(items[k]).toUpperCase(), items[k + 1]!);
    re.lastIndex = at.i;
  }
  return out;
}

/** `* THREAD` data → the numbers of each top-level thread. */
export function parseThreadGroups(data: string): number[][] {
  const flat = (v: ImapValue): number[] => (Array.isArray(v) ? v.flatMap(flat) : v === null ? [] : [Number(v)]);
  const groups: number[][] = [];
  const at = { i: 0 };
  for (;;) {
    while (data[at.i] === ' ') at.i++;
    if (at.i >= data.length) return groups;
    groups.push(flat(parseValue(data, at)));
  }
}
