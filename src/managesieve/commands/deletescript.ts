// DELETESCRIPT name (RFC 5804 §2.10): NO (ACTIVE) for the active script, NO (NONEXISTENT) for none.
import { ok } from '../proto/response.js';
import { expectStrings, scriptName } from './arguments.js';
import { withStore } from './store-errors.js';
import type { Command } from './types.js';

export const deletescript: Command = {
  authenticated: true,
  async run(s, args) {
    if (!expectStrings(s, args, 1, 'DELETESCRIPT name')) return;
    const name = scriptName(s, args[0]);
    if (name === undefined) return;
    const user = s.principal!.user;
    await withStore((r) => s.send(r), async () => {
      await s.deps.store.deleteSieveScript(user, name, { origin: s.id });
      s.log.info({ user, script: name }, 'sieve script deleted');
      return ok('Deletescript completed');
    });
  },
};
