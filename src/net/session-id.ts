// The id that ties together the log lines of one connection (IMAP, SMTP, POP3) or JMAP request: the
// `session` member of a per-connection pino child logger, also carried by the login's audit line.
// Random rather than a counter, so ids from several nodes (or restarts) writing to one log never meet.
// Every accepted connection takes one, attackers' included: the random bytes come from a pool filled
// a thousand ids at a time, since a randomBytes() call per id cost more (13 µs under load) than
// the rest of the id and a sizeable share of what accepting a connection costs.
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 6;
const pool = Buffer.alloc(ID_BYTES * 1024);
/** Where the next id's bytes start; the pool is refilled once it is used up. */
let offset = pool.length;

export function newSessionId(): string {
  if (offset + ID_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
