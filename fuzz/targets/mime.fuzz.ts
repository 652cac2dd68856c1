// The message model (src/mime parseMessage) and what IMAP builds from it: BODY / BODYSTRUCTURE and
// ENVELOPE (src/imap/fetch/structure.ts) and the section bytes FETCH sends (src/imap/fetch/section.ts).
// The input is a message as delivered.
//
// Invariants:
//  - parsing never throws, and the full analysis never has to fall back to the "nothing could be
//    made of it" description when the structure itself parsed (that would hide an exception);
//  - every part's offsets lie within its parent and the message, in order, and its size is its
//    byte count; section numbers name the part they were given to;
//  - BODY and BODYSTRUCTURE are well-formed IMAP data (balanced lists, correct strings and
//    literals) following the RFC 3501 / RFC 9051 body grammar, and say what the model says;
//  - FETCH BODY[n] returns `size` bytes and BINARY[n] returns `decodedSize` bytes.
import { parseMessage } from '../../src/mime/parse.js';
import { parseStructure, MAX_DEPTH, MAX_PARTS } from '../../src/mime/structure.js';
import type { EnvelopeAddress, Envelope, MimePart } from '../../src/mime/types.js';
import { bodyStructureWire, envelopeWire } from '../../src/imap/fetch/structure.js';
import { findPart, sectionBytes } from '../../src/imap/fetch/section.js';
import { toBuffer } from '../../src/imap/proto/serialize.js';
import { ImapNoError } from '../../src/imap/proto/errors.js';
import { readImapData, type Datum } from '../support/imap-data.js';
import { attempt, check, checkEqual, show } from '../support/invariant.js';

const TOKEN = /^[a-z0-9!#$&^_.+-]+$/;

function str(d: Datum | undefined, what: string): string {
  check(d !== undefined && d.t === 'str', () => `${what}: expected a string, got ${show(d)}`);
  return d.v.toString('utf8');
}

function nstr(d: Datum | undefined, what: string): string | null {
  if (d?.t === 'nil') return null;
  return str(d, what);
}

function num(d: Datum | undefined, what: string): number {
  check(d !== undefined && d.t === 'num', () => `${what}: expected a number, got ${show(d)}`);
  return d.v;
}

function list(d: Datum | undefined, what: string): Datum[] {
  check(d !== undefined && d.t === 'list', () => `${what}: expected a list, got ${show(d)}`);
  return d.v;
}

/** body-fld-param: NIL or ("NAME" "value" …), compared with the part's parameters. */
function checkParams(d: Datum | undefined, params: Record<string, string>, what: string): void {
  const keys = Object.keys(params);
  if (keys.length === 0) {
    check(d?.t === 'nil', () => `${what}: no parameters but ${show(d)}`);
    return;
  }
  const items = list(d, what);
  check(items.length % 2 === 0, `${what}: odd parameter list`);
  const got: Array<[string, string]> = [];
  for (let i = 0; i < items.length; i += 2) got.push([str(items[i], what), str(items[i + 1], what)]);
  checkEqual(got, keys.map((k) => [k.toUpperCase(), params[k]]), what);
}

function checkAddresses(d: Datum | undefined, expected: EnvelopeAddress[] | null, what: string): void {
  if (!expected || expected.length === 0) {
    check(d?.t === 'nil', () => `${what}: expected NIL, got ${show(d)}`);
    return;
  }
  const items = list(d, what);
  checkEqual(items.length, expected.length, `${what}: address count`);
  items.forEach((a, i) => {
    const f = list(a, what);
    checkEqual(f.length, 4, `${what}: address fields`);
    const e = expected[i]!;
    checkEqual([nstr(f[0], what), nstr(f[1], what), nstr(f[2], what), nstr(f[3], what)], [e.name, e.adl, e.mailbox, e.host], `${what}[${i}]`);
  });
}

function checkEnvelope(d: Datum | undefined, e: Envelope): void {
  const f = list(d, 'envelope');
  checkEqual(f.length, 10, 'envelope field count');
  checkEqual(nstr(f[0], 'date'), e.date, 'envelope date');
  checkEqual(nstr(f[1], 'subject'), e.subject, 'envelope subject');
  const lists = [e.from, e.sender, e.replyTo, e.to, e.cc, e.bcc];
  lists.forEach((l, i) => checkAddresses(f[2 + i], l, `envelope address list ${i}`));
  checkEqual(nstr(f[8], 'in-reply-to'), e.inReplyTo, 'envelope in-reply-to');
  checkEqual(nstr(f[9], 'message-id'), e.messageId, 'envelope message-id');
}

/** body-fld-dsp, body-fld-lang, body-fld-loc of a BODYSTRUCTURE part. */
function checkExtension(f: Datum[], at: number, part: MimePart, what: string): void {
  checkEqual(f.length, at + 3, `${what}: extension field count`);
  const dsp = f[at];
  if (part.disposition) {
    const d = list(dsp, `${what} disposition`);
    checkEqual(d.length, 2, `${what}: disposition fields`);
    checkEqual(str(d[0], 'disposition'), part.disposition.type.toUpperCase(), `${what}: disposition type`);
    checkParams(d[1], part.disposition.params, `${what} disposition parameters`);
  } else check(dsp?.t === 'nil', `${what}: disposition should be NIL`);
  const lang = f[at + 1];
  if (part.language && part.language.length > 0) checkEqual(list(lang, 'language').map((l) => str(l, 'language')), part.language, `${what}: language`);
  else check(lang?.t === 'nil', `${what}: language should be NIL`);
  checkEqual(nstr(f[at + 2], 'location'), part.location, `${what}: location`);
}

/** Checks one `body` (RFC 3501 §9) against the part it was written from. */
function checkBody(d: Datum, part: MimePart, extensible: boolean): void {
  const what = `part ${show(part.partId)}`;
  const f = list(d, what);
  if (part.type === 'multipart') {
    const n = part.children.length;
    check(n > 0, `${what}: multipart without children`);
    f.slice(0, n).forEach((child, i) => checkBody(child, part.children[i]!, extensible));
    checkEqual(str(f[n], 'subtype'), part.subtype.toUpperCase(), `${what}: multipart subtype`);
    if (!extensible) checkEqual(f.length, n + 1, `${what}: BODY multipart fields`);
    else {
      checkParams(f[n + 1], part.params, `${what} parameters`);
      checkExtension(f, n + 2, part, what);
    }
    return;
  }
  checkEqual(str(f[0], 'type'), part.type.toUpperCase(), `${what}: type`);
  checkEqual(str(f[1], 'subtype'), part.subtype.toUpperCase(), `${what}: subtype`);
  checkParams(f[2], part.params, `${what} parameters`);
  checkEqual(nstr(f[3], 'id'), part.contentId, `${what}: content id`);
  checkEqual(nstr(f[4], 'description'), part.description, `${what}: description`);
  checkEqual(str(f[5], 'encoding'), part.encoding.toUpperCase(), `${what}: encoding`);
  checkEqual(num(f[6], 'octets'), part.size, `${what}: octets`);
  let at = 7;
  // body-type-msg: media-message is "MESSAGE" "RFC822" (RFC 9051: or "GLOBAL"), and only it takes
  // an envelope, a body and a line count; a client reading MESSAGE/RFC822 expects them.
  const isMsg = part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global');
  if (isMsg) {
    check(part.message !== null, () => `${what}: MESSAGE/${part.subtype.toUpperCase()} written without its envelope and body`);
    checkEnvelope(f[7], part.message.envelope);
    checkBody(f[8]!, part.message.body, extensible);
    checkEqual(num(f[9], 'lines'), part.lines ?? 0, `${what}: lines`);
    at = 10;
  } else {
    check(part.message === null, `${what}: embedded message under a type that does not carry one`);
    if (part.type === 'text') {
      checkEqual(num(f[7], 'lines'), part.lines ?? 0, `${what}: lines`);
      at = 8;
    }
  }
  if (!extensible) {
    checkEqual(f.length, at, `${what}: BODY field count`);
    return;
  }
  checkEqual(nstr(f[at], 'md5'), part.md5, `${what}: md5`);
  checkExtension(f, at + 1, part, what);
}

/** Structural rules of the model: offsets nest, ids follow IMAP section numbering. */
function checkPart(part: MimePart, parent: { start: number; end: number }, expectedId: string, total: number, depth: number, counter: { parts: number }): void {
  const what = `part ${show(part.partId)}`;
  counter.parts++;
  check(depth <= MAX_DEPTH + 2, `${what}: nested deeper than the bound`);
  checkEqual(part.partId, expectedId, `${what}: section number`);
  check(parent.start <= part.headerStart && part.headerStart <= part.bodyStart && part.bodyStart <= part.end && part.end <= parent.end, () =>
    `${what}: offsets ${part.headerStart}/${part.bodyStart}/${part.end} outside ${parent.start}..${parent.end}`);
  check(part.end <= total, `${what}: ends past the message`);
  checkEqual(part.size, part.end - part.bodyStart, `${what}: size`);
  check(TOKEN.test(part.type) && TOKEN.test(part.subtype), () => `${what}: media type ${show(`${part.type}/${part.subtype}`)}`);
  for (const k of Object.keys(part.params)) check(k === k.toLowerCase(), () => `${what}: parameter name ${show(k)} not lower case`);
  if (part.lines !== null) check(Number.isSafeInteger(part.lines) && part.lines >= 0, `${what}: lines`);
  if (part.decodedSize !== undefined) check(Number.isSafeInteger(part.decodedSize) && part.decodedSize >= 0, `${what}: decodedSize`);
  let prev = part.bodyStart;
  part.children.forEach((child, i) => {
    check(part.type === 'multipart', `${what}: children under a non-multipart`);
    check(child.headerStart >= prev, () => `${what}: child ${i + 1} starts before the previous one ended`);
    prev = child.end;
    checkPart(child, { start: part.bodyStart, end: part.end }, expectedId ? `${expectedId}.${i + 1}` : String(i + 1), total, depth + 1, counter);
  });
  if (part.message) {
    const inner = part.message.body;
    const innerId = inner.type === 'multipart' ? part.partId : `${part.partId}.1`;
    checkPart(inner, { start: part.bodyStart, end: part.end }, innerId, total, depth + 1, counter);
  }
}

/** Section numbers in the structure name their part: FETCH BODY[n] / BINARY[n] get its bytes. */
function checkSections(raw: Buffer, root: MimePart, part: MimePart, isContainerBody: boolean): void {
  if (part.partId !== '' && !isContainerBody) {
    const numbers = part.partId.split('.').map(Number);
    check(findPart(root, numbers) === part, () => `section ${part.partId} does not name its part`);
    const body = sectionBytes(raw, root, { part: numbers }, false);
    checkEqual(body?.length, part.size, `BODY[${part.partId}] length against octets`);
    const mime = sectionBytes(raw, root, { part: numbers, text: 'MIME' }, false);
    checkEqual(mime?.length, part.bodyStart - part.headerStart, `BODY[${part.partId}.MIME] length`);
    if (part.type !== 'multipart' && !part.message) {
      const binary = attempt(() => sectionBytes(raw, root, { part: numbers }, true), ImapNoError);
      if (binary.ok && part.decodedSize !== undefined) checkEqual(binary.value?.length, part.decodedSize, `BINARY[${part.partId}] length against decodedSize`);
    }
  }
  for (const child of part.children) checkSections(raw, root, child, false);
  if (part.message) checkSections(raw, root, part.message.body, part.message.body.type === 'multipart');
}

export function fuzz(data: Buffer): void {
  const structure = parseStructure(data);
  const { parsed } = parseMessage(data);
  // The fallback has no headers, one part over every byte and no decodedSize (a cheap comparison;
  // the whole trees are equal when no exception was swallowed).
  const sig = (headers: unknown[], b: MimePart): unknown[] => [headers.length, b.bodyStart, b.end, b.type, b.subtype, b.children.length, b.decodedSize];
  checkEqual(sig(parsed.headers, parsed.body), sig(structure.headers, structure.body), 'parseMessage fell back although the structure parsed (an exception was swallowed)');
  const root = parsed.body;
  const counter = { parts: 0 };
  checkPart(root, { start: 0, end: data.length }, root.type === 'multipart' ? '' : '1', data.length, 0, counter);
  // MAX_PARTS counts parts as they are opened; the opaque rest of a multipart adds one per level.
  check(counter.parts <= MAX_PARTS + MAX_DEPTH + 2, () => `${counter.parts} parts, over the bound`);
  checkSections(data, root, root, root.type === 'multipart');
  for (const utf8 of [false, true]) {
    for (const extensible of [false, true]) {
      checkBody(readImapData(toBuffer(bodyStructureWire(root, extensible, utf8)), utf8), root, extensible);
    }
    checkEnvelope(readImapData(toBuffer(envelopeWire(parsed.envelope, utf8)), utf8), parsed.envelope);
  }
}
