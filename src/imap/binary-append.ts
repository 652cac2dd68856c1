// APPEND with a literal8 (RFC 3516 §4.4) may carry NUL bytes, which no IMAP4rev1 client can receive
// through BODY[]. Before storing, every leaf part whose body holds NUL is re-encoded as base64 (its
// Content-Transfer-Encoding header replaced), so BODY[] stays valid and BINARY[] still returns the
// original bytes.
import { parseStructure } from '../mime/structure.js';
import type { MimePart } from '../store/types.js';

function leaves(p: MimePart, out: MimePart[]): MimePart[] {
  if (p.type === 'multipart') for (const c of p.children) leaves(c, out);
  else if (p.message) leaves(p.message.body, out);
  else out.push(p);
  return out;
}

function base64Lines(b: Buffer): string {
  const s = b.toString('base64');
  let out = '';
  for (let i = 0; i < s.length; i += 76) out += s.slice(i, i + 76) + '\r\n';
  return out;
}

/** The message with NUL-carrying parts converted to base64; the input itself when none has NUL. */
export function encodeBinaryParts(raw: Buffer): Buffer {
  if (!raw.includes(0)) return raw;
  const root = parseStructure(raw).body;
  const targets = leaves(root, []).filter((p) => raw.subarray(p.bodyStart, p.end).includes(0));
  if (targets.length === 0) return raw;
  const pieces: Buffer[] = [];
  let pos = 0;
  for (const p of targets.sort((a, b) => a.headerStart - b.headerStart)) {
    const header = raw.toString('latin1', p.headerStart, p.bodyStart);
    // Drop existing CTE fields (with continuation lines), then add ours before the blank line.
    const lines = header.split(/(?<=\n)/);
    const kept: string[] = [];
    let skipping = false;
    for (const l of lines) {
      if (/^[ \t]/.test(l) && skipping) continue;
      skipping = /^content-transfer-encoding\s*:/i.test(l);
      if (!skipping) kept.push(l);
    }
    const blankAt = kept.findIndex((l) => l === '\r\n' || l === '\n');
    const cte = 'Content-Transfer-Encoding: base64\r\n';
    if (blankAt >= 0) kept.splice(blankAt, 0, cte);
    else kept.push(cte, '\r\n');
    pieces.push(raw.subarray(pos, p.headerStart), Buffer.from(kept.join(''), 'latin1'), Buffer.from(base64Lines(raw.subarray(p.bodyStart, p.end)), 'latin1'));
    pos = p.end;
  }
  pieces.push(raw.subarray(pos));
  return Buffer.concat(pieces);
}
