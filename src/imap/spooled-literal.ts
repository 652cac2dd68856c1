// APPEND literals that went to a spool file as they arrived (./literal-spool.ts): finishing them for
// the store, and the one case that must read such a literal whole, a literal8 carrying NUL bytes.
import type { SpooledMessage } from '../store/index.js';
import { IncomingMessage, sharedIngestGate } from '../store/index.js';
import type { LiteralSink } from './proto/framer.js';
import { ImapNoError } from './proto/errors.js';
import { encodeBinaryParts } from './binary-append.js';
import type { ImapSession } from './session.js';

/** The spool writer behind a literal sink: the only sinks IMAP installs (./literal-spool.ts). */
export function spoolWriterOf(sink: LiteralSink): IncomingMessage {
  if (!(sink instanceof IncomingMessage)) throw new TypeError('literal sink is not a spool writer');
  return sink;
}

/** The finished spool file of a literal; NO [UNAVAILABLE] when it could not be written (disk full). */
export async function finishLiteral(s: ImapSession, message: IncomingMessage, durable = true): Promise<SpooledMessage> {
  try {
    return await message.finish({ durable });
  } catch (err) {
    s.logger.error({ err }, 'spooling an APPEND literal failed');
    throw new ImapNoError('Could not stage the message, try again later', 'UNAVAILABLE');
  }
}

/**
 * A spooled literal8 with NUL bytes, its NUL-carrying parts re-encoded as base64 (see
 * ./binary-append.ts) into a new spool file. Re-encoding needs the whole message in memory, so it
 * runs inside the process-wide ingest budget, like the store's own parsing.
 */
export async function encodeSpooledBinary(s: ImapSession, literal: SpooledMessage): Promise<SpooledMessage> {
  const release = await sharedIngestGate.admit(literal.size * 2);
  const out = s.spool.message(0);
  try {
    await out.append(encodeBinaryParts(await literal.read()));
    return await out.finish();
  } catch (err) {
    await out.discard();
    throw err;
  } finally {
    release();
  }
}
