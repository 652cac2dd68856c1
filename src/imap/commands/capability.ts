// CAPABILITY, NOOP, CHECK and LOGOUT: the commands valid in every state or with no arguments.
import type { CommandSpec } from '../types.js';

export const capability: CommandSpec = {
  states: ['notauth', 'auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    args.end();
    s.untagged(`CAPABILITY ${s.capabilities().join(' ')}`);
  },
};
