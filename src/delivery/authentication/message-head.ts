// The header block of a message about to be signed or verified, read without reading the body: at
// most HEAD_LIMIT bytes of a spool file. mailauth keeps a message's header block in memory (and
// streams the body through its hashes), so this limit is also what bounds its memory per message.
import type { SpooledMessage } from '../../store/types.js';
import { headerFieldSpans, type HeaderFieldSpan } from '../../mime/headers.js';
import { parseAddresses } from '../../mime/addresses.js';
import { unfold } from '../../mime/headers.js';

/** The largest header block signed or verified (as the SMTP From: check reads). */
export const HEAD_LIMIT = 256 * 1024;

export interface MessageHead {
  fields: HeaderFieldSpan[];
  /** The whole header block was within HEAD_LIMIT. */
  complete: boolean;
}

export async function readHead(bytes: Buffer | SpooledMessage): Promise<MessageHead> {
  const size = Buffer.isBuffer(bytes) ? bytes.length : bytes.size;
  const head = Buffer.isBuffer(bytes) ? bytes.subarray(0, HEAD_LIMIT) : await bytes.head(HEAD_LIMIT);
  const bin = head.toString('latin1');
  const { fields, bodyStart } = headerFieldSpans(bin, 0, bin.length);
  // The block ended inside what was read (an empty line), or the message is no longer than that.
  const complete = size <= HEAD_LIMIT || bodyStart < bin.length;
  return { fields, complete };
}

/** The domain of the first From: mailbox (lower-cased), if any. */
export function fromDomain(head: MessageHead): string | undefined {
  const from = head.fields.find((f) => f.name.toLowerCase() === 'from');
  if (!from) return undefined;
  for (const item of parseAddresses(unfold(from.value))) {
    const mb = item.kind === 'mailbox' ? item.mailbox : item.members[0];
    if (mb?.domain) return mb.domain.toLowerCase();
  }
  return undefined;
}

/** The message as a stream for mailauth (spool file) or as is (memory). */
export function messageInput(bytes: Buffer | SpooledMessage): Buffer | NodeJS.ReadableStream {
  return Buffer.isBuffer(bytes) ? bytes : bytes.stream();
}
