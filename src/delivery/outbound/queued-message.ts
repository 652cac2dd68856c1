// A queued message as the outbound worker relays it: read from the store a chunk at a time for each
// transaction (DATA, with nodemailer's dot-stuffing carried across chunk boundaries) and never held
// whole. Only bounded windows are kept: the header block (SMTPUTF8 check, DSN headers), and a small
// message whole for a RET=FULL report.
import { Readable } from 'node:stream';
import type { OutboundQueue } from '../../store/types.js';
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import { readAll, readPrefix } from '../../store/byte-sources.js';
import type { HopMessage } from './smtp-client.js';

/** The largest header block kept (as inbound checks read), and the largest message a DSN returns whole. */
export const QUEUED_WINDOW = 256 * 1024;

/** Bytes buffered ahead of the SMTP connection besides the chunk being read. */
const READ_AHEAD = 64 * 1024;

export interface QueuedMessage extends HopMessage {
  /** The first QUEUED_WINDOW bytes at most: the header block, unless it is longer. */
  head: Buffer;
  /** What a DSN returns: the message whole when `full` and it fits the window, else its header part. */
  original(full: boolean): Promise<{ bytes: Buffer; full: boolean }>;
}

/** The queued message `id`, or null when its bytes are missing. */
export async function openQueued(store: OutboundQueue, id: string): Promise<QueuedMessage | null> {
  const first = await store.openOutbound(id);
  if (first === null) return null;
  const size = first.size;
  const head = await readPrefix(first, QUEUED_WINDOW);
  const open = async (): Promise<ByteSource> => {
    const source = await store.openOutbound(id);
    if (source === null) throw new BytesGoneError(id);
    return source;
  };
  return {
    size,
    head,
    // Opened only when nodemailer reads it (after RCPT), so a refused envelope reads nothing.
    stream: () => Readable.from(chunksOf(open), { objectMode: false, highWaterMark: READ_AHEAD }),
    async original(full) {
      if (!full || size > QUEUED_WINDOW) return { bytes: head, full: false };
      return { bytes: size <= head.length ? head : await readAll(await open()), full: true };
    },
  };
}

async function* chunksOf(open: () => Promise<ByteSource>): AsyncGenerator<Buffer> {
  yield* (await open()).chunks();
}
