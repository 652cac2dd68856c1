// One SMTP submission client of the soak: connects, EHLO, AUTH PLAIN, submits one to three messages
// (one or two local recipients each), QUIT; pauses, and again. The messages reach the recipients'
// INBOXes, where the soak's IMAP IDLE and JMAP EventSource clients see them arrive.
import { RawSmtpClient, type RawReply } from '../../test/smtp/raw-client.js';
import { withDeadline } from '../../test/support/wait.js';
import { OP_TIMEOUT_MS, soakMessage, type SoakContext } from './context.js';

export async function smtpSlot(ctx: SoakContext, index: number): Promise<void> {
  const user = ctx.user(index);
  const plain = Buffer.from(`\0${user}\0${ctx.password}`).toString('base64');
  const within = <T>(what: string, p: Promise<T>): Promise<T> => withDeadline(p, OP_TIMEOUT_MS, what);
  const expect = async (code: number, what: string, reply: Promise<RawReply>): Promise<void> => {
    const r = await within(what, reply);
    if (r.code !== code) throw new Error(`${what}: expected ${code}, got ${r.text}`);
  };
  let established = false;
  while (!ctx.stopping) {
    await ctx.sleep(ctx.pick(ctx.pacing.smtpPause)).done;
    if (ctx.stopping) break;
    let client: RawSmtpClient | undefined;
    let open = false;
    try {
      const start = performance.now();
      const { client: c, greeting } = await ctx.stats.time('smtp-connect', () => within('SMTP connect', RawSmtpClient.connect(ctx.server.submissionPort, { localAddress: ctx.userAddress(index) })));
      client = c;
      if (greeting.code !== 220) throw new Error(`greeting: ${greeting.text}`);
      ctx.open.smtp++;
      open = true;
      await expect(250, 'EHLO', c.command('EHLO soak.client'));
      await ctx.stats.time('smtp-auth', () => expect(235, 'AUTH PLAIN', c.command(`AUTH PLAIN ${plain}`)));
      if (!established) {
        established = true;
        ctx.established.smtp++;
      }
      const messages = ctx.pickInt(ctx.pacing.smtpMessages);
      for (let i = 0; i < messages; i++) {
        const recipients = [ctx.randomUser(), ...(Math.random() < 0.5 ? [ctx.randomUser()] : [])];
        const unique = [...new Set(recipients)];
        await ctx.stats.time('smtp-submit', async () => {
          await expect(250, 'MAIL FROM', c.command(`MAIL FROM:<${user}>`));
          for (const rcpt of unique) await expect(250, 'RCPT TO', c.command(`RCPT TO:<${rcpt}>`));
          await expect(354, 'DATA', c.command('DATA'));
          const body = soakMessage(user, unique.join(', '), `soak ${index}.${i}`).toString('latin1');
          await expect(250, 'end of DATA', c.command(`${body}\r\n.`));
        });
        ctx.stats.count('smtp messages');
        ctx.stats.count('smtp deliveries', unique.length);
      }
      await expect(221, 'QUIT', c.command('QUIT'));
      ctx.stats.record('smtp-session', performance.now() - start);
    } catch (err) {
      if (!ctx.stopping) ctx.stats.error('smtp', err);
    } finally {
      if (open) ctx.open.smtp--;
      client?.close();
    }
  }
}
