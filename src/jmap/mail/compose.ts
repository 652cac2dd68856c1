// Builds RFC 5322 bytes for Email/set create (RFC 8621 §4.6) with nodemailer: MailComposer for the
// common textBody/htmlBody/attachments shape, MimeNode for an explicit bodyStructure tree.
import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import type Mail from 'nodemailer/lib/mailer';
import { setError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject } from '../core/types.js';
import { parseHeaderProperty, type HeaderForm } from './header-forms.js';

/** Resolves a part's content: bodyValues[partId] text or the bytes of an uploaded blob. */
export type ContentSource = (part: JsonObject) => Promise<{ content: Buffer | string; charset?: string }>;

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

function toMailAddresses(list: Address[] | undefined): Mail.Address[] | undefined {
  return list?.map((a) => ({ name: a.name ?? '', address: a.email }));
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

/** Serialises a header:X:asForm value to the raw field value nodemailer will encode as needed. */
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
      return d && !Number.isNaN(d.getTime()) ? d.toUTCString().replace('GMT', '+0000') : bad();
    }
    case 'URLs':
      return (stringList(v, prop) ?? []).map((u) => `<${u}>`).join(', ');
  }
}

const HEADER_CONVENIENCE = new Set(['from', 'to', 'cc', 'bcc', 'replyTo', 'sender', 'subject', 'sentAt', 'messageId', 'inReplyTo', 'references']);

export const CREATE_ONLY_IGNORED = new Set(['mailboxIds', 'keywords', 'receivedAt']);

export interface ComposeInput {
  email: JsonObject;
  content: ContentSource;
  hostname: string;
}

function collectHeaders(email: JsonObject): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  if (Array.isArray(email.headers)) {
    for (const h of email.headers) {
      if (!isJsonObject(h) || typeof h.name !== 'string' || typeof h.value !== 'string') {
        throw setError('invalidProperties', 'headers must be a list of {name, value}', { properties: ['headers'] });
      }
      out.push({ key: h.name, value: h.value });
    }
  }
  for (const [prop, v] of Object.entries(email)) {
    const hp = parseHeaderProperty(prop);
    if (hp === undefined) continue;
    if (hp.name.toLowerCase().startsWith('content-')) {
      throw setError('invalidProperties', 'Content-* headers belong on body parts', { properties: [prop] });
    }
    if (hp.all) {
      if (!Array.isArray(v)) throw setError('invalidProperties', `${prop} must be a list`, { properties: [prop] });
      for (const x of v) out.push({ key: hp.name, value: headerFromForm(hp.form, x, prop) });
    } else if (v !== null) out.push({ key: hp.name, value: headerFromForm(hp.form, v, prop) });
  }
  return out;
}

function partType(part: JsonObject): string {
  return typeof part.type === 'string' ? part.type.toLowerCase() : 'text/plain';
}

/** Builds a MimeNode for one EmailBodyPart of a bodyStructure. */
async function buildNode(part: JsonObject, content: ContentSource, parent: MimeNode | undefined, depth: number): Promise<MimeNode> {
  if (depth > 20) throw setError('invalidProperties', 'bodyStructure nested too deeply', { properties: ['bodyStructure'] });
  const type = partType(part);
  const name = typeof part.name === 'string' ? part.name : undefined;
  const opts = name !== undefined ? { filename: name } : {};
  const node = parent ? parent.createChild(type, opts) : new MimeNode(type, { ...opts, keepBcc: true });
  if (type.startsWith('multipart/')) {
    const subs = Array.isArray(part.subParts) ? part.subParts : [];
    for (const sub of subs) {
      if (!isJsonObject(sub)) throw setError('invalidProperties', 'subParts must be parts', { properties: ['bodyStructure'] });
      await buildNode(sub, content, node, depth + 1);
    }
  } else {
    const { content: body, charset } = await content(part);
    node.setContent(body);
    if (charset && type.startsWith('text/')) node.setHeader('Content-Type', `${type}; charset=${charset}`);
  }
  if (typeof part.disposition === 'string') {
    node.setHeader('Content-Disposition', part.disposition + (name !== undefined ? `; filename="${name.replace(/["\\]/g, '_')}"` : ''));
  }
  if (typeof part.cid === 'string') node.setHeader('Content-ID', `<${part.cid}>`);
  if (typeof part.location === 'string') node.setHeader('Content-Location', part.location);
  if (Array.isArray(part.language)) node.setHeader('Content-Language', part.language.filter((l) => typeof l === 'string').join(', '));
  if (Array.isArray(part.headers)) {
    for (const h of part.headers) if (isJsonObject(h) && typeof h.name === 'string' && typeof h.value === 'string') node.addHeader(h.name, h.value);
  }
  return node;
}

function singlePart(v: Json | undefined, prop: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 1 || !isJsonObject(v[0])) {
    throw setError('invalidProperties', `${prop} must hold exactly one part`, { properties: [prop] });
  }
  return v[0];
}

export async function composeEmail({ email, content, hostname }: ComposeInput): Promise<Buffer> {
  for (const k of Object.keys(email)) {
    if (!HEADER_CONVENIENCE.has(k) && !CREATE_ONLY_IGNORED.has(k) && parseHeaderProperty(k) === undefined &&
      !['headers', 'bodyStructure', 'textBody', 'htmlBody', 'attachments', 'bodyValues'].includes(k)) {
      throw setError('invalidProperties', `${k} cannot be set on create`, { properties: [k] });
    }
  }
  const from = addresses(email.from, 'from');
  const sentAt = typeof email.sentAt === 'string' ? new Date(email.sentAt) : new Date();
  if (Number.isNaN(sentAt.getTime())) throw setError('invalidProperties', 'bad sentAt', { properties: ['sentAt'] });
  const messageId = stringList(email.messageId, 'messageId');
  const common = {
    from: toMailAddresses(from)?.[0],
    sender: toMailAddresses(addresses(email.sender, 'sender'))?.[0],
    to: toMailAddresses(addresses(email.to, 'to')),
    cc: toMailAddresses(addresses(email.cc, 'cc')),
    bcc: toMailAddresses(addresses(email.bcc, 'bcc')),
    replyTo: toMailAddresses(addresses(email.replyTo, 'replyTo')),
    subject: typeof email.subject === 'string' ? email.subject : undefined,
    date: sentAt,
    messageId: messageId?.[0] ? `<${messageId[0]}>` : `<${crypto.randomUUID()}@${hostname}>`,
    inReplyTo: stringList(email.inReplyTo, 'inReplyTo')?.map((id) => `<${id}>`).join(' '),
    references: stringList(email.references, 'references')?.map((id) => `<${id}>`),
  };
  const extra = collectHeaders(email);
  if (from && from.length > 1) extra.push({ key: 'From', value: from.map(formatAddress).join(', ') });

  let root: MimeNode;
  if (email.bodyStructure !== undefined && email.bodyStructure !== null) {
    if (!isJsonObject(email.bodyStructure)) throw setError('invalidProperties', 'bodyStructure must be a part', { properties: ['bodyStructure'] });
    if (email.textBody || email.htmlBody || email.attachments) {
      throw setError('invalidProperties', 'bodyStructure excludes textBody/htmlBody/attachments', { properties: ['bodyStructure'] });
    }
    root = await buildNode(email.bodyStructure, content, undefined, 0);
    const headers: Record<string, string> = {};
    if (common.from) headers.From = formatAddress({ name: common.from.name, email: common.from.address ?? "" });
    const list = (k: string, v: Mail.Address[] | undefined): void => {
      if (v?.length) headers[k] = v.map((a) => formatAddress({ name: a.name, email: a.address ?? "" })).join(', ');
    };
    list('Sender', common.sender ? [common.sender] : undefined);
    list('To', common.to);
    list('Cc', common.cc);
    list('Bcc', common.bcc);
    list('Reply-To', common.replyTo);
    if (common.subject !== undefined) headers.Subject = common.subject;
    headers.Date = sentAt.toUTCString().replace('GMT', '+0000');
    headers['Message-ID'] = common.messageId;
    if (common.inReplyTo) headers['In-Reply-To'] = common.inReplyTo;
    if (common.references?.length) headers.References = common.references.join(' ');
    headers['MIME-Version'] = '1.0';
    root.setHeader(headers);
  } else {
    const text = singlePart(email.textBody, 'textBody');
    const html = singlePart(email.htmlBody, 'htmlBody');
    const attachments: Mail.Attachment[] = [];
    if (email.attachments !== undefined && email.attachments !== null) {
      if (!Array.isArray(email.attachments)) throw setError('invalidProperties', 'attachments must be a list', { properties: ['attachments'] });
      for (const a of email.attachments) {
        if (!isJsonObject(a)) throw setError('invalidProperties', 'attachments must be parts', { properties: ['attachments'] });
        const { content: body } = await content(a);
        const att: Mail.Attachment = { content: body, contentType: partType(a) };
        if (typeof a.name === 'string') att.filename = a.name;
        if (typeof a.cid === 'string') att.cid = a.cid;
        if (a.disposition === 'inline') att.contentDisposition = 'inline';
        attachments.push(att);
      }
    }
    const mail: Mail.Options = { ...common, attachments };
    if (text) mail.text = (await content(text)).content;
    if (html) mail.html = (await content(html)).content;
    if (!text && !html && attachments.length === 0) mail.text = '';
    root = new MailComposer(mail).compile();
    (root as unknown as { keepBcc: boolean }).keepBcc = true;
  }
  for (const h of extra) root.addHeader(h.key, h.value);
  return root.build();
}
