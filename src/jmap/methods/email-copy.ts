// Email/copy (RFC 8621 §4.7, RFC 8620 §5.4): emails of one account copied into another the caller
// reaches (their own and the accounts shared with them, in either direction or between two owners).
// An email belongs to one account, so a copy is the message read from the source and appended to the
// target: the caller's rights-checked store view refuses an email they may not read in the source
// ("r" on a mailbox holding it: otherwise notFound, exactly as a missing one) and a target mailbox
// without "i" (forbidden); of the source's keywords only those the caller may set there are kept.
// onSuccessDestroyOriginal then destroys the copied originals by an implicit Email/set on the source
// account, which needs "t" and "e" on every mailbox of each (RFC 4314 §4, as Email/set destroy).
// Every copy is a new message, never a duplicate of an existing one, so alreadyExists is never due.
import { CAP_MAIL } from '../capabilities.js';
import { MethodError, setError } from '../errors.js';
import type { JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import { readAccount, invalid, optBool, optObject, optString, parseUtcDate, resolveId } from './args.js';
import { createAll, orNull, storeState } from './set-engine.js';
import type { SetPropertyRules } from './set-properties.js';
import { checkIfInState } from './set-request.js';
import { defineMethod } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { appendCreated, emailSet, readKeywords, readMailboxIds } from './email-set.js';
import { hasRights, rightsForFlags } from '../../store/types.js';
import { withSpooled } from '../mail/spool-source.js';

/** RFC 8621 §4.7: the source's id, plus mailboxIds, keywords and receivedAt to override. */
const COPY_RULES: SetPropertyRules = { serverSet: [], immutable: [], mutable: ['id', 'mailboxIds', 'keywords', 'receivedAt'] };

interface CopyPlan {
  sourceId: string;
  mailboxIds: string[];
  keywords: string[] | undefined;
  receivedAt: Date | undefined;
}

async function emailCopy(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const from = readAccount(args, ctx, 'fromAccountId');
  const account = readAccount(args, ctx);
  // RFC 8620 §5.4: "This MUST be different to the accountId"; within one account Email/set adds mailboxes.
  if (from.id === account.id) throw invalid('fromAccountId and accountId must differ; use Email/set to add mailboxes');
  const ifFromInState = optString(args, 'ifFromInState') ?? null;
  const ifInState = optString(args, 'ifInState') ?? null;
  const destroyOriginal = optBool(args, 'onSuccessDestroyOriginal', false);
  const destroyFromIfInState = optString(args, 'destroyFromIfInState');
  const create = optObject(args, 'create');
  if (create === undefined) throw invalid('"create" is required');
  if (Object.keys(create).length > deps.limits.maxObjectsInSet) throw new MethodError('requestTooLarge', `at most ${deps.limits.maxObjectsInSet} objects per /copy`);

  const store = deps.store;
  checkIfInState(ifFromInState, (await store.getStates(from.name)).Email);
  const { oldState, newState } = await storeState(store, account.name, 'Email');
  checkIfInState(ifInState, oldState);

  const copiedFrom: string[] = [];
  const result = await createAll(create, COPY_RULES, ctx, {
    prepare: (raw, _cid, errors): CopyPlan => {
      const sourceId = typeof raw.id === 'string' ? resolveId(raw.id, ctx) : undefined;
      if (sourceId === undefined) errors.add(['id'], 'id (the email to copy) is required');
      const mailboxIds = errors.read(() => readMailboxIds(raw.mailboxIds, ctx));
      const keywords = raw.keywords === undefined ? undefined : errors.read(() => readKeywords(raw.keywords));
      let receivedAt: Date | undefined;
      try {
        receivedAt = parseUtcDate(raw.receivedAt, 'receivedAt');
      } catch {
        errors.add(['receivedAt'], 'bad receivedAt');
      }
      errors.check();
      if (sourceId === undefined || mailboxIds === undefined) throw setError('invalidProperties');
      return { sourceId, mailboxIds, keywords, receivedAt };
    },
    commit: async (plan: CopyPlan) => {
      // Both reads go through the caller's view: an email they may not read is simply not there.
      const [meta] = await store.getEmails(from.name, [plan.sourceId]);
      const source = meta === undefined ? null : await store.openMessage(from.name, plan.sourceId);
      if (meta === undefined || source === null) throw setError('notFound', `no email ${plan.sourceId} in account ${from.id}`);
      const keywords = plan.keywords ?? (await keywordsAllowed(deps, ctx, account.name, plan.mailboxIds, meta.keywords));
      // Another account's blob is not the target's to reference: the copy goes through a spool file.
      const out = await withSpooled(deps.spool, source, (bytes) =>
        appendCreated(deps, account.name, { mailboxIds: plan.mailboxIds, keywords, bytes, receivedAt: plan.receivedAt ?? meta.receivedAt }),
      );
      copiedFrom.push(plan.sourceId);
      return out;
    },
  });
  const state = await newState(Object.keys(result.created).length > 0);
  const outputs: MethodOutput = [
    ['Email/copy', { fromAccountId: from.id, accountId: account.id, oldState, newState: state, created: orNull(result.created), notCreated: orNull(result.notCreated) }],
  ];
  // RFC 8620 §5.4: the originals are destroyed by an implicit Foo/set, answered after the /copy.
  if (destroyOriginal && copiedFrom.length > 0) {
    try {
      outputs.push(...(await emailSet(deps, { accountId: from.id, ifInState: destroyFromIfInState ?? null, destroy: copiedFrom }, ctx)));
    } catch (err) {
      if (!(err instanceof MethodError)) throw err;
      outputs.push(['error', err.toJSON() as JsonObject]);
    }
  }
  return outputs;
}

/**
 * The source's keywords the caller may set in every target mailbox: as IMAP COPY into a shared
 * mailbox, which needs only "i", the others are dropped (RFC 4314 §4). Keywords the client names
 * itself are its request, refused as a whole (forbidden) when not allowed.
 */
async function keywordsAllowed(deps: MailMethodDeps, ctx: MethodContext, owner: string, mailboxIds: readonly string[], keywords: readonly string[]): Promise<string[]> {
  const rights = await Promise.all(mailboxIds.map((m) => deps.store.myRights({ user: ctx.principal.user }, owner, m)));
  return keywords.filter((k) => rights.every((r) => hasRights(r, rightsForFlags([k]))));
}

export function emailCopyMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  return [['Email/copy', defineMethod(CAP_MAIL, deps, emailCopy)]];
}
