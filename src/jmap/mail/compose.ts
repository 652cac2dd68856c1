// Builds RFC 5322 bytes for Email/set create (RFC 8621 §4.6) with nodemailer's MimeNode. The Email
// is checked against every constraint of §4.6 first, each invalid property recorded (by its path,
// e.g. "attachments/0/size") so the SetError names them all; textBody/htmlBody/attachments become
// the bodyStructure a mail client would write, and one builder serialises every shape. The message
// is produced a chunk at a time as it is read: blob contents are streamed from the store into the
// encoder, never held whole (several 40 MiB attachments would otherwise all be in memory at once).
import MimeNode from 'nodemailer/lib/mime-node';
import type { Readable } from 'node:stream';
import { blobContentStream, type BlobContent } from './blob-content.js';
import { SetFailure, setError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject } from '../core/types.js';
import type { PropertyErrors } from '../methods/set-properties.js';
import { formAllowed, parseHeaderProperty, type HeaderForm } from './header-forms.js';
import { CONVENIENCE_HEADERS } from './email-view.js';

/** A part's content: bodyValues[partId] text (bounded by the request size) or a blob. */
export interface PartContent {
  content: string | BlobContent;
  charset?: string;
}

/** Resolves a part's content; throws a blobNotFound SetError for a blob that does not exist. */
export type ContentSource = (part: JsonObject) => Promise<PartContent>;

interface Address {
  name?: string | null;
  email: string;
}

function addresses(v: Json | undefined, prop: string): Address[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((a) => isJsonObject(a) && typeof a.email === 'string')) {
    throw setError('invalidProperties', `${prop} must be a list of EmailAddress`, { properties: [prop] });
  }
  return v.map((a) => {
    const o = a as JsonObject;
    return { email: o.email as string, name: typeof o.name === 'string' ? o.name : null };
  });
}

function stringList(v: Json | undefined, prop: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) {
    throw setError('invalidProperties', `${prop} must be a list of strings`, { properties: [prop] });
  }
  return v;
}

function formatAddress(a: Address): string {
  return a.name ? `"${a.name.replace(/["\\]/g, '\\$&')}" <${a.email}>` : a.email;
}

function formatDate(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** Serialises a header:X:asForm (or convenience property) value to the raw field value nodemailer will encode as needed. */
function headerFromForm(form: HeaderForm, v: Json, prop: string): string {
  const bad = (): never => {
    throw setError('invalidProperties', `bad value for ${prop}`, { properties: [prop] });
  };
  switch (form) {
    case 'Raw':
    case 'Text':
      return typeof v === 'string' ? v : bad();
    case 'Addresses':
      return (addresses(v, prop) ?? []).map(formatAddress).join(', ');
    case 'GroupedAddresses': {
      if (!Array.isArray(v)) return bad();
      return v
        .map((g) => {
          if (!isJsonObject(g)) return bad();
          const list = (addresses(g.addresses, prop) ?? []).map(formatAddress).join(', ');
          return typeof g.name === 'string' ? `${g.name}: ${list};` : list;
        })
        .join(', ');
    }
    case 'MessageIds':
      return (stringList(v, prop) ?? []).map((id) => `<${id}>`).join(' ');
    case 'Date': {
      const d = typeof v === 'string' ? new Date(v) : null;
      return d && !Number.isNaN(d.getTime()) ? formatDate(d) : bad();
    }
    case 'URLs':
      return (stringList(v, prop) ?? []).map((u) => `<${u}>`).join(', ');
  }
}

interface Header {
  key: string;
  value: string;
}

/** The header field (lower case) each structural EmailBodyPart property writes. */
const PART_STRUCTURAL: Readonly<Record<string, string>> = {
  type: 'content-type',
  charset: 'content-type',
  name: 'content-disposition',
  disposition: 'content-disposition',
  cid: 'content-id',
  language: 'content-language',
  location: 'content-location',
};
const PART_PROPERTIES = new Set(['partId', 'blobId', 'size', 'subParts', ...Object.keys(PART_STRUCTURAL)]);
const EMAIL_STRUCTURAL: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(CONVENIENCE_HEADERS).map(([prop, h]) => [prop, h.name.toLowerCase()]),
);

/**
 * RFC 8621 §4.6 on the header properties of one Email or EmailBodyPart: no `headers`, no parsed form
 * forbidden for its field, no two properties for the same field (header:X twice, or header:X with
 * the structural property that writes X). Returns the lower-case names of the fields it sets and
 * its header:X properties, valid ones only.
 */
function checkHeaderProperties(
  obj: JsonObject,
  structural: Readonly<Record<string, string>>,
  path: string,
  errors: PropertyErrors,
): { fields: Set<string>; headerProps: Array<[string, NonNullable<ReturnType<typeof parseHeaderProperty>>]> } {
  if ('headers' in obj) errors.add([`${path}headers`], 'headers must not be given on create; set each header field as its own property');
  const owners = new Map<string, { structural: string[]; header: string[] }>();
  const owner = (field: string): { structural: string[]; header: string[] } => {
    let o = owners.get(field);
    if (o === undefined) owners.set(field, (o = { structural: [], header: [] }));
    return o;
  };
  const headerProps: Array<[string, NonNullable<ReturnType<typeof parseHeaderProperty>>]> = [];
  for (const key of Object.keys(obj)) {
    const field = structural[key];
    if (field !== undefined) {
      owner(field).structural.push(key);
      continue;
    }
    const hp = parseHeaderProperty(key);
    if (hp === undefined) continue;
    owner(hp.name.toLowerCase()).header.push(key);
    if (!formAllowed(hp.name, hp.form)) errors.add([`${path}${key}`], `as${hp.form} is not allowed on ${hp.name}`);
    else headerProps.push([key, hp]);
  }
  for (const { structural: s, header: h } of owners.values()) {
    if (h.length + (s.length > 0 ? 1 : 0) > 1) errors.add([...s, ...h].map((k) => `${path}${k}`), 'two properties for the same header field');
  }
  return { fields: new Set(owners.keys()), headerProps };
}

/** The raw header fields of header:X properties, each value read (bad ones recorded). */
function headerFields(obj: JsonObject, props: ReturnType<typeof checkHeaderProperties>['headerProps'], path: string, errors: PropertyErrors): Header[] {
  const out: Header[] = [];
  for (const [key, hp] of props) {
    const v = obj[key] as Json;
    errors.read(() => {
      const at = `${path}${key}`;
      if (hp.all) {
        if (!Array.isArray(v)) throw setError('invalidProperties', `${key} must be a list`, { properties: [at] });
        for (const x of v) out.push({ key: hp.name, value: headerFromForm(hp.form, x, at) });
      } else if (v !== null) out.push({ key: hp.name, value: headerFromForm(hp.form, v, at) });
    });
  }
  return out;
}

/** One checked EmailBodyPart, ready to serialise. */
interface PartSpec {
  type: string;
  source: JsonObject;
  name: string | undefined;
  disposition: string | undefined;
  cid: string | undefined;
  location: string | undefined;
  language: string[] | undefined;
  charset: string | undefined;
  headers: Header[];
  children: PartSpec[];
}

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;

function optString(part: JsonObject, key: string, at: string, errors: PropertyErrors): string | undefined {
  const v = part[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  errors.add([at + key], `${key} must be a string or null`);
  return undefined;
}

/**
 * Checks one EmailBodyPart of a create against RFC 8621 §4.6, recording every invalid property by
 * its path. `defaultType` is the type an omitted `type` means; `outerFields` are the header fields
 * the Email itself sets, which the bodyStructure root must not set again.
 */
function readPart(raw: Json, at: string, defaultType: string, errors: PropertyErrors, depth: number, outerFields?: Set<string>): PartSpec | undefined {
  if (!isJsonObject(raw)) {
    errors.add([at.replace(/\/$/, '')], 'a body part must be an object');
    return undefined;
  }
  if (depth > 20) {
    errors.add([at.replace(/\/$/, '')], 'bodyStructure nested too deeply');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!PART_PROPERTIES.has(key) && key !== 'headers' && parseHeaderProperty(key) === undefined) errors.add([at + key], `unknown body part property ${key}`);
  }
  const { fields, headerProps } = checkHeaderProperties(raw, PART_STRUCTURAL, at, errors);
  if (outerFields !== undefined) {
    const again = headerProps.filter(([, hp]) => outerFields.has(hp.name.toLowerCase())).map(([key]) => at + key);
    if (again.length > 0) errors.add(again, 'the bodyStructure root repeats a header field set on the Email');
  }
  for (const [key, hp] of headerProps) {
    if (hp.name.toLowerCase() === 'content-transfer-encoding') errors.add([at + key], 'Content-Transfer-Encoding must not be given; the server chooses the encoding');
  }
  const headers = headerFields(raw, headerProps.filter(([, hp]) => hp.name.toLowerCase() !== 'content-transfer-encoding'), at, errors);
  // A type given as header:Content-Type decides the media type as much as `type` does.
  const rawContentType = headers.find((h) => h.key.toLowerCase() === 'content-type')?.value;
  const typed = optString(raw, 'type', at, errors) ?? rawContentType?.split(';')[0]?.trim();
  const type = (typed ?? defaultType).toLowerCase();
  if (!MEDIA_TYPE.test(type)) errors.add([at + (raw.type !== undefined ? 'type' : 'header:Content-Type')], `bad media type ${type}`);
  const languageValue = raw.language;
  let language: string[] | undefined;
  if (Array.isArray(languageValue) && languageValue.every((l): l is string => typeof l === 'string' && /^[A-Za-z0-9-]+$/.test(l))) language = languageValue;
  else if (languageValue !== undefined && languageValue !== null) errors.add([at + 'language'], 'language must be a list of language tags or null');
  const spec: PartSpec = {
    type,
    source: raw,
    name: optString(raw, 'name', at, errors),
    disposition: optString(raw, 'disposition', at, errors),
    cid: optString(raw, 'cid', at, errors),
    location: optString(raw, 'location', at, errors),
    language,
    charset: optString(raw, 'charset', at, errors),
    headers,
    children: [],
  };
  if (spec.disposition !== undefined && !/^[A-Za-z0-9!#$&^_.+-]+$/.test(spec.disposition)) errors.add([at + 'disposition'], 'bad disposition');
  if (type.startsWith('multipart/')) {
    for (const key of ['partId', 'blobId', 'charset', 'size']) if (raw[key] !== undefined && raw[key] !== null) errors.add([at + key], `a multipart has no ${key}`);
    if (!Array.isArray(raw.subParts)) errors.add([at + 'subParts'], 'a multipart needs subParts');
    else {
      raw.subParts.forEach((sub, i) => {
        const child = readPart(sub, `${at}subParts/${i}/`, 'text/plain', errors, depth + 1);
        if (child !== undefined) spec.children.push(child);
      });
    }
    return spec;
  }
  if (raw.subParts !== undefined && raw.subParts !== null) errors.add([at + 'subParts'], 'only a multipart has subParts');
  const hasPart = typeof raw.partId === 'string';
  const hasBlob = typeof raw.blobId === 'string';
  for (const key of ['partId', 'blobId']) if (raw[key] !== undefined && raw[key] !== null && typeof raw[key] !== 'string') errors.add([at + key], `${key} must be a string`);
  if (hasPart && hasBlob) errors.add([at + 'partId', at + 'blobId'], 'a body part takes a partId or a blobId, not both');
  if (!hasPart && !hasBlob) errors.add([at + 'partId'], 'a body part needs a partId or a blobId');
  if (hasPart && raw.charset !== undefined) errors.add([at + 'charset'], 'charset must be omitted with a partId');
  if (hasPart && raw.size !== undefined) errors.add([at + 'size'], 'size must be omitted with a partId');
  if (hasBlob && raw.size !== undefined && raw.size !== null && !(typeof raw.size === 'number' && Number.isInteger(raw.size) && raw.size >= 0)) {
    errors.add([at + 'size'], 'size must be an unsigned integer');
  }
  return spec;
}

/** textBody or htmlBody: exactly one part, of the given type. */
function readSingle(v: Json | undefined, prop: 'textBody' | 'htmlBody', type: string, errors: PropertyErrors): PartSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 1) {
    errors.add([prop], `${prop} must hold exactly one part`);
    return undefined;
  }
  const spec = readPart(v[0] as Json, `${prop}/0/`, type, errors, 1);
  if (spec !== undefined && spec.type !== type) errors.add([`${prop}/0/type`], `${prop} must be of type ${type}`);
  return spec;
}

/** The bodyStructure a mail client writes for textBody/htmlBody/attachments. */
function synthesise(text: PartSpec | undefined, html: PartSpec | undefined, attachments: PartSpec[]): PartSpec | undefined {
  const multipart = (subtype: string, children: PartSpec[]): PartSpec => ({
    type: `multipart/${subtype}`, source: {}, name: undefined, disposition: undefined, cid: undefined, location: undefined, language: undefined,
    charset: undefined, headers: [], children,
  });
  let body: PartSpec | undefined = text && html ? multipart('alternative', [text, html]) : (text ?? html);
  // Parts an HTML body references by Content-ID travel with it in a multipart/related.
  const isRelated = (a: PartSpec): boolean => html !== undefined && a.cid !== undefined && a.disposition !== 'attachment';
  const related = attachments.filter(isRelated);
  const rest = attachments.filter((a) => !isRelated(a));
  for (const a of related) a.disposition ??= 'inline';
  if (body !== undefined && related.length > 0) body = multipart('related', [body, ...related]);
  for (const a of rest) a.disposition ??= 'attachment';
  if (rest.length === 0) return body;
  return multipart('mixed', body === undefined ? rest : [body, ...rest]);
}

/** Resolves every leaf's content, recording invalid properties and collecting every missing blob (RFC 8621 §4.6 blobNotFound). */
async function resolveContents(root: PartSpec, content: ContentSource, errors: PropertyErrors): Promise<Map<PartSpec, PartContent>> {
  const out = new Map<PartSpec, PartContent>();
  const missing: string[] = [];
  const visit = async (spec: PartSpec): Promise<void> => {
    if (spec.type.startsWith('multipart/')) {
      for (const c of spec.children) await visit(c);
      return;
    }
    try {
      const got = await errors.readAsync(() => content(spec.source));
      if (got !== undefined) out.set(spec, got);
    } catch (err) {
      if (!(err instanceof SetFailure) || err.error.type !== 'blobNotFound') throw err;
      missing.push(...(err.error.notFound ?? []));
    }
  };
  await visit(root);
  if (missing.length > 0) {
    errors.check();
    throw setError('blobNotFound', `blobs not found: ${missing.join(', ')}`, { notFound: [...new Set(missing)] });
  }
  return out;
}

/** A leaf's content as MimeNode takes it: text in memory, or a blob's stream (with its chosen encoding). */
interface NodeContent {
  content: string | Readable;
  charset?: string;
  transferEncoding?: string;
}

/** Serialises one checked part (and its children) as a MimeNode. */
function buildNode(spec: PartSpec, contents: Map<PartSpec, NodeContent>, parent: MimeNode | undefined): MimeNode {
  const opts = spec.name !== undefined ? { filename: spec.name } : {};
  const node = parent ? parent.createChild(spec.type, opts) : new MimeNode(spec.type, { ...opts, keepBcc: true });
  if (spec.type.startsWith('multipart/')) {
    for (const child of spec.children) buildNode(child, contents, node);
  } else {
    const got = contents.get(spec);
    node.setContent(got?.content ?? '');
    const charset = got?.charset ?? spec.charset;
    if (charset !== undefined && spec.type.startsWith('text/')) node.setHeader('Content-Type', `${spec.type}; charset=${charset}`);
    // MimeNode keeps a base64 or quoted-printable Content-Transfer-Encoding it is given (see ./blob-content.ts).
    if (got?.transferEncoding !== undefined) node.setHeader('Content-Transfer-Encoding', got.transferEncoding);
  }
  // nodemailer adds the (encoded) filename parameter to the disposition it is given.
  if (spec.disposition !== undefined) node.setHeader('Content-Disposition', spec.disposition);
  if (spec.cid !== undefined) node.setHeader('Content-ID', `<${spec.cid.replace(/^<|>$/g, '')}>`);
  if (spec.location !== undefined) node.setHeader('Content-Location', spec.location);
  if (spec.language !== undefined && spec.language.length > 0) node.setHeader('Content-Language', spec.language.join(', '));
  for (const h of spec.headers) {
    if (h.key.toLowerCase() === 'content-type') node.setHeader('Content-Type', h.value);
    else node.addHeader(h.key, h.value);
  }
  return node;
}

/**
 * The message's bytes as MimeNode writes them, blob contents streamed in as it reads them. Nothing
 * is opened until the first chunk is asked for; a reader that stops early (or a failure) destroys
 * the output, and MimeNode then destroys every content stream, releasing the blobs.
 */
async function* serialise(body: PartSpec, contents: Map<PartSpec, PartContent>, headers: Header[]): AsyncGenerator<Buffer> {
  const streams: Readable[] = [];
  try {
    const nodeContents = new Map<PartSpec, NodeContent>();
    for (const [spec, got] of contents) {
      const charset = got.charset !== undefined ? { charset: got.charset } : {};
      if (typeof got.content === 'string') {
        nodeContents.set(spec, { content: got.content, ...charset });
        continue;
      }
      const { stream, transferEncoding } = await blobContentStream(spec.type, got.content);
      streams.push(stream);
      nodeContents.set(spec, { content: stream, ...charset, ...(transferEncoding !== undefined ? { transferEncoding } : {}) });
    }
    const node = buildNode(body, nodeContents, undefined);
    for (const h of headers) node.addHeader(h.key, h.value);
    const out = node.createReadStream();
    streams.push(out);
    for await (const chunk of out) yield chunk as Buffer;
  } finally {
    // Streams made before a failure (or read to their end) are released; destroying an ended one does nothing.
    for (const s of streams) s.destroy();
  }
}

/** The Email's own header fields from its convenience properties, each bad value recorded. */
function convenienceHeaders(email: JsonObject, errors: PropertyErrors): Header[] {
  const out: Header[] = [];
  for (const [prop, h] of Object.entries(CONVENIENCE_HEADERS)) {
    const v = email[prop];
    if (v === undefined || v === null) continue;
    errors.read(() => {
      const value = headerFromForm(h.form, v, prop);
      if (h.form !== 'Addresses' || value !== '') out.push({ key: h.name, value });
    });
  }
  return out;
}

export interface ComposeInput {
  email: JsonObject;
  content: ContentSource;
  hostname: string;
  /** Where every invalid property is recorded; nothing is built while any is. */
  errors: PropertyErrors;
}

/**
 * The RFC 5322 bytes of an Email/set create, produced as they are read (every blob was opened, so a
 * missing one was reported, before this returns), or undefined when an invalid property was recorded.
 */
export async function composeEmail({ email, content, hostname, errors }: ComposeInput): Promise<AsyncIterable<Buffer> | undefined> {
  const { fields, headerProps } = checkHeaderProperties(email, EMAIL_STRUCTURAL, '', errors);
  for (const [key, hp] of headerProps) {
    if (hp.name.toLowerCase().startsWith('content-')) errors.add([key], 'Content-* header fields belong on body parts');
  }
  const headers = [...convenienceHeaders(email, errors), ...headerFields(email, headerProps.filter(([, hp]) => !hp.name.toLowerCase().startsWith('content-')), '', errors)];
  if (email.bodyValues !== undefined && email.bodyValues !== null && !isJsonObject(email.bodyValues)) errors.add(['bodyValues'], 'bodyValues must be an object');

  let root: PartSpec | undefined;
  if (email.bodyStructure !== undefined && email.bodyStructure !== null) {
    const alongside = ['textBody', 'htmlBody', 'attachments'].filter((k) => email[k] !== undefined && email[k] !== null);
    if (alongside.length > 0) errors.add(['bodyStructure', ...alongside], 'bodyStructure excludes textBody, htmlBody and attachments');
    root = readPart(email.bodyStructure, 'bodyStructure/', 'text/plain', errors, 0, fields);
  } else {
    const text = readSingle(email.textBody, 'textBody', 'text/plain', errors);
    const html = readSingle(email.htmlBody, 'htmlBody', 'text/html', errors);
    const attachments: PartSpec[] = [];
    if (email.attachments !== undefined && email.attachments !== null) {
      if (!Array.isArray(email.attachments)) errors.add(['attachments'], 'attachments must be a list');
      else {
        email.attachments.forEach((a, i) => {
          const spec = readPart(a, `attachments/${i}/`, 'text/plain', errors, 1);
          if (spec !== undefined) attachments.push(spec);
        });
      }
    }
    root = synthesise(text, html, attachments);
  }
  const body: PartSpec = root ?? {
    type: 'text/plain', source: {}, name: undefined, disposition: undefined, cid: undefined, location: undefined, language: undefined,
    charset: undefined, headers: [], children: [],
  };
  const contents = root === undefined ? new Map<PartSpec, PartContent>() : await resolveContents(body, content, errors);
  if (!errors.empty) return undefined;

  // RFC 8621 §4.6: the server sets Message-ID and Date when the client did not.
  if (!fields.has('date')) headers.push({ key: 'Date', value: formatDate(new Date()) });
  if (!fields.has('message-id')) headers.push({ key: 'Message-ID', value: `<${crypto.randomUUID()}@${hostname}>` });
  headers.push({ key: 'MIME-Version', value: '1.0' });
  return serialise(body, contents, headers);
}
