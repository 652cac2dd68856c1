// RFC 8621 §7 envelope `parameters` of an EmailSubmission: the SMTP extensions the session advertises
// in `submissionExtensions` (DSN per RFC 3461, REQUIRETLS per RFC 8689), read into the same delivery
// request an SMTP client's MAIL/RCPT parameters make. JMAP gives values already xtext-decoded
// (RFC 8621 §7: "any xtext or unitext encodings are removed"), so they are re-encoded for the one
// parser SMTP uses (src/core/dsn-params.ts) rather than checked a second way.
import { encodeXtext, parseEnvid, parseNotify, parseOrcpt, parseRet, type DsnParamResult } from '../../core/dsn-params.js';
import type { DsnRequest, RecipientDsn } from '../../core/delivery.js';
import { isJsonObject, type Json } from '../core/types.js';
import { setError } from '../errors.js';

/** The ehlo-names and ehlo-args of submissionExtensions (RFC 8621 §1.3.2). */
export const SUBMISSION_EXTENSIONS: Record<string, string[]> = { DSN: [], REQUIRETLS: [] };

export type EnvelopeParameters = Record<string, string | null>;

export interface EnvelopeExtensions {
  dsn?: DsnRequest;
  requireTls?: boolean;
}

function invalid(description: string): never {
  throw setError('invalidProperties', description, { properties: ['envelope'] });
}

/** A `parameters` value: null, or an object of parameter name → string or null; names upper-cased. */
export function readParameters(v: Json | undefined): EnvelopeParameters | null {
  if (v === undefined || v === null) return null;
  if (!isJsonObject(v)) return invalid('envelope parameters must be an object or null');
  const out: EnvelopeParameters = {};
  for (const [name, value] of Object.entries(v)) {
    if (value !== null && typeof value !== 'string') return invalid(`envelope parameter ${name.slice(0, 32)} must be a string or null`);
    out[name.toUpperCase()] = value;
  }
  return out;
}

function value<T>(name: string, r: DsnParamResult<T>): T {
  return r.ok ? r.value : invalid(`${name}: ${r.message}`);
}

/** The JMAP form (decoded) of ORCPT back in the xtext form RFC 3461 §4.2 parses; utf-8 (RFC 6533) takes unitext as is. */
function orcptXtext(raw: string): string {
  const semi = raw.indexOf(';');
  if (semi <= 0) return raw;
  const type = raw.slice(0, semi);
  return type.toLowerCase() === 'utf-8' ? raw : `${type};${encodeXtext(raw.slice(semi + 1))}`;
}

/** Reads MAIL FROM and RCPT TO parameters; `rcpt` is by recipient address as the envelope gives it. */
export function envelopeExtensions(mailFrom: EnvelopeParameters | null, rcpt: ReadonlyArray<{ email: string; parameters: EnvelopeParameters | null }>): EnvelopeExtensions {
  const out: EnvelopeExtensions = {};
  let ret: DsnRequest['ret'];
  let envid: string | undefined;
  for (const [name, v] of Object.entries(mailFrom ?? {})) {
    if (name === 'RET') ret = value(name, parseRet(v ?? true));
    else if (name === 'ENVID') envid = value(name, parseEnvid(v === null ? true : encodeXtext(v)));
    else if (name === 'REQUIRETLS') {
      if (v !== null) invalid('REQUIRETLS takes no value');
      out.requireTls = true;
    } else invalid(`unsupported MAIL FROM parameter ${name.slice(0, 32)}`);
  }
  const recipients = new Map<string, RecipientDsn>();
  for (const r of rcpt) {
    const dsn: RecipientDsn = {};
    for (const [name, v] of Object.entries(r.parameters ?? {})) {
      if (name === 'NOTIFY') dsn.notify = value(name, parseNotify(v ?? true));
      else if (name === 'ORCPT') dsn.orcpt = value(name, parseOrcpt(v === null ? true : orcptXtext(v)));
      else invalid(`unsupported RCPT TO parameter ${name.slice(0, 32)}`);
    }
    if (dsn.notify || dsn.orcpt) recipients.set(r.email, dsn);
  }
  if (ret || envid !== undefined || recipients.size > 0) out.dsn = { ...(ret ? { ret } : {}), ...(envid !== undefined ? { envid } : {}), recipients };
  return out;
}
