// ENVELOPE and BODY/BODYSTRUCTURE serialisation (RFC 3501 §7.4.2) from the store's parsed cache.
import type { Envelope, EnvelopeAddress, MimePart } from '../../store/types.js';
import { nstring, type Wire } from '../proto/serialize.js';

function addresses(list: EnvelopeAddress[] | null, utf8: boolean): Wire[] {
  if (!list || list.length === 0) return ['NIL'];
  const out: Wire[] = ['('];
  for (const a of list) {
    out.push('(', nstring(a.name, { utf8 }), ' ', nstring(a.adl, { utf8 }), ' ', nstring(a.mailbox, { utf8 }), ' ', nstring(a.host, { utf8 }), ')');
  }
  out.push(')');
  return out;
}

export function envelopeWire(e: Envelope, utf8: boolean): Wire[] {
  return [
    '(',
    nstring(e.date, { utf8 }),
    ' ',
    nstring(e.subject, { utf8 }),
    ' ',
    ...addresses(e.from, utf8),
    ' ',
    ...addresses(e.sender, utf8),
    ' ',
    ...addresses(e.replyTo, utf8),
    ' ',
    ...addresses(e.to, utf8),
    ' ',
    ...addresses(e.cc, utf8),
    ' ',
    ...addresses(e.bcc, utf8),
    ' ',
    nstring(e.inReplyTo, { utf8 }),
    ' ',
    nstring(e.messageId, { utf8 }),
    ')',
  ];
}

function params(p: Record<string, string>, utf8: boolean): Wire[] {
  const keys = Object.keys(p);
  if (keys.length === 0) return ['NIL'];
  const out: Wire[] = ['('];
  keys.forEach((k, i) => {
    if (i > 0) out.push(' ');
    out.push(nstring(k.toUpperCase(), { utf8 }), ' ', nstring(p[k]!, { utf8 }));
  });
  out.push(')');
  return out;
}

function extension(part: MimePart, utf8: boolean): Wire[] {
  const out: Wire[] = [' '];
  if (part.disposition) {
    out.push('(', nstring(part.disposition.type.toUpperCase(), { utf8 }), ' ', ...params(part.disposition.params, utf8), ')');
  } else out.push('NIL');
  out.push(' ');
  if (part.language && part.language.length > 0) {
    out.push('(');
    part.language.forEach((l, i) => {
      if (i > 0) out.push(' ');
      out.push(nstring(l, { utf8 }));
    });
    out.push(')');
  } else out.push('NIL');
  out.push(' ', nstring(part.location, { utf8 }));
  return out;
}

/** BODY (extensible=false) or BODYSTRUCTURE (extensible=true). */
export function bodyStructureWire(part: MimePart, extensible: boolean, utf8: boolean): Wire[] {
  if (part.type === 'multipart') {
    const out: Wire[] = ['('];
    for (const child of part.children) out.push(...bodyStructureWire(child, extensible, utf8));
    out.push(' ', nstring(part.subtype.toUpperCase()));
    if (extensible) out.push(' ', ...params(part.params, utf8), ...extension(part, utf8));
    out.push(')');
    return out;
  }
  const out: Wire[] = [
    '(',
    nstring(part.type.toUpperCase()),
    ' ',
    nstring(part.subtype.toUpperCase()),
    ' ',
    ...params(part.params, utf8),
    ' ',
    nstring(part.contentId, { utf8 }),
    ' ',
    nstring(part.description, { utf8 }),
    ' ',
    nstring(part.encoding.toUpperCase()),
    ` ${part.size}`,
  ];
  if (part.message) {
    out.push(' ', ...envelopeWire(part.message.envelope, utf8), ' ', ...bodyStructureWire(part.message.body, extensible, utf8), ` ${part.lines ?? 0}`);
  } else if (part.type === 'text') {
    out.push(` ${part.lines ?? 0}`);
  }
  if (extensible) out.push(' ', nstring(part.md5, { utf8 }), ...extension(part, utf8));
  out.push(')');
  return out;
}
