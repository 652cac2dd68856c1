// RFC 5256 §2.1 base subject: decoded, whitespace-normalised, with reply/forward markers, subject
// blobs and "(fwd)" trailers removed, and "[fwd: …]" wrappers unwrapped.
import { decodeWords } from '../../store/mime/decode.js';

const LEADER = /^(?:\[[^[\]]*\]\s*)*(?:re|fwd?)\s*(?:\[[^[\]]*\])?\s*:/i;
const BLOB = /^\[[^[\]]*\]\s*/;

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
