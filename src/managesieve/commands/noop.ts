// NOOP [tag] (RFC 5804 §2.11): OK, echoing the tag in a TAG response code when one is given.
import { no, ok, okTagged } from '../proto/response.js';
import { utf8 } from '../proto/tokens.js';
import type { Command } from './types.js';

export const noop: Command = {
  run(s, args) {
    if (args.length === 0) return s.send(ok('Done'));
    const tag = args.length === 1 ? utf8(args[0]) : undefined;
    if (tag === undefined) return s.send(no('Syntax: NOOP [tag]'));
    s.send(okTagged(tag, 'Done'));
  },
};
