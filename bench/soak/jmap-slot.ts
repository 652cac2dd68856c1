// One JMAP client of the soak, as a web mail client keeps one: an EventSource stream of state changes
// (RFC 8620 §7.3) open all the time, and now and then a request for the newest emails (Email/query
// with Email/get); after a few requests the stream is reopened.
import { withDeadline } from '../../test/support/wait.js';
import { OP_TIMEOUT_MS, type SoakContext } from './context.js';
import { SoakJmapClient, type EventStream } from './jmap-http.js';

export async function jmapSlot(ctx: SoakContext, index: number): Promise<void> {
  const client = new SoakJmapClient(ctx.server.jmapUrl, ctx.user(index), ctx.password, ctx.userAddress(index));
  const within = <T>(what: string, p: Promise<T>): Promise<T> => withDeadline(p, OP_TIMEOUT_MS, what);
  let established = false;
  try {
    while (!ctx.stopping) {
      let stream: EventStream | undefined;
      try {
        const accountId = await ctx.stats.time('jmap-session', () => within('JMAP session', client.session()));
        const s = await ctx.stats.time('jmap-es-open', () =>
          within('EventSource open', client.eventSource('/eventSource?types=*&closeafter=no&ping=60', (text) => ctx.stats.count('push events', text.split('event: state').length - 1))),
        );
        stream = s;
        ctx.open.eventSource++;
        if (!established) {
          established = true;
          ctx.established.eventSource++;
        }
        // The stream must not end unless we end it.
        let ended: Error | undefined;
        let wake: (() => void) | undefined;
        void s.ended.then((why) => {
          ended = why;
          wake?.();
        });
        const calls = ctx.pickInt(ctx.pacing.apiCalls);
        for (let i = 0; i < calls && !ctx.stopping; i++) {
          const pause = ctx.sleep(ctx.pick(ctx.pacing.apiPause));
          wake = pause.wake;
          await pause.done;
          wake = undefined;
          if (ctx.stopping) break;
          if (ended) throw new Error(`EventSource: ${ended.message}`);
          const responses = await ctx.stats.time('jmap-api', () =>
            within(
              'JMAP Email/query + Email/get',
              client.call([
                ['Email/query', { accountId, sort: [{ property: 'receivedAt', isAscending: false }], limit: 10 }, 'q'],
                ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'from', 'receivedAt', 'size'] }, 'g'],
              ]),
            ),
          );
          const failed = responses.find(([name]) => name === 'error');
          if (failed) throw new Error(`JMAP method error: ${JSON.stringify(failed[1])}`);
        }
      } catch (err) {
        if (!ctx.stopping) {
          ctx.stats.error('jmap', err);
          await ctx.sleep(1000).done;
        }
      } finally {
        if (stream) {
          ctx.open.eventSource--;
          stream.close();
        }
      }
    }
  } finally {
    client.destroy();
  }
}
