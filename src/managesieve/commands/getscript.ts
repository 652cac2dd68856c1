// GETSCRIPT name (RFC 5804 §2.9): the script as a literal, then OK.
import { no, ok } from '../proto/response.js';
import { expectStrings, scriptName } from './arguments.js';
import { withStore } from './store-errors.js';
import type { Command } from './types.js';

export const getscript: Command = {
  authenticated: true,
  async run(s, args) {
    if (!expectStrings(s, args, 1, 'GETSCRIPT name')) return;
    const name = scriptName(s, args[0]);
    if (name === undefined) return;
    await withStore((r) => s.send(r), async () => {
      const script = await s.deps.store.getSieveScript(s.principal!.user, name);
      if (!script) return no('There is no script by that name', 'NONEXISTENT');
      // Always a literal (RFC 5804 §2.9 example), whatever the content.
      return `{${Buffer.byteLength(script.content, 'utf8')}}\r\n${script.content}\r\n` + ok('Getscript completed');
    });
  },
};
