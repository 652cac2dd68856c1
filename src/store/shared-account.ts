// The account-wide JMAP operations (states, /changes, Email/query, Thread/get, Email/set) on another
// user's account, restricted to the mailboxes shared with the actor. Both engines' rights-checked
// views (sqlite/acting-store.ts, postgres/acting-store.ts) hand these calls here, so the rules are
// written once over the plain store API:
//  - an email is readable when a mailbox holding it grants "r"; everything else of the account is
//    invisible (absent from queries, threads, /changes, an email's mailboxIds);
//  - every state string of the view carries a digest of the actor's grants on the account, so a
//    rights change (a mailbox appearing or disappearing) changes the state, and /changes from a state
//    taken under other grants answers cannotCalculateChanges: the client resynchronises and never
//    keeps what it may no longer see;
//  - writes check the rights of every mailbox the email is in (keywords are shared by all of them)
//    and of every mailbox added or removed (RFC 4314 §4: "i" to add, "t" and "e" to remove). The
//    decision is made here, and what it rested on (WriteBasis) is verified again by the engine inside
//    the write's own transaction, so a revocation racing an Email/set never lets it through.
import { createHash } from 'node:crypto';
import type * as S from './types.js';
import { CannotCalculateChangesError, NoSuchBlobError, StoreUnavailableError } from './errors.js';
import { isVisible, rightsForFlags } from './rights.js';
import { isStoredBlob } from './ingest.js';

type Grants = ReadonlyMap<string, string>;

/** Separates the store's own state from the digest of the grants it was read under. */
const STATE_SEPARATOR = '~';

export class SharedAccountView {
  constructor(
    private readonly root: S.MailStore,
    private readonly actor: S.Actor,
    private readonly writes: BasisWrites,
  ) {}

  /** Mailbox id → the actor's rights, for the owner's mailboxes shared with the actor. */
  async grants(owner: string): Promise<Map<string, string>> {
    const shared = await this.root.sharedWith(this.actor);
    return new Map(shared.filter((s) => s.owner === owner).map((s) => [s.mailbox.id, s.rights]));
  }

  private static digest(grants: Grants): string {
    const text = [...grants].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, r]) => `${id}:${r}`).join(',');
    return createHash('sha256').update(text).digest('base64url').slice(0, 10);
  }

  private static readable(grants: Grants, mailboxIds: readonly string[]): boolean {
    return readerOf(grants, mailboxIds) !== undefined;
  }

  async getStates(owner: string): Promise<S.AccountStates> {
    const grants = await this.grants(owner);
    const states = await this.root.getStates(owner);
    const d = SharedAccountView.digest(grants);
    return { ...states, Mailbox: states.Mailbox + STATE_SEPARATOR + d, Email: states.Email + STATE_SEPARATOR + d, Thread: states.Thread + STATE_SEPARATOR + d };
  }

  async changes(owner: string, type: 'Mailbox' | 'Email' | 'Thread', sinceState: string, maxChanges?: number): Promise<S.ChangesResult> {
    const grants = await this.grants(owner);
    const d = SharedAccountView.digest(grants);
    const cut = sinceState.lastIndexOf(STATE_SEPARATOR);
    if (cut < 0 || sinceState.slice(cut + 1) !== d) throw new CannotCalculateChangesError(sinceState);
    const page = await this.root.changes(owner, type, sinceState.slice(0, cut), maxChanges);
    const visible = await this.visibleIds(owner, type, grants, [...page.created, ...page.updated]);
    return {
      ...page,
      oldState: page.oldState + STATE_SEPARATOR + d,
      newState: page.newState + STATE_SEPARATOR + d,
      created: page.created.filter((id) => visible.has(id)),
      updated: page.updated.filter((id) => visible.has(id)),
      // An email moved out of every shared mailbox is, to this actor, gone.
      destroyed: [...page.destroyed, ...(type === 'Mailbox' ? [] : page.updated.filter((id) => !visible.has(id)))],
    };
  }

  private async visibleIds(owner: string, type: 'Mailbox' | 'Email' | 'Thread', grants: Grants, ids: string[]): Promise<Set<string>> {
    if (type === 'Mailbox') return new Set(ids.filter((id) => isVisible(grants.get(id) ?? '')));
    if (type === 'Email') {
      const metas = await this.root.getEmails(owner, ids);
      return new Set(metas.filter((m) => SharedAccountView.readable(grants, m.mailboxIds)).map((m) => m.id));
    }
    const threads = await this.threads(owner, grants, ids);
    return new Set(threads.map((t) => t.id));
  }

  async queryEmails(owner: string, request: S.EmailQueryRequest): Promise<S.EmailQueryResult> {
    const grants = await this.grants(owner);
    const readable = [...grants].filter(([, r]) => r.includes('r')).map(([id]) => id);
    const within: S.SearchCriteria = readable.length === 0 ? { kind: 'none' } : { kind: 'or', of: readable.map((mailboxId) => ({ kind: 'inMailbox', mailboxId })) };
    const result = await this.root.queryEmails(owner, { ...request, filter: { kind: 'and', of: [request.filter, within] } });
    return { ...result, queryState: result.queryState + STATE_SEPARATOR + SharedAccountView.digest(grants) };
  }

  async getThreads(owner: string, threadIds: string[]): Promise<S.ThreadInfo[]> {
    return this.threads(owner, await this.grants(owner), threadIds);
  }

  /** Threads with only their readable emails; a thread with none does not exist for the actor. */
  private async threads(owner: string, grants: Grants, threadIds: string[]): Promise<S.ThreadInfo[]> {
    const threads = await this.root.getThreads(owner, threadIds);
    const metas = await this.root.getEmails(owner, threads.flatMap((t) => t.emailIds));
    const readable = new Set(metas.filter((m) => SharedAccountView.readable(grants, m.mailboxIds)).map((m) => m.id));
    return threads.map((t) => ({ id: t.id, emailIds: t.emailIds.filter((id) => readable.has(id)) })).filter((t) => t.emailIds.length > 0);
  }

  /** The owner's emails made of this blob that the actor may read. */
  async emailsWithBlob(owner: string, blobId: string): Promise<string[]> {
    const grants = await this.grants(owner);
    const metas = await this.root.getEmails(owner, await this.root.emailsWithBlob(owner, blobId));
    return metas.filter((m) => SharedAccountView.readable(grants, m.mailboxIds)).map((m) => m.id);
  }

  /**
   * A blob of the owner's is readable when it is (part of) a readable email; the owner's uploads stay
   * the owner's. A blob the actor reads in their own account (above all what they uploaded to this
   * account, which the upload keeps as theirs: see the JMAP backend's upload) is readable here too:
   * that shows them nothing new, and lets them import it where they may insert (RFC 8620 §6).
   */
  async readBlob(owner: string, blobId: string, range?: S.ByteRange): Promise<Buffer | null> {
    if ((await this.emailsWithBlob(owner, blobId)).length === 0) return this.root.readBlob(this.actor.user, blobId, range);
    const bytes = await this.root.readBlob(owner, blobId, range);
    // Checked again after the read, so a revocation committed meanwhile still refuses the bytes.
    return (await this.emailsWithBlob(owner, blobId)).length === 0 ? null : bytes;
  }

  async openBlob(owner: string, blobId: string, range?: S.ByteRange): Promise<S.ByteSource | null> {
    if ((await this.emailsWithBlob(owner, blobId)).length === 0) return this.root.openBlob(this.actor.user, blobId, range);
    const source = await this.root.openBlob(owner, blobId, range);
    return (await this.emailsWithBlob(owner, blobId)).length === 0 ? null : source;
  }

  async blobSize(owner: string, blobId: string): Promise<number | null> {
    return (await this.emailsWithBlob(owner, blobId)).length === 0 ? this.root.blobSize(this.actor.user, blobId) : this.root.blobSize(owner, blobId);
  }

  /**
   * Appends to the owner's account name stored blobs by id; the store accepts any blob of the owner's
   * account, so the actor's own rule applies here first: a blob of a readable email stays a reference,
   * one of the actor's own is referenced as the actor's (`of`: the owner's account has no claim on it
   * until the email exists), and anything else is NoSuchBlobError, as for a blob that does not exist.
   */
  async actorSources(owner: string, inputs: S.AppendInput[]): Promise<S.AppendInput[]> {
    const out: S.AppendInput[] = [];
    for (const input of ownBlobsOnly(inputs)) {
      const source = input.bytes;
      if (!isStoredBlob(source) || (await this.emailsWithBlob(owner, source.storedBlob)).length > 0) {
        out.push(input);
        continue;
      }
      // The actor's own blob, referenced as such: checked by the store when it commits, never read whole here.
      if ((await this.root.blobSize(this.actor.user, source.storedBlob)) === null) throw new NoSuchBlobError(source.storedBlob);
      out.push({ ...input, bytes: { storedBlob: source.storedBlob, of: this.actor.user } });
    }
    return out;
  }

  /** An email's mailboxIds as the actor may see them: only the shared mailboxes. */
  async hidePrivateMailboxes(owner: string, emails: S.EmailMeta[]): Promise<S.EmailMeta[]> {
    if (emails.length === 0) return emails;
    const grants = await this.grants(owner);
    return emails.map((e) => ({ ...e, mailboxIds: e.mailboxIds.filter((id) => isVisible(grants.get(id) ?? '')) }));
  }

  async updateEmails(owner: string, updates: S.EmailUpdate[], options?: S.WriteOptions & { ifInState?: string }): Promise<S.EmailUpdateResult> {
    return this.planned(async () => {
      const grants = await this.grants(owner);
      const metas = new Map((await this.root.getEmails(owner, updates.map((u) => u.emailId))).map((m) => [m.id, m]));
      const basis = new BasisBuilder();
      const refused: S.EmailUpdateResult['notUpdated'] = [];
      const allowed: S.EmailUpdate[] = [];
      for (const u of updates) {
        const meta = metas.get(u.emailId);
        const reader = meta && readerOf(grants, meta.mailboxIds);
        if (meta === undefined || reader === undefined) {
          refused.push({ emailId: u.emailId, type: 'notFound', description: 'no such email' });
          continue;
        }
        const needs = updateNeeds(meta, u);
        const unmet = needs.find((n) => !n.mailboxIds.every((m) => hasAll(grants.get(m), n.rights)));
        if (unmet !== undefined) {
          refused.push({ emailId: u.emailId, type: 'forbidden', description: unmet.why });
          continue;
        }
        basis.add(meta, reader, needs);
        allowed.push(u);
      }
      const result = await this.writes.updateEmails(owner, basis.done(), allowed, stripState(options));
      return { ...result, notUpdated: [...refused, ...result.notUpdated], newState: result.newState + STATE_SEPARATOR + SharedAccountView.digest(grants) };
    });
  }

  async destroyEmails(owner: string, emailIds: string[], options?: S.WriteOptions & { ifInState?: string }): Promise<S.DestroyResult> {
    return this.planned(async () => {
      const grants = await this.grants(owner);
      const metas = new Map((await this.root.getEmails(owner, emailIds)).map((m) => [m.id, m]));
      const basis = new BasisBuilder();
      const notDestroyed: S.DestroyResult['notDestroyed'] = [];
      const allowed: string[] = [];
      for (const id of emailIds) {
        const meta = metas.get(id);
        const reader = meta && readerOf(grants, meta.mailboxIds);
        const needs: Need[] = meta ? [{ mailboxIds: meta.mailboxIds, rights: 'te', why: 'the "t" and "e" rights are needed on every mailbox of the email' }] : [];
        if (meta === undefined || reader === undefined) notDestroyed.push({ id, type: 'notFound', description: 'no such email' });
        else if (!meta.mailboxIds.every((m) => hasAll(grants.get(m), 'te'))) notDestroyed.push({ id, type: 'forbidden', description: needs[0]!.why });
        else {
          basis.add(meta, reader, needs);
          allowed.push(id);
        }
      }
      const result = await this.writes.destroyEmails(owner, basis.done(), allowed, stripState(options));
      const d = STATE_SEPARATOR + SharedAccountView.digest(grants);
      return { ...result, notDestroyed: [...notDestroyed, ...result.notDestroyed], oldState: result.oldState + d, newState: result.newState + d };
    });
  }

  /**
   * Runs a write planned on the rights read before it; the engine verifies that plan's basis in the
   * write's own transaction, and when a rights or membership change came in between (RightsChangedError,
   * nothing written), the write is planned again on the new rights.
   */
  private async planned<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof RightsChangedError)) throw err;
        if (n >= PLAN_ATTEMPTS) throw new StoreUnavailableError('the rights kept changing during the write; retry', { cause: err });
      }
    }
  }
}

/** Plans made again after a rights change raced the write, before the call gives up. */
const PLAN_ATTEMPTS = 3;

/**
 * What a write on a shared account was decided on: the rights it needs per mailbox, and the mailboxes
 * each email was in when they were chosen. The engine checks both again inside the write's own
 * transaction (basisProblem), so a SETACL or a move committed after the plan either precedes the
 * write (which then fails with RightsChangedError and is planned again) or follows it.
 */
export interface WriteBasis {
  /** Mailbox id → every right the write needs there. */
  readonly rights: ReadonlyMap<string, string>;
  /** Email id → the mailboxes it was in. */
  readonly memberships: ReadonlyMap<string, readonly string[]>;
}

/** The engine's email writes that verify a basis inside their own transaction. */
export interface BasisWrites {
  updateEmails(owner: string, basis: WriteBasis, updates: S.EmailUpdate[], options?: S.WriteOptions & { ifInState?: string }): Promise<S.EmailUpdateResult>;
  destroyEmails(owner: string, basis: WriteBasis, emailIds: string[], options?: S.WriteOptions & { ifInState?: string }): Promise<S.DestroyResult>;
}

/** A basis no longer holds: the transaction is rolled back and the write planned again. */
export class RightsChangedError extends Error {
  override readonly name = 'RightsChangedError';
}

/**
 * Throws RightsChangedError unless the current rights (mailbox id → the actor's rights now) and
 * memberships (email id → its mailboxes now), as the engine read them in its transaction, still
 * satisfy the basis.
 */
export function checkBasis(basis: WriteBasis, rights: ReadonlyMap<string, string>, memberships: ReadonlyMap<string, readonly string[]>): void {
  for (const [mailboxId, needed] of basis.rights) {
    if (!hasAll(rights.get(mailboxId), needed)) throw new RightsChangedError(`rights on ${mailboxId} changed`);
  }
  for (const [emailId, planned] of basis.memberships) {
    const now = memberships.get(emailId) ?? [];
    if (now.length !== planned.length || !now.every((m) => planned.includes(m))) throw new RightsChangedError(`mailboxes of ${emailId} changed`);
  }
}

interface Need {
  mailboxIds: readonly string[];
  rights: string;
  why: string;
}

class BasisBuilder {
  private readonly rights = new Map<string, string>();
  private readonly memberships = new Map<string, readonly string[]>();

  add(meta: S.EmailMeta, reader: string, needs: readonly Need[]): void {
    this.memberships.set(meta.id, meta.mailboxIds);
    this.need(reader, 'r');
    for (const n of needs) for (const m of n.mailboxIds) this.need(m, n.rights);
  }

  private need(mailboxId: string, rights: string): void {
    const held = this.rights.get(mailboxId) ?? '';
    this.rights.set(mailboxId, held + [...rights].filter((r) => !held.includes(r)).join(''));
  }

  done(): WriteBasis {
    return { rights: this.rights, memberships: this.memberships };
  }
}

/** The mailbox of the email that lets the actor read it ("r"), if any. */
function readerOf(grants: Grants, mailboxIds: readonly string[]): string | undefined {
  return mailboxIds.find((id) => grants.get(id)?.includes('r') === true);
}

function hasAll(held: string | undefined, needed: string): boolean {
  return held !== undefined && [...needed].every((r) => held.includes(r));
}

/** ifInState as the client saw it carries the grants digest; the store compares its own part. */
function stripState<T extends { ifInState?: string }>(options: T | undefined): T | undefined {
  if (options?.ifInState === undefined) return options;
  const cut = options.ifInState.lastIndexOf(STATE_SEPARATOR);
  return { ...options, ifInState: cut < 0 ? options.ifInState : options.ifInState.slice(0, cut) };
}

/** The rights a keywords and mailboxIds change needs (RFC 4314 §4), mailbox by mailbox. */
function updateNeeds(meta: S.EmailMeta, u: S.EmailUpdate): Need[] {
  const needs: Need[] = [];
  if (u.keywords !== undefined) {
    const changed = 'set' in u.keywords ? symmetricDifference(meta.keywords, u.keywords.set) : [...(u.keywords.add ?? []), ...(u.keywords.remove ?? [])];
    const needed = rightsForFlags(changed);
    // Keywords are shared by every mailbox of the email.
    if (needed !== '') needs.push({ mailboxIds: meta.mailboxIds, rights: needed, why: `the "${needed}" rights are needed on every mailbox of the email` });
  }
  if (u.mailboxIds !== undefined) {
    const patch = u.mailboxIds;
    const added = 'set' in patch ? patch.set.filter((m) => !meta.mailboxIds.includes(m)) : patch.add ?? [];
    const removed = 'set' in patch ? meta.mailboxIds.filter((m) => !patch.set.includes(m)) : patch.remove ?? [];
    needs.push({ mailboxIds: added, rights: 'i', why: 'the "i" right is needed on every mailbox the email is added to' });
    needs.push({ mailboxIds: removed, rights: 'te', why: 'the "t" and "e" rights are needed on every mailbox the email is removed from' });
  }
  return needs;
}

function symmetricDifference(a: readonly string[], b: readonly string[]): string[] {
  const sa = new Set(a.map((k) => k.toLowerCase()));
  const sb = new Set(b.map((k) => k.toLowerCase()));
  return [...[...sa].filter((k) => !sb.has(k)), ...[...sb].filter((k) => !sa.has(k))];
}

/**
 * The inputs with any `of` a caller set on a stored blob removed: only the rights-checked view names
 * another account's blob (actorSources), after its own check; from a caller it would reach any
 * account's uploads.
 */
export function ownBlobsOnly(inputs: S.AppendInput[]): S.AppendInput[] {
  return inputs.map((input) => (isStoredBlob(input.bytes) && input.bytes.of !== undefined ? { ...input, bytes: { storedBlob: input.bytes.storedBlob } } : input));
}
