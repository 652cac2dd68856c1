// Blob/lookup (RFC 9404 §4.3): which Mailboxes, Threads and Emails reference each blob. An email
// references its message blob and the blob of every MIME part; a thread and a mailbox reference
// what their emails reference. A blob the account cannot read is notFound; one it can read that
// nothing references (an upload) gets empty lists.
import { BLOB_LOOKUP_TYPES, CAP_MAIL } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { JsonObject, MethodContext, MethodOutput } from '../core/types.js';
import { readAccount, readIds, readStringList } from './args.js';
import type { MailMethodDeps } from './deps.js';
import { parsePartBlobId } from '../mail/blob-ids.js';
import { openBlob } from '../mail/blob-source.js';

type LookupType = (typeof BLOB_LOOKUP_TYPES)[number];

function readTypeNames(args: JsonObject, ctx: MethodContext): LookupType[] {
  const names = readStringList(args, 'typeNames') ?? [];
  for (const name of names) {
    // "If a type name is not known by the server, or the associated capability has not been
    // requested, then the server returns an unknownDataType error."
    if (!(BLOB_LOOKUP_TYPES as readonly string[]).includes(name) || !ctx.using.has(CAP_MAIL)) {
      throw new MethodError('unknownDataType', `cannot look up blobs in ${name}${ctx.using.has(CAP_MAIL) ? '' : ` without ${CAP_MAIL}`}`);
    }
  }
  return names as LookupType[];
}

/** The account's emails referencing `blobId`: its message, or (a part blob id) the email it is part of. */
async function referencingEmails(deps: MailMethodDeps, account: string, blobId: string): Promise<string[]> {
  const part = parsePartBlobId(blobId);
  if (part === undefined) return deps.store.emailsWithBlob(account, blobId);
  // openBlob found the part, so an email of the account holds it; "~" names a blob not (yet) an email.
  return part.emailId.startsWith('~') ? [] : [part.emailId];
}

export async function blobLookup(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const typeNames = readTypeNames(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet) ?? [];
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    if ((await openBlob(deps.store, account.name, id, deps.spool.dir)) === null) {
      notFound.push(id);
      continue;
    }
    const emails = await deps.store.getEmails(account.name, await referencingEmails(deps, account.name, id));
    const matched: Record<LookupType, string[]> = {
      Email: emails.map((e) => e.id),
      Thread: [...new Set(emails.map((e) => e.threadId))],
      Mailbox: [...new Set(emails.flatMap((e) => e.mailboxIds))],
    };
    list.push({ id, matchedIds: Object.fromEntries(typeNames.map((t) => [t, matched[t]])) });
  }
  return [['Blob/lookup', { accountId: account.id, list, notFound }]];
}
