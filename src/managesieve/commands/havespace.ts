// HAVESPACE name size (RFC 5804 §2.5): whether a script of that size could be stored under that name,
// from the same limits PUTSCRIPT is checked against (a replaced script does not count as one more).
import { no, ok } from '../proto/response.js';
import { scriptName } from './arguments.js';
import { withStore } from './store-errors.js';
import type { Command } from './types.js';

export const havespace: Command = {
  authenticated: true,
  async run(s, args) {
    const [nameArg, sizeArg] = args;
    if (args.length !== 2 || nameArg?.kind !== 'string' || sizeArg?.kind !== 'number') return s.send(no('Syntax: HAVESPACE name size'));
    const name = scriptName(s, nameArg);
    if (name === undefined) return;
    const { maxScripts, maxSize } = s.scriptLimits;
    if (maxSize > 0 && sizeArg.value > maxSize) return s.send(no(`Script too large (at most ${maxSize} octets)`, 'QUOTA/MAXSIZE'));
    const user = s.principal!.user;
    await withStore((r) => s.send(r), async () => {
      const scripts = await s.deps.store.listSieveScripts(user);
      const isNew = !scripts.some((x) => x.name === name);
      if (isNew && maxScripts > 0 && scripts.length >= maxScripts) return no(`Too many scripts (at most ${maxScripts})`, 'QUOTA/MAXSCRIPTS');
      return ok('Putscript would succeed');
    });
  },
};
