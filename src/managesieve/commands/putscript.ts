// PUTSCRIPT name content (RFC 5804 §2.6): compiled first, so a script with errors is never stored;
// then stored within the account's limits (QUOTA/MAXSIZE, QUOTA/MAXSCRIPTS).
import { no, ok } from '../proto/response.js';
import { scriptName } from './arguments.js';
import { checkScript } from './script-check.js';
import { withStore } from './store-errors.js';
import type { Command } from './types.js';

export const putscript: Command = {
  authenticated: true,
  async run(s, args) {
    const [nameArg, content] = args;
    if (args.length !== 2 || nameArg?.kind !== 'string' || content?.kind !== 'string') return s.send(no('Syntax: PUTSCRIPT name script'));
    const name = scriptName(s, nameArg);
    if (name === undefined) return;
    const text = checkScript(s, content);
    if (text === undefined) return;
    const user = s.principal!.user;
    await withStore((r) => s.send(r), async () => {
      await s.deps.store.putSieveScript(user, name, text, { limits: s.scriptLimits, origin: s.id });
      s.log.info({ user, script: name, size: Buffer.byteLength(text) }, 'sieve script stored');
      return ok('Putscript completed');
    });
  },
};
