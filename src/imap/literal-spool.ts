// Which literals go to a spool file as they arrive, after login: APPEND's and REPLACE's (RFC 8508)
// message data (plain, MULTIAPPEND, CATENATE TEXT parts, literal8). Small ones stay in memory, as every other literal does,
// while the command holds at most HELD_PER_COMMAND of them: a MULTIAPPEND of many small messages is
// spooled past that, so what one command makes the server hold stays bounded whatever it sends.
// The mailbox name (APPEND's first argument) is never spooled: it is parsed as text.
import type { LiteralSinkFactory } from './proto/framer.js';
import type { SpoolDir } from '../store/index.js';

/** A literal up to this size may stay in memory. */
export const IN_MEMORY_LITERAL = 64 * 1024;
/** In-memory literal bytes one command may hold; later literals are spooled whatever their size. */
export const HELD_PER_COMMAND = 256 * 1024;

/** Commands whose literals are message data (a mailbox name too, small enough to stay in memory). */
export const MESSAGE_COMMANDS: ReadonlySet<string> = new Set(['APPEND', 'REPLACE', 'UID REPLACE']);

/** One factory per spool directory, shared by every session of its listener (issue #18: per-session memory). */
const factories = new WeakMap<SpoolDir, LiteralSinkFactory>();

export function appendLiteralSinks(spool: SpoolDir): LiteralSinkFactory {
  let factory = factories.get(spool);
  if (!factory) {
    factory = literalSinksFor(spool);
    factories.set(spool, factory);
  }
  return factory;
}

function literalSinksFor(spool: SpoolDir): LiteralSinkFactory {
  return (literal) => {
    if (!MESSAGE_COMMANDS.has(literal.command) || literal.firstArgument) return undefined;
    if (literal.size <= IN_MEMORY_LITERAL && literal.heldBytes + literal.size <= HELD_PER_COMMAND) return undefined;
    // The announced size is within the literal limit (the framer refused it otherwise), so the
    // writer's limit is the size itself: not one byte more is taken.
    return spool.message(literal.size);
  };
}
