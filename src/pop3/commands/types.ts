// Every command handler has this shape: it reads the session, queues responses, may switch mode.
import type { ParsedCommand } from '../proto/command.js';
import { err } from '../proto/response.js';
import type { Pop3Session } from '../session.js';

export type Command = Extract<ParsedCommand, { ok: true }>;
export type CommandHandler = (session: Pop3Session, command: Command) => void | Promise<void>;

/** Wraps a TRANSACTION-state handler: refused before login, given the open maildrop after. */
export function inTransaction(handler: (session: Pop3Session, command: Command, drop: NonNullable<Pop3Session['maildrop']>) => void | Promise<void>): CommandHandler {
  return (s, c) => {
    if (!s.maildrop) return s.send(err(`${c.verb} is only valid after login`));
    return handler(s, c, s.maildrop);
  };
}
