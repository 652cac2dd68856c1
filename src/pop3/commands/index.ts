// Verb → handler. Every verb the parser knows has an entry, so nothing falls through unanswered.
import type { Verb } from '../proto/command.js';
import { auth, pass, user } from './auth.js';
import { capa } from './capa.js';
import { list, stat, uidl } from './listing.js';
import { dele, noop, rset } from './marks.js';
import { quit } from './quit.js';
import { retr, top } from './retrieve.js';
import { stls } from './stls.js';
import type { CommandHandler } from './types.js';

export const COMMANDS: Record<Verb, CommandHandler> = {
  USER: user,
  PASS: pass,
  AUTH: auth,
  CAPA: capa,
  STLS: stls,
  QUIT: quit,
  STAT: stat,
  LIST: list,
  UIDL: uidl,
  RETR: retr,
  TOP: top,
  DELE: dele,
  RSET: rset,
  NOOP: noop,
};
