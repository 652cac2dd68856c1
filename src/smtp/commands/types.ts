// Every command handler has this shape: it reads the session, queues replies, may switch input mode.
import type { SmtpSession } from '../session.js';

export type CommandHandler = (session: SmtpSession, args: string) => void | Promise<void>;
