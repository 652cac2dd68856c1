// Runs one parsed imaptest script against a server: start-up state (login, clean test mailboxes,
// create, append, select on every connection), then each command group, matching replies the way
// imaptest does. Returns failures as text; an empty list means the script passed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapTestClient, replyStatus } from './client.js';
import { Variables, expandAll, matchArgs, NO_MATCH_ALL } from './match.js';
import { argsToString, parseArgs, type Arg } from './args.js';
import { parseMbox, type MboxMessage } from './mbox.js';
import type { Script, CommandGroup } from './script.js';

export interface RunTarget {
  port: number;
  user: string;
  password: string;
  /** Test mailbox name (imaptest default: "imaptest"). */
  mailbox: string;
  /** Second user for scripts with `user N: $user2` headers. */
  user2?: { user: string; password: string };
}

export type ScriptOutcome = { result: 'passed' } | { result: 'skipped'; missing: string[] } | { result: 'failed'; failures: string[] };

const REPLY_TIMEOUT = 15_000;

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

class MboxSource {
  private next = 0;
  constructor(private readonly messages: MboxMessage[]) {}
  get size(): number {
    return this.messages.length;
  }
  get eof(): boolean {
    return this.next >= this.messages.length;
  }
  take(): MboxMessage {
    const m = this.messages[this.next % this.messages.length]!;
    this.next++;
    return m;
  }
}

function appendCommand(args: string, msg: MboxMessage): string {
  const date = msg.internalDate ? ` "${msg.internalDate}"` : '';
  return `APPEND ${args}${date} {${Buffer.byteLength(msg.data, 'latin1')}}\r\n${msg.data}`;
}

/** Does `append <args>` already carry a message (literal or CATENATE)? */
function appendHasBody(args: string): boolean {
  try {
    const a = parseArgs(args);
    let i = 1;
    if (a[i]?.t === 'list') i++;
    if (a[i]?.t === 'string' && !(a[i] as { literal?: boolean }).literal) i++;
    const x = a[i];
    return !!x && ((x.t === 'string' && x.literal === true) || (x.t === 'atom' && x.v.toUpperCase() === 'CATENATE'));
  } catch {
    return /\{\d+\+?\}\r\n/.test(args);
  }
}

export async function runScript(script: Script, dir: string, target: RunTarget): Promise<ScriptOutcome> {
  const failures: string[] = [];
  let mboxText: string;
  try {
    mboxText = await readFile(join(dir, `${script.name}.mbox`), 'latin1');
  } catch {
    mboxText = await readFile(join(dir, 'default.mbox'), 'latin1');
  }
  const source = new MboxSource(parseMbox(mboxText));
  const vars = new Variables();
  const [username, domain] = target.user.includes('@') ? target.user.split('@') : [target.user, 'localhost'];
  vars.values.set('user', target.user);
  vars.values.set('username', username!);
  vars.values.set('domain', domain!);
  vars.values.set('password', target.password);
  vars.values.set('mailbox', target.mailbox);
  vars.values.set('mailbox_url', encodeURIComponent(target.mailbox));
  const loginOf = (i: number): { user: string; password: string } => {
    const u = script.users.get(i);
    if (u === '$user2' || u === '${user2}') return target.user2!;
    return { user: target.user, password: target.password };
  };
  if ([...script.users.values()].some((u) => u === '$user2' || u === '${user2}')) {
    if (!target.user2) return { result: 'skipped', missing: ['user2'] };
    const [u2, d2] = target.user2.user.split('@');
    vars.values.set('user2', target.user2.user);
    vars.values.set('username2', u2!);
    vars.values.set('domain2', d2 ?? 'localhost');
    vars.values.set('password2', target.user2.password);
  }

  const clients: ImapTestClient[] = [];
  try {
    for (let i = 0; i < script.connections; i++) clients.push(await ImapTestClient.connect(target.port, i + 1));
    const first = clients[0]!;
    const setupFail = (what: string, r: unknown): ScriptOutcome => ({ result: 'failed', failures: [`start-up ${what} failed: ${JSON.stringify(r)}`] });

    if (script.state === 'nonauth') {
      const missing = script.capabilities.filter((c) => !first.capabilities.includes(c.toUpperCase()));
      if (missing.length > 0) return { result: 'skipped', missing };
    } else {
      for (const [i, c] of clients.entries()) {
        const who = loginOf(i);
        const r = await c.command(`LOGIN ${quote(who.user)} ${quote(who.password)}`);
        if (replyStatus(r) !== 'OK') return setupFail('LOGIN', r?.args);
      }
      if (!(await first.command('CAPABILITY'))) return setupFail('CAPABILITY', undefined);
      const missing = script.capabilities.filter((c) => !first.capabilities.includes(c.toUpperCase()));
      if (missing.length > 0) return { result: 'skipped', missing };
      // Delete leftovers of the test mailboxes (children first) and their subscriptions.
      first.untagged.length = 0;
      await first.command(`LIST "" ${quote(target.mailbox + '*')}`);
      const boxes = first.untagged.filter((u) => u[0]?.t === 'atom' && u[0].v.toUpperCase() === 'LIST').map((u) => (u[3] && 'v' in u[3] ? u[3].v : ''));
      first.untagged.length = 0;
      await first.command(`LSUB "" ${quote(target.mailbox + '*')}`);
      const subs = first.untagged.filter((u) => u[0]?.t === 'atom' && u[0].v.toUpperCase() === 'LSUB').map((u) => (u[3] && 'v' in u[3] ? u[3].v : ''));
      first.untagged.length = 0;
      for (const b of boxes.sort().reverse()) await first.command(`DELETE ${quote(b)}`);
      for (const b of subs.sort().reverse()) await first.command(`UNSUBSCRIBE ${quote(b)}`);
      if (script.state !== 'auth') {
        if (target.mailbox.toUpperCase() !== 'INBOX') {
          const r = await first.command(`CREATE ${quote(target.mailbox)}`);
          if (replyStatus(r) !== 'OK') return setupFail('CREATE', r?.args);
        }
        if (script.state === 'appended' || script.state === 'selected') {
          let left = script.messages;
          while (left > 0 && (!source.eof || script.messages !== Infinity)) {
            left--;
            const r = await first.command(appendCommand(quote(target.mailbox), source.take()));
            if (replyStatus(r) !== 'OK') return setupFail('APPEND', r?.args);
          }
        }
        if (script.state === 'selected') {
          // A connection logged in as the second user selects its own (fresh, empty) test mailbox.
          for (const [i, c] of clients.entries()) {
            if (i > 0 && loginOf(i).user !== target.user) await c.command(`CREATE ${quote(target.mailbox)}`);
          }
          for (const c of clients) {
            const r = await c.command(`SELECT ${quote(target.mailbox)}`);
            if (replyStatus(r) !== 'OK') return setupFail('SELECT', r?.args);
          }
        }
      }
    }
    for (const c of clients) c.untagged.length = 0;

    for (const group of script.groups) {
      const err = await runGroup(script, group, clients, vars, source, target);
      failures.push(...err);
      if (group.sleepMs > 0) await new Promise((r) => setTimeout(r, group.sleepMs));
      if (err.length > 0) break;
    }
    return failures.length > 0 ? { result: 'failed', failures } : { result: 'passed' };
  } finally {
    for (const c of clients) {
      if (!c.closed) c.close();
    }
  }
}

async function runGroup(
  script: Script,
  group: CommandGroup,
  clients: ImapTestClient[],
  vars: Variables,
  source: MboxSource,
  target: RunTarget,
): Promise<string[]> {
  const client = clients[group.connection]!;
  const where = `line ${group.commands[0]?.line ?? '?'}`;
  const fail: string[] = [];
  vars.seqmap = Array.from({ length: client.exists }, (_, i) => i + 1);
  const found = new Array<boolean>(group.untagged.length).fill(false);
  let firstExtra: string | undefined;

  const sent: Array<{ tag: string; cmd: (typeof group.commands)[number]; text: string }> = [];
  for (const cmd of group.commands) {
    let text: string;
    try {
      text = expandAll(vars, cmd.text);
    } catch (err) {
      return [`${where}: ${(err as Error).message}`];
    }
    const lower = text.toLowerCase();
    if (lower === 'append') text = appendCommand(quote(target.mailbox), source.take());
    else if (lower.startsWith('append ') && !appendHasBody(text.slice(7))) text = appendCommand(text.slice(7), source.take());
    const tag = client.newTag();
    sent.push({ tag, cmd, text });
    await client.send(tag, text);
  }
  const firstTag = sent[0]?.tag;
  const consumeUntagged = (): void => {
    while (client.untagged.length > 0) {
      const args = client.untagged.shift()!;
      const a0 = args[0];
      const prefix = a0?.t === 'atom' && ['OK', 'NO', 'BAD', 'BYE'].includes(a0.v.toUpperCase());
      let any = false;
      for (let i = 0; i < group.untagged.length; i++) {
        if (found[i]) continue;
        const exp = group.untagged[i]!;
        if (firstTag) vars.values.set('tag', firstTag);
        const r = matchArgs(vars, exp.args, args, NO_MATCH_ALL, prefix);
        vars.values.delete('tag');
        if (r === NO_MATCH_ALL) {
          if (exp.existence === 'mustnot') {
            fail.push(`${where}: unexpected untagged match: ${argsToString(exp.args)} — reply: ${argsToString(args)}`);
            return;
          }
          found[i] = true;
          any = true;
          vars.added = [];
          if (group.ordered) break;
          continue;
        }
        vars.revert();
        if (group.ordered && exp.existence === 'must') break;
      }
      if (!any && !script.ignoreExtraUntagged && !firstExtra) firstExtra = argsToString(args);
      // Keep the $N sequence map current.
      if (a0?.t === 'atom' && /^\d+$/.test(a0.v) && args[1]?.t === 'atom' && args[1].v.toUpperCase() === 'EXPUNGE') vars.expunged(Number(a0.v));
    }
  };
  for (const s of sent) {
    const ok = await client.waitFor(() => {
      consumeUntagged();
      return client.tagged.has(s.tag) || client.closed;
    }, REPLY_TIMEOUT);
    consumeUntagged();
    const reply = client.tagged.get(s.tag);
    client.tagged.delete(s.tag);
    if (!reply) {
      if (client.closed && group.haveBye) continue;
      fail.push(`${where}: ${ok ? 'connection closed' : 'timeout'} waiting for reply to: ${s.text.slice(0, 200)}`);
      continue;
    }
    const expected = s.cmd.reply;
    if (expected) {
      vars.values.set('tag', s.tag);
      const r = matchArgs(vars, expected, reply.args, NO_MATCH_ALL, true);
      vars.values.delete('tag');
      if (r !== NO_MATCH_ALL) fail.push(`${where}: expected tagged '${argsToString(expected)}', got '${argsToString(reply.args)}' for: ${s.text.slice(0, 200)}`);
    }
  }
  // BYE after LOGOUT may arrive just before the close.
  consumeUntagged();
  group.untagged.forEach((u, i) => {
    if (u.existence === 'must' && !found[i]) fail.push(`${where}: missing untagged: ${argsToString(u.args)} (command: ${group.commands[0]?.text.slice(0, 120)})`);
  });
  if (firstExtra) fail.push(`${where}: unexpected untagged reply: ${firstExtra}`);
  return fail;
}

export type { Arg };
