// Verb → handler. Every verb the parser knows has an entry, so nothing falls through unanswered.
import type { Verb } from '../proto/command.js';
import type { CommandHandler } from './types.js';
import { helo } from './helo.js';
import { ehlo, lhlo } from './ehlo.js';
import { mail } from './mail.js';
import { rcpt } from './rcpt.js';
import { data } from './data.js';
import { bdat } from './bdat.js';
import { starttls } from './starttls.js';
import { auth } from './auth.js';
import { rset } from './rset.js';
import { noop } from './noop.js';
import { expn, vrfy } from './vrfy.js';
import { help } from './help.js';
import { quit } from './quit.js';

export const COMMANDS: Record<Verb, CommandHandler> = {
  EHLO: ehlo,
  HELO: helo,
  LHLO: lhlo,
  MAIL: mail,
  RCPT: rcpt,
  DATA: data,
  BDAT: bdat,
  RSET: rset,
  NOOP: noop,
  VRFY: vrfy,
  EXPN: expn,
  QUIT: quit,
  STARTTLS: starttls,
  AUTH: auth,
  HELP: help,
};
