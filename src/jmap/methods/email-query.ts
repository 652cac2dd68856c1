// Email/query, Email/queryChanges (RFC 8621 §4.4–4.5) and SearchSnippet/get (§5).
import { CAP_MAIL } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import type { EmailQueryRequest } from '../../store/types.js';
import { readAccount, invalid, optBool, optInt, optString, readIds } from './args.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { textTerms, toCriteria, toSort } from '../mail/query-filter.js';
import { emailQueryChanges, threadSensitive } from '../mail/query-changes.js';
import { queryResponse, readLimit } from './window.js';
import { bodyLists } from '../mail/body-structure.js';
import { readPartText, storedPartReader } from '../mail/body-values.js';

function queryRequest(args: JsonObject): EmailQueryRequest {
  const req: EmailQueryRequest = {
    filter: toCriteria(args.filter),
    sort: toSort(args.sort),
    collapseThreads: optBool(args, 'collapseThreads', false),
  };
  const anchor = optString(args, 'anchor');
  if (anchor !== undefined) {
    req.anchor = anchor;
    req.anchorOffset = optInt(args, 'anchorOffset') ?? 0;
  } else {
    req.position = optInt(args, 'position') ?? 0;
  }
  return req;
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  // Counting every match costs a full scan on a large mailbox: only when the client asks for it.
  const calculateTotal = optBool(args, 'calculateTotal', false);
  const request = queryRequest(args);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const result = await deps.store.queryEmails(account.name, { ...request, limit: limit.limit, calculateTotal });
  if (result.anchorNotFound) throw new MethodError('anchorNotFound');
  // canCalculateChanges: whether Email/queryChanges answers for this filter and sort (../mail/query-changes.ts).
  return [['Email/query', queryResponse(account, args, limit, { ...result, canCalculateChanges: !threadSensitive(request) })]];
}

async function queryChanges(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const since = optString(args, 'sinceQueryState');
  if (since === undefined) throw invalid('"sinceQueryState" is required');
  const { position: _p, anchor: _a, ...query } = queryRequest({ ...args, position: 0, anchor: null });
  const r = await emailQueryChanges(deps.store, account.name, query, since, optInt(args, 'maxChanges', { min: 1 }), optString(args, 'upToId'));
  const out: JsonObject = { accountId: account.id, oldQueryState: r.oldQueryState, newQueryState: r.newQueryState, removed: r.removed, added: r.added };
  if (optBool(args, 'calculateTotal', false)) out.total = r.total;
  return [['Email/queryChanges', out]];
}

const SNIPPET_FIELDS = new Set(['text', 'subject', 'body']);
/** Bytes of each text part searched for a snippet when the preview has no match. */
const MAX_SNIPPET_SOURCE = 256 * 1024;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * HTML built within a budget of UTF-8 octets: text is escaped and added code point by code point, a
 * <mark> element whole or not at all, so the output is never cut inside an entity, a tag or a
 * character. Returns false once something did not fit (the output stops there).
 */
class BoundedHtml {
  value = '';
  private octets = 0;
  constructor(private readonly budget: number) {}

  private add(piece: string): boolean {
    const n = Buffer.byteLength(piece);
    if (this.octets + n > this.budget) return false;
    this.value += piece;
    this.octets += n;
    return true;
  }

  text(t: string): boolean {
    for (const ch of t) if (!this.add(escapeHtml(ch))) return false;
    return true;
  }

  mark(t: string): boolean {
    return this.add('<mark>' + escapeHtml(t) + '</mark>');
  }
}

/**
 * Marks every occurrence of the terms (case-insensitive), HTML-escaping the rest; null if none. With
 * maxOctets the result starts a little before the first match and is at most that many octets of
 * UTF-8, markup included (RFC 8621 §5: a preview "MUST NOT be bigger than 255 octets in size").
 */
export function highlight(text: string | null, terms: readonly string[], maxOctets?: number): string | null {
  if (text === null || terms.length === 0) return null;
  const lower = text.toLowerCase();
  const hits: Array<[number, number]> = [];
  for (const t of terms) {
    const lt = t.toLowerCase();
    for (let i = lower.indexOf(lt); i >= 0 && lt.length > 0; i = lower.indexOf(lt, i + lt.length)) hits.push([i, i + lt.length]);
  }
  if (hits.length === 0) return null;
  hits.sort((a, b) => a[0] - b[0]);
  let pos = 0;
  if (maxOctets !== undefined && Buffer.byteLength(text) > maxOctets) {
    pos = Math.max(0, (hits[0]?.[0] ?? 0) - 20);
    // Never start on the second half of a surrogate pair.
    if (/[\udc00-\udfff]/.test(text.charAt(pos))) pos++;
  }
  const out = new BoundedHtml(maxOctets ?? Infinity);
  for (const [s, e] of hits) {
    if (s < pos) continue;
    if (!out.text(text.slice(pos, s)) || !out.mark(text.slice(s, e))) return out.value;
    pos = e;
  }
  out.text(text.slice(pos));
  return out.value;
}

async function snippets(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet, 'emailIds');
  if (ids === null) throw invalid('"emailIds" is required');
  toCriteria(args.filter); // validates the filter: unsupportedFilter as Email/query would
  const terms = textTerms(args.filter, SNIPPET_FIELDS);
  const subjectTerms = [...terms, ...textTerms(args.filter, new Set(['subject']))];
  const metas = await deps.store.getEmails(account.name, ids, { parsed: true });
  const byId = new Map(metas.map((m) => [m.id, m]));
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    const meta = byId.get(id);
    if (!meta?.parsed) {
      notFound.push(id);
      continue;
    }
    let preview = highlight(meta.parsed.preview, terms, 255);
    if (preview === null && terms.length > 0) {
      // The match may lie past the stored preview: look in the decoded text parts themselves.
      // Each text part read only as far as MAX_SNIPPET_SOURCE of its text needs.
      const read = storedPartReader(deps.store, account.name, id);
      const texts: string[] = [];
      for (const part of bodyLists(meta.parsed.body).textBody.filter((p) => p.type === 'text')) {
        const value = await readPartText(part, read, MAX_SNIPPET_SOURCE);
        if (value !== null) texts.push(String(value.value));
      }
      preview = highlight(texts.join(' ').replace(/\s+/g, ' '), terms, 255);
    }
    list.push({ emailId: id, subject: highlight(meta.parsed.subject, subjectTerms), preview });
  }
  return [['SearchSnippet/get', { accountId: account.id, list, notFound: notFound.length > 0 ? notFound : null }]];
}

export function emailQueryMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_MAIL, deps, h);
  return [
    ['Email/query', def(query)],
    ['Email/queryChanges', def(queryChanges)],
    ['SearchSnippet/get', def(snippets)],
  ];
}
