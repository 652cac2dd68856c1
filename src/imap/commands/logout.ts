// LOGOUT: BYE, then the tagged OK, then the server closes.
import type { CommandSpec } from '../types.js';

export const logout: CommandSpec = {
  states: ['notauth', 'auth', 'selected'],
  expungeAfter: false,
  async run(s, args) {
    args.end();
    s.untagged('BYE Logging out');
    s.unselect();
    s.state = 'logout';
  },
};
