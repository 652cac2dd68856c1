// LIST and LSUB (RFC 3501 §6.3.8-9) with LIST-EXTENDED (RFC 5258: selection and return options,
// multiple patterns, CHILDINFO), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154), LIST-STATUS (RFC 5819),
// LIST-MYRIGHTS (RFC 8440) and LIST-METADATA (RFC 9590).
import type { CommandOk, CommandSpec } from '../types.js';
import type { ImapSession } from '../session.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText, type Args } from '../proto/args.js';
import { strictUtf8 } from '../proto/utf8.js';
import type { Token } from '../proto/tokens.js';
import { decodeName, displayName, encodeName, specialUseOf, OTHER_USERS, SEPARATOR, SHARED_NAMESPACE } from '../mailbox-name.js';
import { parseStatusItems, statusLine } from './status.js';
import { astring } from '../proto/serialize.js';
import { ALL_RIGHTS, isStoreError } from '../../store/types.js';
import { listMetadataRequest, longEntries, sendMetadata, type GetOptions } from './metadata.js';

export function patternToRegExp(pattern: string): RegExp {
  let re = '^';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 's');
}

/** Combines reference and pattern; INBOX is matched case-insensitively. */
function matcher(s: ImapSession, reference: string, pattern: string): (name: string) => boolean {
  let full = reference.length > 0 && pattern.length > 0 ? reference + pattern : pattern;
  try {
    full = decodeName(s, full);
  } catch {
    // A pattern that is not valid modified UTF-7 matches no mailbox name.
    return () => false;
  }
  const re = patternToRegExp(full);
  const reInbox = patternToRegExp(full.toUpperCase().startsWith('INBOX') ? 'INBOX' + full.slice(5) : full);
  return (name) => (name === 'INBOX' || name.startsWith('INBOX/') ? reInbox.test(name) || re.test(name) : re.test(name));
}

interface ListOptions {
  subscribedOnly: boolean;
  recursiveMatch: boolean;
  specialUseOnly: boolean;
  returnSubscribed: boolean;
  returnChildren: boolean;
  returnSpecialUse: boolean;
  /** LIST-MYRIGHTS (RFC 8440): a MYRIGHTS response after each mailbox's LIST response. */
  returnMyRights: boolean;
  status?: string[];
  /** LIST-METADATA (RFC 9590): a METADATA response with these entries after each mailbox's LIST response. */
  metadata?: { names: string[]; opts: GetOptions };
}

function parseSelection(tokens: Token[], o: ListOptions): void {
  let other = false;
  for (const t of tokens) {
    const v = tokenText(t).toUpperCase();
    if (v === 'SUBSCRIBED') {
      o.subscribedOnly = true;
      other = true;
    } else if (v === 'REMOTE') {
      // Only local mailboxes exist here.
    } else if (v === 'RECURSIVEMATCH') o.recursiveMatch = true;
    else if (v === 'SPECIAL-USE') {
      o.specialUseOnly = true;
      o.returnSpecialUse = true;
      other = true;
    } else throw new ImapSyntaxError(`Unknown LIST selection option ${v.slice(0, 30)}`);
  }
  if (o.recursiveMatch && !other) throw new ImapSyntaxError('RECURSIVEMATCH needs another selection option');
}

function parseReturn(tokens: Token[], o: ListOptions): void {
  for (let i = 0; i < tokens.length; i++) {
    const v = tokenText(tokens[i]!).toUpperCase();
    if (v === 'SUBSCRIBED') o.returnSubscribed = true;
    else if (v === 'CHILDREN') o.returnChildren = true;
    else if (v === 'SPECIAL-USE') o.returnSpecialUse = true;
    else if (v === 'MYRIGHTS') o.returnMyRights = true;
    else if (v === 'METADATA') {
      const l = tokens[++i];
      if (!l || l.type !== 'list') throw new ImapSyntaxError('METADATA return option needs a list of entry names');
      o.metadata = listMetadataRequest(l.items);
    } else if (v === 'STATUS') {
      const l = tokens[++i];
      if (!l || l.type !== 'list') throw new ImapSyntaxError('STATUS return option needs a list');
      o.status = parseStatusItems(l.items);
    } else throw new ImapSyntaxError(`Unknown LIST return option ${v.slice(0, 30)}`);
  }
}

function patternText(t: Token): string {
  if (t.type === 'list' || t.type === 'spooled') throw new ImapSyntaxError('Expected mailbox pattern');
  return t.type === 'atom' ? t.value : strictUtf8(t.value, 'mailbox pattern');
}

function patterns(args: Args): string[] {
  const t = args.next('mailbox pattern');
  if (t.type === 'list') {
    if (t.items.length === 0) throw new ImapSyntaxError('Empty pattern list');
    return t.items.map(patternText);
  }
  return [patternText(t)];
}

async function run(s: ImapSession, args: Args, lsub: boolean): Promise<CommandOk | undefined> {
  const o: ListOptions = {
    subscribedOnly: lsub,
    recursiveMatch: false,
    specialUseOnly: false,
    returnSubscribed: false,
    returnChildren: false,
    returnSpecialUse: false,
    returnMyRights: false,
  };
  let extended = false;
  if (!lsub && args.peek()?.type === 'list') {
    parseSelection(args.list(), o);
    extended = true;
  }
  const reference = args.strictAstring('reference');
  const pats = lsub ? [args.strictAstring('pattern')] : patterns(args);
  if (!lsub && args.peekAtom() === 'RETURN') {
    args.atom();
    parseReturn(args.list('return options'), o);
    extended = true;
  }
  args.end();
  const word = lsub ? 'LSUB' : 'LIST';

  // `LIST "" ""` asks for the hierarchy delimiter.
  if (!extended && !lsub && pats.length === 1 && pats[0] === '') {
    s.untagged(`LIST (\\Noselect) "${SEPARATOR}" ""`);
    return;
  }
  const matchers = pats.map((p) => matcher(s, reference, p));
  const matches = (name: string): boolean => matchers.some((m) => m(name));
  const account = s.account!;
  const boxes = (await s.store.listMailboxes(account)).map((b) => ({ name: b.path, specialUse: specialUseOf(b.role), subscribed: b.subscribed, hasChildren: b.hasChildren, id: b.id, owner: account, rights: ALL_RIGHTS }));
  // Other users' mailboxes this user may look up ("l"), under the Other Users namespace (the public
  // account's under Shared), with the namespaces' own levels as \Noselect nodes.
  const shared = await s.store.sharedWith(s.actor!);
  const nodes = new Set<string>();
  for (const sh of shared) {
    const name = displayName(s, sh.owner, sh.mailbox.path);
    const prefix = sh.mailbox.path + SEPARATOR;
    // Children count only when they are visible too: an invisible child must not show.
    const hasChildren = shared.some((o) => o.owner === sh.owner && o.mailbox.path.startsWith(prefix));
    boxes.push({ name, specialUse: undefined, subscribed: false, hasChildren, id: sh.mailbox.id, owner: sh.owner, rights: sh.rights });
    if (sh.owner === s.publicAccount) nodes.add(SHARED_NAMESPACE);
    else nodes.add(OTHER_USERS).add(`${OTHER_USERS}${SEPARATOR}${sh.owner}`);
  }
  const existing = new Map(boxes.map((b) => [b.name, b]));
  // Subscribed names: subscribed mailboxes and names without one (the store keeps both).
  const orphans = o.subscribedOnly || o.returnSubscribed ? await s.store.listOrphanSubscriptions(account) : [];
  const subscribed = new Set([...boxes.filter((b) => b.subscribed).map((b) => b.name), ...orphans]);
  const hasChildren = (n: string): boolean => existing.get(n)?.hasChildren ?? false;

  const out: Array<{ name: string; attrs: string[]; childinfo?: boolean }> = [];
  let longest = 0;
  if (o.subscribedOnly) {
    const seen = new Set<string>();
    for (const name of [...subscribed].sort()) {
      if (matches(name)) {
        const attrs: string[] = [];
        if (!lsub || extended) attrs.push('\\Subscribed');
        if (!existing.has(name)) attrs.push(lsub ? '\\Noselect' : '\\NonExistent');
        out.push({ name, attrs });
        seen.add(name);
      }
    }
    // Ancestors of subscribed names: LSUB's `%` rule (RFC 3501 §6.3.9) and RECURSIVEMATCH's CHILDINFO.
    for (const name of subscribed) {
      const parts = name.split(SEPARATOR);
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join(SEPARATOR);
        if (seen.has(parent) || !matches(parent)) continue;
        if (lsub) {
          if (pats.some((p) => p.includes('%'))) {
            seen.add(parent);
            out.push({ name: parent, attrs: ['\\Noselect'] });
          }
        } else if (o.recursiveMatch && !matches(name)) {
          seen.add(parent);
          out.push({ name: parent, attrs: existing.has(parent) ? [] : ['\\NonExistent'], childinfo: true });
        }
      }
    }
  } else {
    for (const b of boxes) {
      if (!matches(b.name)) continue;
      if (o.specialUseOnly && !b.specialUse) continue;
      out.push({ name: b.name, attrs: [] });
    }
    if (!o.specialUseOnly) for (const n of nodes) if (matches(n)) out.push({ name: n, attrs: ['\\Noselect', '\\HasChildren'] });
  }
  for (const e of out) {
    const box = existing.get(e.name);
    if (box) {
      if (!lsub || extended) e.attrs.push(hasChildren(e.name) ? '\\HasChildren' : '\\HasNoChildren');
      if (box.specialUse && (!lsub || o.returnSpecialUse)) e.attrs.push(box.specialUse);
      if (o.returnSubscribed && subscribed.has(e.name) && !e.attrs.includes('\\Subscribed')) e.attrs.push('\\Subscribed');
    }
    const ext = e.childinfo ? ' (CHILDINFO ("SUBSCRIBED"))' : '';
    s.untagged(`${word} (${[...new Set(e.attrs)].join(' ')}) "${SEPARATOR}" `, encodeName(s, e.name), ext);
    if (o.returnMyRights && box) s.untagged('MYRIGHTS ', encodeName(s, e.name), ' ', astring(box.rights));
    if (o.status && box) {
      try {
        s.untagged(await statusLine(s, box.owner, box.id, o.status));
      } catch {
        // A mailbox that vanished between LIST and STATUS simply gets no STATUS line.
      }
    }
    if (o.metadata && box) {
      const where = { owner: box.owner, id: box.id, wire: encodeName(s, e.name) };
      try {
        longest = Math.max(longest, await sendMetadata(s, where, o.metadata.names, o.metadata.opts, false));
      } catch (err) {
        // Gone meanwhile, or annotations it may not read: no METADATA line, as for STATUS.
        if (!isStoreError(err)) throw err;
      }
    }
  }
  return longEntries(longest, `${word} completed`);
}

export const list: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  run: (s, args) => run(s, args, false),
};

export const lsub: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  run: (s, args) => run(s, args, true),
};
