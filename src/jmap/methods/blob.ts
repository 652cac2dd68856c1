// The Blob methods: Blob/copy (RFC 8620 §6.3, core) and RFC 9404's Blob/upload, Blob/get and
// Blob/lookup (urn:ietf:params:jmap:blob).
import { CAP_BLOB, CAP_CORE } from '../capabilities.js';
import { setError, type SetError } from '../errors.js';
import type { JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import { readAccount, readIds } from './args.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { orNull } from './set-engine.js';
import { openBlob } from '../mail/blob-source.js';
import { blobGet } from './blob-get.js';
import { blobLookup } from './blob-lookup.js';
import { blobUpload } from './blob-upload.js';

/**
 * Blob/copy: a user sees one account, their own, so the only copy possible is within it, where the
 * blob is already readable under the same id. Any other account is fromAccountNotFound /
 * accountNotFound (readAccount); a blob the account cannot read is notCopied with blobNotFound.
 */
async function blobCopy(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const from = readAccount(args, ctx, 'fromAccountId');
  const account = readAccount(args, ctx);
  const blobIds = readIds(args, ctx, deps.limits.maxObjectsInSet, 'blobIds') ?? [];
  const copied: JsonObject = {};
  const notCopied: Record<string, SetError> = {};
  for (const id of blobIds) {
    if ((await openBlob(deps.store, from.name, id, deps.spool.dir)) !== null) copied[id] = id;
    else notCopied[id] = setError('blobNotFound', `no blob ${id} in account ${from.id}`).error;
  }
  return [['Blob/copy', { fromAccountId: from.id, accountId: account.id, copied: orNull(copied), notCopied: orNull(notCopied) }]];
}

export function blobMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (capability: string, h: MailHandler): MethodDefinition => defineMethod(capability, deps, h);
  return [
    ['Blob/copy', def(CAP_CORE, blobCopy)],
    ['Blob/upload', def(CAP_BLOB, blobUpload)],
    ['Blob/get', def(CAP_BLOB, blobGet)],
    ['Blob/lookup', def(CAP_BLOB, blobLookup)],
  ];
}
