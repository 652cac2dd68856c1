// IDLE (RFC 2177): pushes untagged updates for the selected mailbox as they happen until DONE.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';

export const idle: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    args.end();
    s.write('+ idling\r\n');
    s.connection.setIdling(true);
    // The loop is inline, not a function of its own: a parked IDLE connection keeps one suspended
    // async frame fewer (issue #18, memory per IDLE connection).
    try {
      for (;;) {
        if (s.state === 'selected') await s.refresh(true);
        await s.notify?.flush();
        if (s.isStopping) {
          s.write('* BYE Server shutting down\r\n');
          s.destroy();
          return { replied: true };
        }
        const line = await s.readLineOrWake();
        if (line === null) return { replied: true };
        if (line === undefined) continue;
        if (line.toUpperCase() !== 'DONE') throw new ImapSyntaxError('Expected DONE');
        return { text: 'IDLE terminated' };
      }
    } finally {
      s.connection.setIdling(false);
    }
  },
};
