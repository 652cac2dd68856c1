// SEARCH criteria (RFC 3501 §6.4.4, MODSEQ RFC 7162, `$` RFC 5182, EMAILID/THREADID RFC 8474 §6,
// YOUNGER/OLDER RFC 5032) → the store's SearchCriteria AST.
// Sequence numbers, RECENT/NEW/OLD and `$` are resolved here against the session's view, since only
// the session knows its sequence numbers and \Recent set.
import type { SearchCriteria } from '../../store/types.js';
import type { ImapSession } from '../session.js';
import type { Token } from '../proto/tokens.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { isSequenceSet, parseSequenceSet, resolveSequenceNumbers, rangesContain } from '../proto/sequence.js';
import { parseSearchDate } from '../datetime.js';
import { canonicalFlag } from '../flags.js';
import { toUidSet } from '../resolve.js';
import { searchSequenceRefused } from '../uidonly.js';

/**
 * Bounds on one SEARCH program, checked while parsing (so a hostile program can neither overflow
 * the stack nor reach SQLite's expression-depth limit) and answered with BAD beyond them:
 * at most MAX_SEARCH_CRITERIA search keys (OR and NOT count as keys, a parenthesised list does
 * not), nested at most MAX_SEARCH_DEPTH levels (each NOT, each list, and each OR whose operand is
 * not itself an OR opens a level: a chain `OR a OR b OR c d` is one level, however long).
 * Parentheses are further bounded by the tokenizer (MAX_LIST_DEPTH).
 */
export const MAX_SEARCH_DEPTH = 100;
export const MAX_SEARCH_CRITERIA = 1000;

export interface ParsedSearch {
  criteria: SearchCriteria;
  /** A MODSEQ criterion was used: the response carries (MODSEQ n). */
  usesModseq: boolean;
}

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

const TEXT_KEYS: Record<string, 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'body' | 'text'> = {
  FROM: 'from',
  TO: 'to',
  CC: 'cc',
  BCC: 'bcc',
  SUBJECT: 'subject',
  BODY: 'body',
  TEXT: 'text',
};

function dayStart(s: string): Date {
  const d = parseSearchDate(s);
  return new Date(Date.UTC(d.y, d.m, d.d));
}

/** BEFORE (days before d), ON (day d) or SINCE (day d and after) on one of the dated fields. */
function dayRange(kind: 'receivedAt' | 'sentAt' | 'savedAt', op: string, date: string): SearchCriteria {
  const d = dayStart(date);
  if (op === 'BEFORE') return { kind, before: d };
  if (op === 'ON') return { kind, notBefore: d, before: nextDay(d) };
  return { kind, notBefore: d };
}

function nextDay(d: Date): Date {
  return new Date(d.getTime() + 86_400_000);
}

/** Counts the keys of the whole program across nested lists. */
interface Budget {
  criteria: number;
}

class Parser {
  private pos = 0;
  usesModseq = false;

  constructor(
    private readonly s: ImapSession,
    private readonly tokens: Token[],
    private readonly budget: Budget = { criteria: 0 },
    private readonly depth = 0,
  ) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  private next(what: string): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new ImapSyntaxError(`Missing ${what}`);
    return t;
  }

  private text(what: string): string {
    return tokenText(this.next(what));
  }

  private uids(nums: number[]): SearchCriteria {
    return { kind: 'uid', uids: toUidSet([...nums].sort((a, b) => a - b)) };
  }

  parseAll(): SearchCriteria {
    const of: SearchCriteria[] = [];
    while (!this.done) of.push(this.parseOne(this.depth));
    if (of.length === 0) throw new ImapSyntaxError('Missing search criteria');
    return of.length === 1 ? of[0]! : { kind: 'and', of };
  }

  /** Whether the next token is the key OR (which continues an OR chain at the same level). */
  private nextIsOr(): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.type === 'atom' && t.value.toUpperCase() === 'OR';
  }

  private deeper(depth: number): number {
    if (depth >= MAX_SEARCH_DEPTH) throw new ImapSyntaxError(`Search criteria nested more than ${MAX_SEARCH_DEPTH} levels deep`);
    return depth + 1;
  }

  private parseOne(depth: number): SearchCriteria {
    const t = this.next('search key');
    if (t.type === 'list') {
      if (t.items.length === 0) throw new ImapSyntaxError('Empty search list');
      const sub = new Parser(this.s, t.items, this.budget, this.deeper(depth));
      const c = sub.parseAll();
      if (sub.usesModseq) this.usesModseq = true;
      return c;
    }
    if (++this.budget.criteria > MAX_SEARCH_CRITERIA) throw new ImapSyntaxError(`Search has more than ${MAX_SEARCH_CRITERIA} criteria`);
    const raw = tokenText(t);
    const key = raw.toUpperCase();
    const view = this.s.selected!;
    if (isSequenceSet(raw)) {
      const set = parseSequenceSet(raw);
      if (set.kind === 'saved') return this.uids(this.s.savedSearch);
      searchSequenceRefused(this.s);
      return this.uids(resolveSequenceNumbers(set.ranges, view.exists).map((n) => view.uidAt(n)!));
    }
    const flag = FLAG_KEYS[key];
    if (flag) return { kind: 'flag', flag: flag[0], present: flag[1] };
    const field = TEXT_KEYS[key];
    if (field) return { kind: 'text', field, value: this.text('search string') };
    switch (key) {
      case 'ALL':
        return { kind: 'all' };
      case 'KEYWORD':
        return { kind: 'flag', flag: canonicalFlag(this.text('keyword')), present: true };
      case 'UNKEYWORD':
        return { kind: 'flag', flag: canonicalFlag(this.text('keyword')), present: false };
      case 'NEW':
        return { kind: 'and', of: [this.uids([...view.recent]), { kind: 'flag', flag: '\\Seen', present: false }] };
      case 'RECENT':
        return this.uids([...view.recent]);
      case 'OLD':
        return { kind: 'not', of: this.uids([...view.recent]) };
      case 'NOT':
        return { kind: 'not', of: this.parseOne(this.deeper(depth)) };
      case 'OR': {
        // Operands that are ORs themselves stay at this level; chains are flattened for the store.
        const operand = (): SearchCriteria => this.parseOne(this.nextIsOr() ? depth : this.deeper(depth));
        const of: SearchCriteria[] = [];
        for (const c of [operand(), operand()]) {
          if (c.kind === 'or') for (const x of c.of) of.push(x);
          else of.push(c);
        }
        return { kind: 'or', of };
      }
      case 'UID': {
        const v = this.text('UID set');
        const set = parseSequenceSet(v);
        if (set.kind === 'saved') return this.uids(this.s.savedSearch);
        const max = view.uids.length > 0 ? view.uids[view.uids.length - 1]! : 0;
        return this.uids(view.uids.filter((u) => rangesContain(set.ranges, u, max)));
      }
      case 'HEADER': {
        const name = this.text('header name');
        const value = this.text('header value');
        return { kind: 'header', name, value };
      }
      case 'LARGER':
        return { kind: 'size', larger: this.number() };
      case 'SMALLER':
        return { kind: 'size', smaller: this.number() };
      // BEFORE/ON/SINCE on the internal date, SENT* on the Date header's day, SAVED* (RFC 8514 §4)
      // on the save date. Every mailbox here keeps save dates: SAVEDATESUPPORTED matches all.
      case 'BEFORE':
      case 'ON':
      case 'SINCE':
        return dayRange('receivedAt', key, this.text('date'));
      case 'SENTBEFORE':
      case 'SENTON':
      case 'SENTSINCE':
        return dayRange('sentAt', key.slice(4), this.text('date'));
      case 'SAVEDBEFORE':
      case 'SAVEDON':
      case 'SAVEDSINCE':
        return dayRange('savedAt', key.slice(5), this.text('date'));
      case 'SAVEDATESUPPORTED':
        return { kind: 'all' };
      case 'EMAILID':
        return { kind: 'emailIds', ids: [this.objectId()] };
      case 'THREADID':
        return { kind: 'threadIds', ids: [this.objectId()] };
      case 'YOUNGER':
        // RFC 5032 §3: INTERNALDATE within the last n seconds, counted from now.
        return { kind: 'receivedAt', notBefore: new Date(Date.now() - this.number() * 1000) };
      case 'OLDER':
        // INTERNALDATE at least n seconds ago; `before` is strict, so one millisecond past it.
        return { kind: 'receivedAt', before: new Date(Date.now() - this.number() * 1000 + 1) };
      case 'MODSEQ': {
        if (!this.s.capabilities().includes('CONDSTORE')) throw new ImapSyntaxError('Unknown search key MODSEQ');
        // Optional entry name and type (RFC 7162 §3.1.5); only the number matters here.
        let v = this.text('modseq');
        if (!/^\d+$/.test(v)) {
          this.text('entry type');
          v = this.text('modseq');
        }
        if (!/^\d{1,19}$/.test(v)) throw new ImapSyntaxError('Invalid MODSEQ value');
        this.usesModseq = true;
        this.s.enableCondstore();
        return { kind: 'modseq', atLeast: Number(v) };
      }
      default:
        throw new ImapSyntaxError(`Unknown search key ${raw.slice(0, 30)}`);
    }
  }

  /** RFC 8474 §3 objectid: 1–255 of ALPHA / DIGIT / "_" / "-". */
  private objectId(): string {
    const v = this.text('object id');
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(v)) throw new ImapSyntaxError('Invalid object id');
    return v;
  }

  private number(): number {
    const v = this.text('number');
    if (!/^\d{1,10}$/.test(v) || Number(v) > 4294967295) throw new ImapSyntaxError('Invalid number');
    return Number(v);
  }
}

/** Parses criteria after an optional `CHARSET x`. */
export function parseSearch(s: ImapSession, tokens: Token[]): ParsedSearch {
  let rest = tokens;
  const first = rest[0];
  if (first && first.type === 'atom' && first.value.toUpperCase() === 'CHARSET') {
    const cs = rest[1];
    if (!cs || cs.type === 'list') throw new ImapSyntaxError('Missing charset');
    checkCharset(tokenText(cs));
    rest = rest.slice(2);
  }
  const p = new Parser(s, rest);
  const criteria = p.parseAll();
  return { criteria, usesModseq: p.usesModseq };
}

export function checkCharset(cs: string): void {
  const c = cs.toUpperCase();
  if (c !== 'UTF-8' && c !== 'US-ASCII') throw new ImapNoError('Unsupported charset', 'BADCHARSET (UTF-8 US-ASCII)');
}
