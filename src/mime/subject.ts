// RFC 5256 §2.1 base subject, and the i;ascii-casemap sort key derived from it. IMAP SORT SUBJECT,
// THREAD=ORDEREDSUBJECT/REFERENCES, JMAP sort by subject and RFC 8621 threading all use these.
import { decodeWords } from './decode.js';

const LEADER = /^(?:\[[^[\]]*\]\s*)*(?:re|fwd?)\s*(?:\[[^[\]]*\])?\s*:/i;
const BLOB = /^\[[^[\]]*\]\s*/;

/** The base subject, decoded and whitespace-normalised; case is kept (the sort key folds it). */
export function baseSubject(raw: string | null): string {
  if (raw === null) return '';
  let s = decodeWords(raw).replace(/[\t\r\n]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  for (;;) {
    const start = s;
    // (2) trailers
    for (;;) {
      const t = s.replace(/\s*\(fwd\)\s*$/i, '').replace(/\s+$/, '');
      if (t === s) break;
      s = t;
    }
    // (3)(4) leaders and blobs
    for (;;) {
      let t = s.replace(/^\s+/, '');
      const m = LEADER.exec(t);
      if (m) t = t.slice(m[0].length);
      else {
        const b = BLOB.exec(t);
        if (b && t.length > b[0].length) t = t.slice(b[0].length);
      }
      if (t === s) break;
      s = t;
    }
    // (5) [fwd: …]
    const w = /^\[fwd:([\s\S]*)\]$/i.exec(s);
    if (w) {
      s = w[1]!.trim();
      continue;
    }
    if (s === start) return s;
  }
}

/** i;ascii-casemap (RFC 4790 §9.2): ASCII letters upper-cased, everything else as it is. */
export function asciiCasemap(s: string): string {
  return s.replace(/[a-z]+/g, (c) => c.toUpperCase());
}

/** The subject sort and threading key. */
export function subjectSortKey(raw: string | null): string {
  return asciiCasemap(baseSubject(raw));
}

/** Whether the subject marks a reply or forward (RFC 5256 §2.2 step 5: such a thread is not the root). */
export function isReplyOrForward(raw: string | null): boolean {
  if (!raw) return false;
  const s = decodeWords(raw).replace(/\s+/g, ' ').trim();
  return LEADER.test(s) || /\(fwd\)\s*$/i.test(s) || /^\[fwd:/i.test(s);
}
