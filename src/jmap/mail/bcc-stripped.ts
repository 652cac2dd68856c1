// The email an EmailSubmission sends: the stored message without its Bcc header fields (RFC 5322
// §3.6.3: a Bcc field must not reach the To/Cc recipients), copied into a spool file a chunk at a
// time with those fields' byte ranges left out, so a large email is never held whole. Only the first
// HEAD_WINDOW bytes are read whole, to find the fields in the header block.
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import { readPrefix } from '../../store/byte-sources.js';
import { keptParts, type OmittedRanges, type SpoolDir, type SpooledMessage } from '../../store/index.js';

/** The header window searched for Bcc fields (a header block longer than this keeps later ones). */
export const HEAD_WINDOW = 256 * 1024;

/** Byte ranges of the Bcc fields (with their continuation lines and line end) in the header block. */
export function bccRanges(head: Buffer): OmittedRanges {
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end < 0 ? text : text.slice(0, end);
  const ranges: Array<{ start: number; end: number }> = [];
  // latin1: one character per byte, so string offsets are byte offsets.
  for (const m of block.matchAll(/^Bcc:.*(?:\r?\n[ \t].*)*(?:\r?\n|$)/gim)) ranges.push({ start: m.index, end: m.index + m[0].length });
  return ranges;
}

/**
 * Runs `use` with the email (opened by `open`) spooled without its Bcc fields; null when there is no
 * such email. The spool file is removed afterwards unless the store took it.
 */
export async function withBccStripped<T>(spool: SpoolDir, open: () => Promise<ByteSource | null>, use: (message: SpooledMessage) => Promise<T>): Promise<T | null> {
  const first = await open();
  if (first === null) return null;
  const omit = bccRanges(await readPrefix(first, HEAD_WINDOW));
  const source = await open();
  if (source === null) throw new BytesGoneError('submitted email');
  const message = spool.message(source.size);
  try {
    let offset = 0;
    for await (const chunk of source.chunks()) {
      for (const part of keptParts(chunk, offset, omit)) await message.append(part);
      offset += chunk.length;
    }
    return await use(await message.finish());
  } finally {
    await message.discard();
  }
}
