// RFC 5256 §2.1 base subject: used for SORT SUBJECT, THREAD=ORDEREDSUBJECT and RFC 8621 threading.
import { decodeWords } from './decode.js';

export function baseSubject(raw: string | null): string {
  if (!raw) return '';
  let s = decodeWords(raw).replace(/[\t\r\n ]+/g, ' ').trim();
  for (;;) {
    const before = s;
    s = s.replace(/\s*\(fwd\)\s*$/i, '').trim();
    // subj-leader: (blob* subj-refwd)* — "Re:", "Fwd:", "Fw:", "Re[2]:", "[list] Re:"
    s = s.replace(/^((\[[^\[\]]*\]\s*)*(re|fwd?)\s*(\[[^\[\]]*\])?\s*:\s*)+/i, '').trim();
    const blob = /^\[[^\[\]]*\]\s*/.exec(s);
    if (blob && s.length > blob[0].length) s = s.slice(blob[0].length);
    if (/^\[fwd:/i.test(s) && s.endsWith(']')) s = s.slice(5, -1).trim();
    if (s === before) break;
  }
  return s.toLowerCase();
}
