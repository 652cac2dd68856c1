// RENAMESCRIPT old new (RFC 5804 §2.11.1): NO (NONEXISTENT) / NO (ALREADYEXISTS); the active script
// stays active under its new name.
import { ok } from '../proto/response.js';
import { expectStrings, scriptName } from './arguments.js';
import { withStore } from './store-errors.js';
import type { Command } from './types.js';

export const renamescript: Command = {
  authenticated: true,
  async run(s, args) {
    if (!expectStrings(s, args, 2, 'RENAMESCRIPT old-name new-name')) return;
    const oldName = scriptName(s, args[0]);
    if (oldName === undefined) return;
    const newName = scriptName(s, args[1]);
    if (newName === undefined) return;
    const user = s.principal!.user;
    await withStore((r) => s.send(r), async () => {
      await s.deps.store.renameSieveScript(user, oldName, newName, { origin: s.id });
      return ok('Renamescript completed');
    });
  },
};
