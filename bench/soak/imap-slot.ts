// One IMAP client of the soak, as a mail client keeps one: LOGIN, SELECT INBOX, then rounds of IDLE
// (new mail arrives as EXISTS), FETCH of the newest messages, sometimes an APPEND, and when the
// mailbox has grown large an expunge of the oldest messages; after a few rounds LOGOUT and again.
import { ImapClient } from '../support/imap-client.js';
import { withDeadline } from '../../test/support/wait.js';
import { MAILBOX_KEEP, MAILBOX_TRIM_AT, OP_TIMEOUT_MS, soakMessage, type SoakContext } from './context.js';

/** Newest messages fetched whole each round. */
const FETCH_NEWEST = 5;

export async function imapSlot(ctx: SoakContext, index: number): Promise<void> {
  const user = ctx.user(index);
  const timed = <T>(kind: string, op: () => Promise<T>): Promise<T> => ctx.stats.time(kind, () => withDeadline(op(), OP_TIMEOUT_MS, kind));
  let established = false;
  while (!ctx.stopping) {
    let client: ImapClient | undefined;
    let loggedIn = false;
    try {
      const c = await timed('imap-connect', () => ImapClient.connect(ctx.server.imapPort, ctx.userAddress(index)));
      client = c;
      let exists = 0;
      let lost: Error | undefined;
      let wakeIdle: (() => void) | undefined;
      c.onUntagged = (line) => {
        const m = /^\* (\d+) (EXISTS|EXPUNGE)/.exec(line);
        if (!m) return;
        if (m[2] === 'EXISTS') exists = Number(m[1]);
        else exists--;
        if (wakeIdle) ctx.stats.count(`idle ${m[2]!.toLowerCase()}`);
      };
      c.onClosed = (e) => {
        lost = e;
        wakeIdle?.();
      };
      await timed('imap-login', () => c.command(`LOGIN ${user} ${ctx.password}`));
      await timed('imap-select', () => c.command('SELECT INBOX'));
      loggedIn = true;
      ctx.open.imap++;
      if (!established) {
        established = true;
        ctx.established.imap++;
      }
      const rounds = ctx.pickInt(ctx.pacing.imapRounds);
      for (let round = 0; round < rounds && !ctx.stopping; round++) {
        const idling = await timed('imap-idle', () => c.idle());
        ctx.open.idling++;
        const pause = ctx.sleep(ctx.pick(ctx.pacing.idle));
        wakeIdle = pause.wake;
        await pause.done;
        wakeIdle = undefined;
        ctx.open.idling--;
        if (lost) throw new Error(`connection lost during IDLE: ${lost.message}`);
        if (ctx.stopping) break;
        await timed('imap-idle-done', () => idling.done());
        if (exists > 0) {
          const first = Math.max(1, exists - FETCH_NEWEST + 1);
          const r = await timed('imap-fetch', () => c.command(`FETCH ${first}:${exists} (UID FLAGS RFC822.SIZE BODY.PEEK[])`));
          ctx.stats.count('imap fetched', r.fetches);
        }
        if (Math.random() < ctx.pacing.appendShare) {
          await timed('imap-append', () => c.append('INBOX', soakMessage(user, user, `appended ${index}.${round}`)));
        }
        if (exists > MAILBOX_TRIM_AT) {
          const last = exists - MAILBOX_KEEP;
          await timed('imap-expunge', async () => {
            await c.command(`STORE 1:${last} +FLAGS.SILENT (\\Deleted)`);
            await c.command('EXPUNGE');
          });
        }
      }
      if (!ctx.stopping) await timed('imap-logout', () => c.command('LOGOUT'));
    } catch (err) {
      if (!ctx.stopping) {
        ctx.stats.error('imap', err);
        await ctx.sleep(1000).done;
      }
    } finally {
      if (loggedIn) ctx.open.imap--;
      client?.close();
    }
  }
}
