// The id that ties together the log lines of one connection (IMAP, SMTP, POP3) or JMAP request: the
// `session` member of a per-connection pino child logger, also carried by the login's audit line.
// Random rather than a counter, so ids from several nodes (or restarts) writing to one log never meet.
import { randomBytes } from 'node:crypto';

export function newSessionId(): string {
  return randomBytes(6).toString('hex');
}
