// The id that ties together the log lines of one connection (IMAP, SMTP, POP3) or JMAP request: the
// `session` member of a per-connection pino child logger, also carried by the login's audit line.
// Random rather than a counter, so ids from several nodes (or restarts) writing to one log never meet.
// Every accepted connection takes one, attackers' included: the random bytes come from the pool of
// core/random-pool, since a randomBytes() call per id cost more (13 µs under load) than the rest of the
// id and a sizeable share of what accepting a connection costs.
import { randomId } from '../core/random-pool.js';

export function newSessionId(): string {
  return randomId(6, 'hex');
}
