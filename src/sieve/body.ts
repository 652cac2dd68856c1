// What the RFC 5173 body test compares: the raw body (:raw), the decoded text of its text parts
// (:text, HTML turned into text), or the decoded parts of given content types (:content). Decoded
// text is bounded (MAX_BODY_TEXT in all) so a huge message costs a bounded amount of work.
import type { MimePart } from '../mime/types.js';
import { parseStructure } from '../mime/structure.js';
import { decodeText, decodeTransfer, htmlToText } from '../mime/decode.js';

export const MAX_BODY_TEXT = 1 << 20;

export type BodyTransform = { kind: 'raw' } | { kind: 'text' } | { kind: 'content'; types: string[] };

function leaves(part: MimePart, out: MimePart[]): MimePart[] {
  if (part.children.length > 0) for (const c of part.children) leaves(c, out);
  else if (part.message) leaves(part.message.body, out);
  else out.push(part);
  return out;
}

/** RFC 5173 §5.2: "text" matches text/*, "text/plain" that type only, "" everything. */
function typeMatches(part: MimePart, wanted: string): boolean {
  const w = wanted.toLowerCase();
  if (w === '') return true;
  if (w.includes('/')) return w === `${part.type}/${part.subtype}`;
  return w === part.type;
}

export function bodyTexts(bytes: Buffer, transform: BodyTransform): string[] {
  const structure = parseStructure(bytes);
  if (transform.kind === 'raw') {
    return [bytes.subarray(structure.body.bodyStart, Math.min(structure.body.end, structure.body.bodyStart + MAX_BODY_TEXT)).toString('utf8')];
  }
  const out: string[] = [];
  let budget = MAX_BODY_TEXT;
  for (const part of leaves(structure.body, [])) {
    if (budget <= 0) break;
    const wanted = transform.kind === 'text' ? part.type === 'text' : transform.types.some((t) => typeMatches(part, t));
    if (!wanted || part.disposition?.type === 'attachment' && transform.kind === 'text') continue;
    const raw = bytes.subarray(part.bodyStart, Math.min(part.end, part.bodyStart + budget * 4));
    let text = decodeText(decodeTransfer(raw, part.encoding), part.params.charset);
    if (transform.kind === 'text' && part.subtype === 'html') text = htmlToText(text);
    text = text.slice(0, budget);
    budget -= text.length;
    out.push(text);
  }
  return out;
}
