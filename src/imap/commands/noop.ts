// NOOP and CHECK: nothing to do beyond the untagged updates every command boundary sends.
import type { CommandSpec } from '../types.js';

export const noop: CommandSpec = {
  states: ['notauth', 'auth', 'selected'],
  expungeAfter: true,
  async run(_s, args) {
    args.end();
  },
};

export const check: CommandSpec = {
  states: ['selected'],
  expungeAfter: true,
  async run(_s, args) {
    args.end();
  },
};
