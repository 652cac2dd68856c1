// LOGOUT (RFC 5804 §2.3): OK, then the server closes the connection.
import { no, ok } from '../proto/response.js';
import type { Command } from './types.js';

export const logout: Command = {
  run(s, args) {
    if (args.length !== 0) return s.send(no('Syntax: LOGOUT'));
    s.close(ok('Logout completed'));
  },
};
