// Maps the store's MIME tree to JMAP EmailBodyPart objects and computes textBody, htmlBody and
// attachments with the algorithm of RFC 8621 §4.1.4.
import type { MimePart } from '../../store/types.js';
import { decodeWords } from '../../mime/decode.js';
import type { Json, JsonObject } from '../core/types.js';
import { applyForm, formAllowed, parseHeaderProperty } from './header-forms.js';
import { partBlobId } from './blob-ids.js';

export const DEFAULT_BODY_PROPERTIES = ['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location'];

export const BODY_PART_PROPERTIES = new Set([...DEFAULT_BODY_PROPERTIES, 'headers', 'subParts']);

export function isMultipart(part: MimePart): boolean {
  return part.type === 'multipart';
}

export function mediaType(part: MimePart): string {
  return `${part.type}/${part.subtype}`;
}

export function partName(part: MimePart): string | null {
  const raw = part.disposition?.params.filename ?? part.params.name;
  if (raw === undefined || raw === '') return null;
  return decodeWords(raw);
}

export function partCharset(part: MimePart): string | null {
  const cs = part.params.charset;
  if (cs !== undefined && cs !== '') return cs;
  return part.type === 'text' ? 'us-ascii' : null;
}

/** RFC 8621 EmailBodyPart.size: the size once the transfer encoding is undone (computed at delivery). */
export function decodedSize(part: MimePart): number {
  return part.decodedSize ?? part.size;
}

function isInlineMediaType(type: string): boolean {
  return type.startsWith('image/') || type.startsWith('audio/') || type.startsWith('video/');
}

export interface BodyLists {
  textBody: MimePart[];
  htmlBody: MimePart[];
  attachments: MimePart[];
}

/** RFC 8621 §4.1.4 parseStructure, transcribed. */
export function bodyLists(root: MimePart): BodyLists {
  const text: MimePart[] = [];
  const html: MimePart[] = [];
  const attachments: MimePart[] = [];
  const walk = (parts: MimePart[], multipartType: string, inAlternative: boolean, htmlBody: MimePart[] | null, textBody: MimePart[] | null): void => {
    const textLength = textBody ? textBody.length : -1;
    const htmlLength = htmlBody ? htmlBody.length : -1;
    parts.forEach((part, i) => {
      const type = mediaType(part);
      const isInline =
        part.disposition?.type !== 'attachment' &&
        (type === 'text/plain' || type === 'text/html' || isInlineMediaType(type)) &&
        (i === 0 || (multipartType !== 'related' && (isInlineMediaType(type) || partName(part) === null)));
      if (isMultipart(part)) {
        walk(part.children, part.subtype, inAlternative || part.subtype === 'alternative', htmlBody, textBody);
      } else if (isInline) {
        if (multipartType === 'alternative') {
          if (type === 'text/plain') textBody?.push(part);
          else if (type === 'text/html') htmlBody?.push(part);
          else attachments.push(part);
          return;
        } else if (inAlternative) {
          if (type === 'text/plain') htmlBody = null;
          if (type === 'text/html') textBody = null;
        }
        textBody?.push(part);
        htmlBody?.push(part);
        if ((!textBody || !htmlBody) && isInlineMediaType(type)) attachments.push(part);
      } else {
        attachments.push(part);
      }
    });
    if (multipartType === 'alternative' && textBody && htmlBody) {
      if (textLength === textBody.length && htmlLength !== htmlBody.length) {
        for (let i = htmlLength; i < htmlBody.length; i++) textBody.push(htmlBody[i] as MimePart);
      }
      if (htmlLength === htmlBody.length && textLength !== textBody.length) {
        for (let i = textLength; i < textBody.length; i++) htmlBody.push(textBody[i] as MimePart);
      }
    }
  };
  walk([root], 'mixed', false, html, text);
  return { textBody: text, htmlBody: html, attachments };
}

/** All leaf parts in document order (for fetchAllBodyValues and part lookups). */
export function leafParts(root: MimePart): MimePart[] {
  if (isMultipart(root)) return root.children.flatMap(leafParts);
  return [root];
}

export function findPart(root: MimePart, partId: string): MimePart | undefined {
  if (!isMultipart(root) && root.partId === partId) return root;
  for (const c of root.children) {
    const found = findPart(c, partId);
    if (found) return found;
  }
  return undefined;
}

/** One EmailBodyPart with the requested properties (header:* forms included). */
export function toBodyPart(part: MimePart, emailId: string, properties: readonly string[]): JsonObject {
  const multipart = isMultipart(part);
  const out: JsonObject = {};
  for (const prop of properties) {
    switch (prop) {
      case 'partId':
        out.partId = multipart ? null : part.partId;
        break;
      case 'blobId':
        out.blobId = multipart ? null : partBlobId(emailId, part.partId);
        break;
      case 'size':
        out.size = multipart ? 0 : decodedSize(part);
        break;
      case 'headers':
        out.headers = part.headers.map((h) => ({ name: h.name, value: h.value }));
        break;
      case 'name':
        out.name = partName(part);
        break;
      case 'type':
        out.type = mediaType(part);
        break;
      case 'charset':
        out.charset = partCharset(part);
        break;
      case 'disposition':
        out.disposition = part.disposition?.type ?? null;
        break;
      case 'cid':
        out.cid = part.contentId === null ? null : part.contentId.replace(/^\s*<|>\s*$/g, '');
        break;
      case 'language':
        out.language = part.language;
        break;
      case 'location':
        out.location = part.location;
        break;
      case 'subParts':
        out.subParts = multipart ? part.children.map((c) => toBodyPart(c, emailId, properties)) : null;
        break;
      default: {
        const hp = parseHeaderProperty(prop);
        if (hp !== undefined) out[prop] = headerValue(part.headers, hp.name, hp.form, hp.all);
      }
    }
  }
  return out;
}

/** header:Name:asForm[:all] over a header list: the last instance, or every instance with :all. */
export function headerValue(headers: ReadonlyArray<{ name: string; value: string }>, name: string, form: Parameters<typeof applyForm>[1], all: boolean): Json {
  const lower = name.toLowerCase();
  const values = headers.filter((h) => h.name.toLowerCase() === lower).map((h) => applyForm(h.value, form));
  if (all) return values;
  return values.length > 0 ? (values[values.length - 1] as Json) : null;
}

export { formAllowed };
