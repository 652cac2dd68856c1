// LISTSCRIPTS (RFC 5804 §2.7): one line per script, the active one marked ACTIVE, then OK.
import { no, ok, str } from '../proto/response.js';
import { withStore } from './store-errors.js';
import type { Command } from './types.js';

export const listscripts: Command = {
  authenticated: true,
  async run(s, args) {
    if (args.length !== 0) return s.send(no('Syntax: LISTSCRIPTS'));
    await withStore((r) => s.send(r), async () => {
      const scripts = await s.deps.store.listSieveScripts(s.principal!.user);
      return scripts.map((x) => `${str(x.name)}${x.isActive ? ' ACTIVE' : ''}\r\n`).join('') + ok('Listscripts completed');
    });
  },
};
