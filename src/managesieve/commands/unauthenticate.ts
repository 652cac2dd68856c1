// UNAUTHENTICATE (RFC 5804 §2.14.1): back to the non-authenticated state, so another user may log in
// on the same connection. The session leaves session control until the next login.
import { no, ok } from '../proto/response.js';
import type { Command } from './types.js';

export const unauthenticate: Command = {
  authenticated: true,
  run(s, args) {
    if (args.length !== 0) return s.send(no('Syntax: UNAUTHENTICATE'));
    s.log.info({ user: s.principal?.user }, 'unauthenticated');
    s.unauthenticate();
    s.send(ok('Unauthenticate completed'));
  },
};
