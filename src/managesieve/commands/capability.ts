// CAPABILITY (RFC 5804 §2.4): the listing for this connection's state, then OK.
import { no, ok } from '../proto/response.js';
import type { Command } from './types.js';

export const capability: Command = {
  run(s, args) {
    if (args.length !== 0) return s.send(no('Syntax: CAPABILITY'));
    s.send(s.capabilities() + ok('Capability completed'));
  },
};
