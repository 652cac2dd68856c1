// Criteria the session evaluates itself before handing the rest to the store:
//  - SENTBEFORE/SENTON/SENTSINCE compare the calendar day of the Date header in its own time zone
//    (RFC 3501 §6.4.4 "disregarding time and timezone"), which an instant comparison cannot do;
//  - FROM/TO/CC/BCC match the addresses as RFC 5322 defines them (groups, route-addrs, comments),
//    rendered `Name <local@domain>`, with the parser ENVELOPE uses, so SEARCH and FETCH agree.
// Each such node becomes a `uid` criterion over the selected mailbox.
import type { MessageMeta, SearchCriteria } from '../../store/types.js';
import type { ImapSession } from '../session.js';
import { envelopeFromHeaders } from '../fetch/envelope.js';
import { toUidSet } from '../resolve.js';
import { decodeWords } from '../../store/mime/decode.js';

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

/** Day number (days since epoch) of a Date header in its own zone, or undefined. */
export function sentDay(value: string | null): number | undefined {
  if (!value) return undefined;
  const m = /(\d{1,2})\s+([A-Za-z]{3})\w*\s+(\d{2,4})/.exec(value);
  if (!m) return undefined;
  const month = MONTHS[m[2]!.toLowerCase()];
  if (month === undefined) return undefined;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  return Math.floor(Date.UTC(year, month, Number(m[1])) / 86_400_000);
}

function needsLocal(c: SearchCriteria): boolean {
  switch (c.kind) {
    case 'sentAt':
      return true;
    case 'text':
      return c.field === 'from' || c.field === 'to' || c.field === 'cc' || c.field === 'bcc';
    case 'and':
    case 'or':
      return c.of.some(needsLocal);
    case 'not':
      return needsLocal(c.of);
    default:
      return false;
  }
}

function addressTexts(meta: MessageMeta, field: 'from' | 'to' | 'cc' | 'bcc'): string[] {
  const env = envelopeFromHeaders(meta.parsed!.envelope, meta.parsed!.headers);
  const out: string[] = [];
  for (const a of env[field] ?? []) {
    if (a.host === null) {
      if (a.mailbox) out.push(decodeWords(a.mailbox));
      continue;
    }
    const addr = `${a.mailbox ?? ''}@${a.host}`;
    out.push(a.name ? `${decodeWords(a.name)} <${addr}>` : addr);
  }
  return out;
}

export async function resolveLocalCriteria(s: ImapSession, criteria: SearchCriteria): Promise<SearchCriteria> {
  if (!needsLocal(criteria)) return criteria;
  const view = s.selected!;
  const uids = view.uids.filter((u) => !view.ghosts.has(u));
  const metas = uids.length > 0 ? await s.store.getMessages(s.account!, view.mailboxId, toUidSet(uids), { parsed: true }) : [];
  const rewrite = (c: SearchCriteria): SearchCriteria => {
    switch (c.kind) {
      case 'and':
      case 'or':
        return { kind: c.kind, of: c.of.map(rewrite) };
      case 'not':
        return { kind: 'not', of: rewrite(c.of) };
      case 'sentAt': {
        const before = c.before ? Math.floor(c.before.getTime() / 86_400_000) : undefined;
        const notBefore = c.notBefore ? Math.floor(c.notBefore.getTime() / 86_400_000) : undefined;
        const hit = metas.filter((m) => {
          // Messages without a usable Date header use the internal date (RFC 3501).
          const day = sentDay(m.parsed?.envelope.date ?? null) ?? Math.floor(m.receivedAt.getTime() / 86_400_000);
          return (before === undefined || day < before) && (notBefore === undefined || day >= notBefore);
        });
        return { kind: 'uid', uids: toUidSet(hit.map((m) => m.uid)) };
      }
      case 'text': {
        if (c.field !== 'from' && c.field !== 'to' && c.field !== 'cc' && c.field !== 'bcc') return c;
        const needle = c.value.toLowerCase();
        const field = c.field;
        const hit = metas.filter((m) => addressTexts(m, field).some((t) => t.toLowerCase().includes(needle)));
        return { kind: 'uid', uids: toUidSet(hit.map((m) => m.uid)) };
      }
      default:
        return c;
    }
  };
  return rewrite(criteria);
}
