// NOTIFY SET's argument (RFC 5465 §3.1, §6, §8) as data: which events the client wants for the
// selected mailbox and for which other mailboxes. A pure parser over tokens; mailbox names are
// decoded by the caller's function (modified UTF-7 or UTF-8, as the session has ENABLEd).
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import type { Token } from '../proto/tokens.js';
import { parseFetchItems, type FetchItem } from '../fetch/items.js';

export const NOTIFY_EVENTS = [
  'MessageNew',
  'MessageExpunge',
  'FlagChange',
  'AnnotationChange',
  'MailboxName',
  'SubscriptionChange',
  'MailboxMetadataChange',
  'ServerMetadataChange',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/**
 * What Tessera reports. AnnotationChange needs per-message annotations (RFC 5257 ANNOTATE), which
 * Tessera does not offer, so it is refused with BADEVENT rather than accepted and never sent. The
 * METADATA events are required of a server with METADATA (RFC 5465 §5.8, §5.9).
 */
export const SUPPORTED_EVENTS: readonly NotifyEvent[] = [
  'MessageNew',
  'MessageExpunge',
  'FlagChange',
  'MailboxName',
  'SubscriptionChange',
  'MailboxMetadataChange',
  'ServerMetadataChange',
];

/** Events that need the watcher even when only the selected mailbox is watched (./watcher.ts). */
export const METADATA_EVENTS: readonly NotifyEvent[] = ['MailboxMetadataChange', 'ServerMetadataChange'];

/** Events about messages in a mailbox: those a STATUS response summarises for a non-selected mailbox. */
export const MESSAGE_EVENTS: readonly NotifyEvent[] = ['MessageNew', 'MessageExpunge', 'FlagChange', 'AnnotationChange'];

export type FilterKind = 'inboxes' | 'personal' | 'subscribed' | 'subtree' | 'mailboxes';

export interface MailboxFilter {
  kind: FilterKind;
  /** Decoded IMAP names (subtree, mailboxes). */
  names: string[];
  events: ReadonlySet<NotifyEvent>;
}

export interface NotifySpec {
  /** NOTIFY SET STATUS: a STATUS response now for each watched mailbox (§3.1). */
  status: boolean;
  /** Events for the selected mailbox; absent = SELECTED NONE (§3.1). */
  selected?: {
    /** selected-delayed: expunges wait for a command that allows them (§6.1.2). */
    delayed: boolean;
    events: ReadonlySet<NotifyEvent>;
    /** MessageNew's fetch attributes (§5.2). */
    fetch?: FetchItem[];
  };
  filters: MailboxFilter[];
}

/** Bounds one NOTIFY SET: event groups and names per group (the command line bounds the rest). */
export const MAX_EVENT_GROUPS = 64;
export const MAX_NAMES_PER_GROUP = 1000;

const FILTERS = new Set(['SELECTED', 'SELECTED-DELAYED', 'INBOXES', 'PERSONAL', 'SUBSCRIBED', 'SUBTREE', 'MAILBOXES']);

function eventName(t: Token): NotifyEvent {
  if (t.type !== 'atom') throw new ImapSyntaxError('Expected an event name');
  const found = NOTIFY_EVENTS.find((e) => e.toUpperCase() === t.value.toUpperCase());
  // §3.1: an event the server does not know is refused with NO [BADEVENT], listing what it supports.
  if (!found) throw badEvent();
  return found;
}

export function badEvent(): ImapNoError {
  return new ImapNoError('Unsupported NOTIFY event', `BADEVENT (${SUPPORTED_EVENTS.join(' ')})`);
}

/** Parses the events of one group: NONE or a list; MessageNew may carry fetch attributes. */
function parseEvents(t: Token | undefined, allowFetch: boolean): { events: Set<NotifyEvent>; fetch?: FetchItem[] } {
  if (!t) throw new ImapSyntaxError('Missing NOTIFY events');
  if (t.type === 'atom' && t.value.toUpperCase() === 'NONE') return { events: new Set() };
  if (t.type !== 'list' || t.items.length === 0) throw new ImapSyntaxError('Expected a list of NOTIFY events');
  const events = new Set<NotifyEvent>();
  let fetch: FetchItem[] | undefined;
  for (let i = 0; i < t.items.length; i++) {
    const e = eventName(t.items[i]!);
    events.add(e);
    const next = t.items[i + 1];
    if (e === 'MessageNew' && next?.type === 'list') {
      // §5.2: fetch attributes are for the selected mailbox only.
      if (!allowFetch) throw new ImapSyntaxError('MessageNew fetch attributes are only for the selected mailbox');
      fetch = parseFetchItems(next);
      i++;
    }
  }
  // §5: MessageNew and MessageExpunge go together, and FlagChange/AnnotationChange need both.
  if (events.has('MessageNew') !== events.has('MessageExpunge')) throw new ImapSyntaxError('MessageNew and MessageExpunge must be requested together');
  if ((events.has('FlagChange') || events.has('AnnotationChange')) && !events.has('MessageNew')) {
    throw new ImapSyntaxError('FlagChange and AnnotationChange need MessageNew and MessageExpunge');
  }
  return fetch ? { events, fetch } : { events };
}

function mailboxNames(t: Token | undefined, decode: (wire: string) => string): string[] {
  if (!t) throw new ImapSyntaxError('Missing mailbox names');
  const items = t.type === 'list' ? t.items : [t];
  if (items.length === 0) throw new ImapSyntaxError('Empty mailbox list');
  if (items.length > MAX_NAMES_PER_GROUP) throw new ImapNoError(`Too many mailboxes in one event group (limit ${MAX_NAMES_PER_GROUP})`, 'LIMIT');
  // §6.6: names are taken literally, never as LIST wildcards.
  return items.map((i) => {
    if (i.type === 'list' || i.type === 'spooled') throw new ImapSyntaxError('Expected a mailbox name');
    return decode(tokenText(i));
  });
}

/**
 * Parses what follows `NOTIFY SET`. Syntax errors are BAD; an unknown event is NO [BADEVENT].
 * MessageNew/MessageExpunge pairing is enforced for the selected mailbox only (§5), as Dovecot does:
 * for other mailboxes a STATUS response says as much either way, and imaptest's notify script asks
 * for MessageExpunge alone.
 */
export function parseNotifySet(tokens: Token[], decode: (wire: string) => string): NotifySpec {
  let i = 0;
  const spec: NotifySpec = { status: false, filters: [] };
  if (tokens[0]?.type === 'atom' && tokens[0].value.toUpperCase() === 'STATUS') {
    spec.status = true;
    i++;
  }
  if (i >= tokens.length) throw new ImapSyntaxError('NOTIFY SET needs at least one event group');
  if (tokens.length - i > MAX_EVENT_GROUPS) throw new ImapNoError(`Too many event groups (limit ${MAX_EVENT_GROUPS})`, 'LIMIT');
  let selectedSeen = false;
  for (; i < tokens.length; i++) {
    const g = tokens[i]!;
    if (g.type !== 'list' || g.items.length < 2) throw new ImapSyntaxError('Expected an event group');
    const head = g.items[0]!;
    const kind = head.type === 'atom' ? head.value.toUpperCase() : '';
    if (!FILTERS.has(kind)) throw new ImapSyntaxError('Unknown mailbox filter');
    if (kind === 'SELECTED' || kind === 'SELECTED-DELAYED') {
      // §6.1: selected and selected-delayed exclude each other, and each appears once.
      if (selectedSeen) throw new ImapSyntaxError('The selected mailbox filter appears more than once');
      selectedSeen = true;
      if (g.items.length !== 2) throw new ImapSyntaxError('Unexpected arguments in the selected event group');
      const ev = parseEvents(g.items[1], true);
      for (const e of ev.events) if (!SUPPORTED_EVENTS.includes(e)) throw badEvent();
      if (ev.events.size > 0) spec.selected = { delayed: kind === 'SELECTED-DELAYED', events: ev.events, ...(ev.fetch ? { fetch: ev.fetch } : {}) };
      continue;
    }
    const withNames = kind === 'SUBTREE' || kind === 'MAILBOXES';
    const names = withNames ? mailboxNames(g.items[1], decode) : [];
    const evToken = g.items[withNames ? 2 : 1];
    if (g.items.length !== (withNames ? 3 : 2)) throw new ImapSyntaxError('Unexpected arguments in an event group');
    const events = parseOtherEvents(evToken);
    for (const e of events) if (!SUPPORTED_EVENTS.includes(e)) throw badEvent();
    if (events.size > 0) spec.filters.push({ kind: kind.toLowerCase() as FilterKind, names, events });
  }
  return spec;
}

function parseOtherEvents(t: Token | undefined): Set<NotifyEvent> {
  if (!t) throw new ImapSyntaxError('Missing NOTIFY events');
  if (t.type === 'atom' && t.value.toUpperCase() === 'NONE') return new Set();
  if (t.type !== 'list' || t.items.length === 0) throw new ImapSyntaxError('Expected a list of NOTIFY events');
  const events = new Set<NotifyEvent>();
  for (const item of t.items) {
    if (item.type === 'list') throw new ImapSyntaxError('MessageNew fetch attributes are only for the selected mailbox');
    events.add(eventName(item));
  }
  return events;
}

/** Is `name` one of the filter's mailboxes (§6)? `personal` = owned by the session's user. */
export function filterMatches(f: MailboxFilter, name: string, own: boolean, subscribed: boolean): boolean {
  switch (f.kind) {
    case 'inboxes': // §6.3: without knowing where delivery files mail, inboxes means personal.
    case 'personal':
      return own;
    case 'subscribed':
      return subscribed;
    case 'subtree':
      return f.names.some((n) => name === n || name.startsWith(n + '/'));
    case 'mailboxes':
      return f.names.includes(name);
  }
}

/** The STATUS items that report `events` for a non-selected mailbox (§5.2-5.3, in imaptest's order). */
export function statusItemsFor(events: ReadonlySet<NotifyEvent>): string[] {
  const items: string[] = [];
  if (events.has('MessageNew') || events.has('MessageExpunge')) items.push('MESSAGES');
  if (events.has('MessageNew')) items.push('UIDNEXT');
  if (events.has('MessageNew') || events.has('FlagChange')) items.push('UIDVALIDITY');
  if (events.has('FlagChange')) items.push('HIGHESTMODSEQ');
  return items;
}
