// Command name → handler. A name not listed is answered NO "Unknown command" by the session.
import { authenticate } from './authenticate.js';
import { capability } from './capability.js';
import { checkscript } from './checkscript.js';
import { deletescript } from './deletescript.js';
import { getscript } from './getscript.js';
import { havespace } from './havespace.js';
import { listscripts } from './listscripts.js';
import { logout } from './logout.js';
import { noop } from './noop.js';
import { putscript } from './putscript.js';
import { renamescript } from './renamescript.js';
import { setactive } from './setactive.js';
import { starttls } from './starttls.js';
import type { Command } from './types.js';
import { unauthenticate } from './unauthenticate.js';

export const COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['CAPABILITY', capability],
  ['STARTTLS', starttls],
  ['AUTHENTICATE', authenticate],
  ['LOGOUT', logout],
  ['HAVESPACE', havespace],
  ['PUTSCRIPT', putscript],
  ['LISTSCRIPTS', listscripts],
  ['SETACTIVE', setactive],
  ['GETSCRIPT', getscript],
  ['DELETESCRIPT', deletescript],
  ['RENAMESCRIPT', renamescript],
  ['CHECKSCRIPT', checkscript],
  ['NOOP', noop],
  ['UNAUTHENTICATE', unauthenticate],
]);
