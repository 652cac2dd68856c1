// The failed-login throttle of a worker when several server processes share the listeners: every
// settled attempt goes to the primary, which hands it to the other workers (as it does events), and
// theirs come back here. The throttle counts them as its own, so the allowance of an address or
// of an address + user is one for the whole server, not one per process.
import type { SharedOutcome, ThrottleShare } from '../../auth/throttle/login-throttle.js';
import type { IpcChannel } from './event-bus.js';
import { asClusterMessage, type ClusterMessage } from './messages.js';

export function clusterThrottleShare(channel: IpcChannel<ClusterMessage>): ThrottleShare {
  return {
    send(outcome: SharedOutcome): void {
      if (channel.connected === false || !channel.send) return;
      try {
        channel.send({ tessera: 'throttle', ...outcome });
      } catch {
        // The channel is closing with this process: nobody is left to count for.
      }
    },
    onReceive(handler: (outcome: SharedOutcome) => void): () => void {
      const listener = (raw: unknown): void => {
        const message = asClusterMessage(raw);
        if (message?.tessera !== 'throttle') return;
        handler({ result: message.result, peer: message.peer, ...(message.user !== undefined ? { user: message.user } : {}) });
      };
      channel.on('message', listener);
      return () => channel.off('message', listener);
    },
  };
}
