// SETACTIVE name (RFC 5804 §2.8): makes the script the one delivery runs; "" deactivates scripting.
import { ok } from '../proto/response.js';
import { utf8 } from '../proto/tokens.js';
import { expectStrings, scriptName } from './arguments.js';
import { withStore } from './store-errors.js';
import type { Command } from './types.js';

export const setactive: Command = {
  authenticated: true,
  async run(s, args) {
    if (!expectStrings(s, args, 1, 'SETACTIVE name')) return;
    const empty = utf8(args[0]) === '';
    const name = empty ? null : scriptName(s, args[0]);
    if (name === undefined) return;
    const user = s.principal!.user;
    await withStore((r) => s.send(r), async () => {
      await s.deps.store.setActiveSieveScript(user, name, { origin: s.id });
      s.log.info({ user, script: name }, name === null ? 'sieve scripts deactivated' : 'sieve script activated');
      return ok(name === null ? 'No script is active' : 'Setactive completed');
    });
  },
};
