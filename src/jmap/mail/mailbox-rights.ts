// JMAP mailbox rights (RFC 8621 §2 MailboxRights, RFC 9670 §1.4 shareWith and mayAdmin) as views of
// the one ACL the store keeps for IMAP (RFC 4314 letters), so IMAP GETACL and JMAP shareWith show
// the same grants, and a change through either is seen by both. The mapping follows RFC 8621 §2's
// notes on IMAP ACLs: mayReadItems "r", mayAddItems "i", mayRemoveItems "t" and "e", maySetSeen "s",
// maySetKeywords "w", mayCreateChild "k", mayRename and mayDelete "x", maySubmit "p", mayAdmin "a".
import { isJsonObject, type Json, type JsonObject } from '../core/types.js';
import { ANYONE, canonicalRights, GROUP_PREFIX } from '../../store/rights.js';

/** Each JMAP right and the IMAP letters it needs (reading) or grants (writing). */
const RIGHT_LETTERS: ReadonlyArray<readonly [string, string]> = [
  ['mayReadItems', 'r'],
  ['mayAddItems', 'i'],
  ['mayRemoveItems', 'te'],
  ['maySetSeen', 's'],
  ['maySetKeywords', 'w'],
  ['mayCreateChild', 'k'],
  ['mayRename', 'x'],
  ['mayDelete', 'x'],
  ['maySubmit', 'p'],
  ['mayAdmin', 'a'],
];

export const MAILBOX_RIGHT_NAMES: readonly string[] = RIGHT_LETTERS.map(([name]) => name);

/**
 * The MailboxRights object for IMAP rights letters. The owner's inbox can be neither renamed nor
 * deleted, whatever the rights say.
 */
export function jmapRights(letters: string, isOwnInbox: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [name, needed] of RIGHT_LETTERS) out[name] = [...needed].every((r) => letters.includes(r));
  if (isOwnInbox) out.mayRename = out.mayDelete = false;
  return out;
}

/**
 * IMAP rights letters for a MailboxRights object sent by a client (names it leaves out are false),
 * or undefined when it is not one. A sharee who may read also looks the mailbox up ("l").
 */
export function lettersFromJmap(value: Json | undefined): string | undefined {
  if (!isJsonObject(value)) return undefined;
  let letters = '';
  for (const [name, v] of Object.entries(value)) {
    const entry = RIGHT_LETTERS.find(([n]) => n === name);
    if (entry === undefined || typeof v !== 'boolean') return undefined;
    if (v) letters += entry[1];
  }
  if (letters.includes('r')) letters += 'l';
  return canonicalRights(letters);
}

/** The change a Mailbox/set asks of shareWith: the whole map replaced, some principals or single rights patched. */
export interface ShareWithChange {
  replace: boolean;
  /** Principal id → rights letters ('' removes the entry). */
  entries: Map<string, string>;
  /** "shareWith/<principalId>/<right>": [principal id, the right's letters, granted]. */
  rights: Array<[string, string, boolean]>;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Reads shareWith from a create or an update patch ("shareWith", "shareWith/<principalId>",
 * "shareWith/<principalId>/<right>"): the change, undefined when none is asked, or the keys that
 * are not valid (for invalidProperties).
 */
export function readShareWith(obj: JsonObject): ShareWithChange | undefined | string[] {
  const bad: string[] = [];
  let change: ShareWithChange | undefined;
  const changes = (): ShareWithChange => (change ??= { replace: false, entries: new Map(), rights: [] });
  for (const [key, v] of Object.entries(obj)) {
    if (key !== 'shareWith' && !key.startsWith('shareWith/')) continue;
    const path = key.split('/').slice(1).map(unescapePointer);
    if (path.length === 0) {
      if (v !== null && !isJsonObject(v)) bad.push(key);
      else {
        const c = changes();
        c.replace = true;
        for (const [principal, rights] of Object.entries(v ?? {})) {
          const letters = lettersFromJmap(rights);
          if (letters === undefined) bad.push(key);
          else c.entries.set(principal, letters);
        }
      }
    } else if (path.length === 1 && path[0] !== '') {
      const letters = v === null ? '' : lettersFromJmap(v);
      if (letters === undefined) bad.push(key);
      else changes().entries.set(path[0]!, letters);
    } else if (path.length === 2 && typeof v === 'boolean' && RIGHT_LETTERS.some(([n]) => n === path[1])) {
      changes().rights.push([path[0]!, RIGHT_LETTERS.find(([n]) => n === path[1])![1], v]);
    } else bad.push(key);
  }
  return bad.length > 0 ? bad : change;
}

/** The shareWith map (principal id → letters) after `change`, from the current one. */
export function applyShareWith(current: ReadonlyMap<string, string>, change: ShareWithChange): Map<string, string> {
  const next = new Map(change.replace ? [] : current);
  for (const [principal, letters] of change.entries) next.set(principal, letters);
  for (const [principal, letters, granted] of change.rights) {
    const held = next.get(principal) ?? '';
    const added = letters.includes('r') ? letters + 'l' : letters;
    next.set(principal, canonicalRights(granted ? held + added : [...held].filter((r) => !letters.includes(r))));
  }
  for (const [principal, letters] of next) if (letters === '') next.delete(principal);
  return next;
}

/** Where shareWith reads and writes: the ACL of the store (IMAP GETACL/SETACL's). */
export interface AclAccess {
  listRights(owner: string, mailboxId: string): Promise<Array<{ identifier: string; rights: string }>>;
  setRights(owner: string, mailboxId: string, identifier: string, rights: string): Promise<void>;
}

/**
 * The mailbox's grants to users, by principal id (their account id). The owner is not in it
 * (RFC 9670 §1.4), nor "anyone" or a "$group", which no principal of this server stands for (so a
 * shareWith written whole leaves their entries as they are).
 */
export async function currentShareWith(store: AclAccess, owner: string, mailboxId: string, principalId: (user: string) => string): Promise<Map<string, string>> {
  const entries = await store.listRights(owner, mailboxId);
  const users = entries.filter((e) => e.identifier !== owner && e.identifier !== ANYONE && !e.identifier.startsWith(GROUP_PREFIX));
  return new Map(users.map((e) => [principalId(e.identifier), e.rights]));
}

/** shareWith as a Mailbox shows it: null when shared with nobody (RFC 9670 §1.4). */
export function shareWithJson(map: ReadonlyMap<string, string>): Json {
  if (map.size === 0) return null;
  return Object.fromEntries([...map].map(([principal, letters]) => [principal, jmapRights(letters, false)]));
}

/**
 * Writes the difference between the current grants and the wanted ones, one SETACL each. Throws the
 * principal ids no user has (before writing anything).
 */
export async function writeShareWith(
  store: AclAccess,
  owner: string,
  mailboxId: string,
  current: ReadonlyMap<string, string>,
  wanted: ReadonlyMap<string, string>,
  users: ReadonlyMap<string, string>,
): Promise<void> {
  const unknown = [...wanted.keys()].filter((p) => !users.has(p) || users.get(p) === owner);
  if (unknown.length > 0) throw new UnknownPrincipalError(unknown);
  for (const principal of new Set([...current.keys(), ...wanted.keys()])) {
    const letters = wanted.get(principal) ?? '';
    if (letters === (current.get(principal) ?? '')) continue;
    const user = users.get(principal);
    if (user !== undefined) await store.setRights(owner, mailboxId, user, letters);
  }
}

export class UnknownPrincipalError extends Error {
  override readonly name = 'UnknownPrincipalError';
  constructor(readonly principalIds: string[]) {
    super(`no such principal: ${principalIds.join(', ')}`);
  }
}
