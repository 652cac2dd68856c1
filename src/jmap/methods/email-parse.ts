// Email/parse (RFC 8621 §4.9): the Email view of blobs that are no email of the account (uploads,
// attachments of type message/rfc822). A blob is never held whole: its structure is parsed through
// the store's scratch-file parser (analyseSource: in memory only up to the parser's 256 KiB window),
// and body values are read a range of the blob at a time, as they are for stored emails.
import { invalid, optBool, optInt, readAccount, readIds, readProperties } from './args.js';
import { orNull } from './set-engine.js';
import type { MailMethodDeps } from './deps.js';
import type { JsonObject, MethodContext, MethodOutput } from '../core/types.js';
import type { EmailMeta } from '../../store/types.js';
import type { ByteSource } from '../../store/api/byte-source.js';
import { analyseSource } from '../../store/scratch-parse.js';
import { openBlob } from '../mail/blob-source.js';
import { BODY_PART_PROPERTIES, DEFAULT_BODY_PROPERTIES } from '../mail/body-structure.js';
import { emailView, isEmailProperty, METADATA_PROPERTIES } from '../mail/email-view.js';
import { blobPartReader, needsBodyValues, readBodyValues, type BodyValueOptions } from '../mail/body-values.js';
import { parseHeaderProperty } from '../mail/header-forms.js';

export const PARSE_DEFAULTS = [
  'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment',
  'preview', 'bodyValues', 'textBody', 'htmlBody', 'attachments',
];

export async function emailParse(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const blobIds = readIds(args, ctx, deps.limits.maxObjectsInGet, 'blobIds');
  if (blobIds === null) throw invalid('"blobIds" is required');
  const properties = readProperties(args, 'properties', isEmailProperty, PARSE_DEFAULTS);
  const bodyProperties = readProperties(args, 'bodyProperties', (p) => BODY_PART_PROPERTIES.has(p) || parseHeaderProperty(p) !== undefined, DEFAULT_BODY_PROPERTIES);
  const opts: BodyValueOptions = {
    fetchTextBodyValues: optBool(args, 'fetchTextBodyValues', false),
    fetchHTMLBodyValues: optBool(args, 'fetchHTMLBodyValues', false),
    fetchAllBodyValues: optBool(args, 'fetchAllBodyValues', false),
    maxBodyValueBytes: optInt(args, 'maxBodyValueBytes', { min: 0 }) ?? 0,
  };
  const parsed: JsonObject = {};
  const notParsable: string[] = [];
  const notFound: string[] = [];
  for (const blobId of blobIds) {
    // Any blob id: an upload, a message, or a part of one (decoded as it is read).
    const blob = await openBlob(deps.store, account.name, blobId, deps.spool.dir);
    const whole: ByteSource | null = blob && { size: blob.size, chunks: () => blob.slices(0, blob.size) };
    const analysis = whole && (await analyseSource(whole, deps.spool.dir));
    if (blob === null || analysis === null) {
      notFound.push(blobId);
      continue;
    }
    if (analysis.parsed.headers.length === 0) {
      notParsable.push(blobId);
      continue;
    }
    const meta: EmailMeta = {
      id: `~${blobId}`, blobId, threadId: '', size: blob.size, receivedAt: new Date(), keywords: [], mailboxIds: [], parsed: analysis.parsed,
    };
    const values = needsBodyValues(properties, opts) ? await readBodyValues(analysis.parsed, opts, blobPartReader(blob)) : null;
    const view = emailView(meta, properties, bodyProperties, values);
    // Not an email of the account: the per-email metadata is null (RFC 8621 §4.9).
    view.id = null;
    for (const p of METADATA_PROPERTIES) if (p !== 'blobId' && p !== 'size' && p !== 'id' && p in view) view[p] = null;
    if (!properties.includes('id')) delete view.id;
    parsed[blobId] = view;
  }
  // RFC 8621 §4.9: each of the three is null if none.
  return [['Email/parse', { accountId: account.id, parsed: orNull(parsed), notParsable: orNull(notParsable), notFound: orNull(notFound) }]];
}
