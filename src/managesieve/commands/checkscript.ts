// CHECKSCRIPT content (RFC 5804 §2.12): the same checks as PUTSCRIPT, nothing stored.
import { no, ok } from '../proto/response.js';
import { checkScript } from './script-check.js';
import type { Command } from './types.js';

export const checkscript: Command = {
  authenticated: true,
  run(s, args) {
    const [content] = args;
    if (args.length !== 1 || content?.kind !== 'string') return s.send(no('Syntax: CHECKSCRIPT script'));
    if (checkScript(s, content) !== undefined) s.send(ok('Script is valid'));
  },
};
