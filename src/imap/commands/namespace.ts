// NAMESPACE (RFC 2342): one personal namespace, no others.
import type { CommandSpec } from '../types.js';

export const namespace: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    args.end();
    s.untagged('NAMESPACE (("" "/")) NIL NIL');
  },
};
