// The exact test the full-text worker applies to a candidate's text: does its i;unicode-casemap
// form (src/mime/casemap.ts) contain the folded needle, as a scan's instr(casemap(col), needle)?
import { unicodeCasemap } from '../../mime/casemap.js';

const ASCII = /^[\x00-\x7f]*$/;

/**
 * A test of texts for `needle` (already folded). Folding a whole text (NFKD of its non-ASCII runs,
 * then uppercase) costs more than searching it, so an ASCII needle is first looked for in the text
 * as it is, ASCII letters compared case-insensitively: such an occurrence survives folding
 * unchanged (folding leaves ASCII characters in place and uppercases them), so it is a match. A
 * non-unicode /i RegExp never matches a non-ASCII character to an ASCII one (ECMA-262
 * Canonicalize), so it finds nothing folding would not. Only when that finds nothing (the needle
 * may still appear through folding, as "CAFE" in "café" after NFKD) is the text folded.
 */
export function foldedSubstringTest(needle: string): (text: string) => boolean {
  const quick = ASCII.test(needle) ? new RegExp(needle.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), 'i') : null;
  return (text) => quick?.test(text) === true || unicodeCasemap(text).includes(needle);
}
