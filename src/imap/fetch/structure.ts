// ENVELOPE and BODY/BODYSTRUCTURE serialisation (RFC 3501 §7.4.2) from the store's parsed cache.
// Every writer appends to the caller's array instead of returning one to spread: a message may
// hold thousands of parts or addresses, more than a call can take as spread arguments.
import type { Envelope, EnvelopeAddress, MimePart } from '../../store/types.js';
import { nstring, type Wire } from '../proto/serialize.js';

function addresses(out: Wire[], list: EnvelopeAddress[] | null, utf8: boolean): void {
  if (!list || list.length === 0) {
    out.push('NIL');
    return;
  }
  out.push('(');
  for (const a of list) {
    out.push('(', nstring(a.name, { utf8 }), ' ', nstring(a.adl, { utf8 }), ' ', nstring(a.mailbox, { utf8 }), ' ', nstring(a.host, { utf8 }), ')');
  }
  out.push(')');
}

/** Appends the ENVELOPE list of `e` to `out`; returns `out`. */
export function envelopeWire(e: Envelope, utf8: boolean, out: Wire[] = []): Wire[] {
  out.push('(', nstring(e.date, { utf8 }), ' ', nstring(e.subject, { utf8 }), ' ');
  for (const list of [e.from, e.sender, e.replyTo, e.to, e.cc, e.bcc]) {
    addresses(out, list, utf8);
    out.push(' ');
  }
  out.push(nstring(e.inReplyTo, { utf8 }), ' ', nstring(e.messageId, { utf8 }), ')');
  return out;
}

function params(out: Wire[], p: Record<string, string>, utf8: boolean): void {
  const keys = Object.keys(p);
  if (keys.length === 0) {
    out.push('NIL');
    return;
  }
  out.push('(');
  keys.forEach((k, i) => {
    if (i > 0) out.push(' ');
    out.push(nstring(k.toUpperCase(), { utf8 }), ' ', nstring(p[k]!, { utf8 }));
  });
  out.push(')');
}

function extension(out: Wire[], part: MimePart, utf8: boolean): void {
  out.push(' ');
  if (part.disposition) {
    out.push('(', nstring(part.disposition.type.toUpperCase(), { utf8 }), ' ');
    params(out, part.disposition.params, utf8);
    out.push(')');
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
}

/** Appends BODY (extensible=false) or BODYSTRUCTURE (extensible=true) of `part` to `out`; returns `out`. */
export function bodyStructureWire(part: MimePart, extensible: boolean, utf8: boolean, out: Wire[] = []): Wire[] {
  if (part.type === 'multipart') {
    out.push('(');
    for (const child of part.children) bodyStructureWire(child, extensible, utf8, out);
    out.push(' ', nstring(part.subtype.toUpperCase()));
    if (extensible) {
      out.push(' ');
      params(out, part.params, utf8);
      extension(out, part, utf8);
    }
    out.push(')');
    return out;
  }
  out.push('(', nstring(part.type.toUpperCase()), ' ', nstring(part.subtype.toUpperCase()), ' ');
  params(out, part.params, utf8);
  out.push(
    ' ',
    nstring(part.contentId, { utf8 }),
    ' ',
    nstring(part.description, { utf8 }),
    ' ',
    nstring(part.encoding.toUpperCase()),
    ` ${part.size}`,
  );
  if (part.message) {
    out.push(' ');
    envelopeWire(part.message.envelope, utf8, out);
    out.push(' ');
    bodyStructureWire(part.message.body, extensible, utf8, out);
    out.push(` ${part.lines ?? 0}`);
  } else if (part.type === 'text') {
    out.push(` ${part.lines ?? 0}`);
  }
  if (extensible) {
    out.push(' ', nstring(part.md5, { utf8 }));
    extension(out, part, utf8);
  }
  out.push(')');
  return out;
}
