// Command dispatch for one IMAP session: greets, reads framed commands one at a time in order,
// checks tag, name and state, runs the handler from the command table, and writes the tagged reply
// with the selected mailbox's updates before it. Handlers live in ./commands, one file each.
import type { FrameEvent, Segment } from './proto/framer.js';
import { tokenize, type Token } from './proto/tokens.js';
import { Args } from './proto/args.js';
import { ImapError } from './proto/errors.js';
import { COMMANDS } from './commands/index.js';
import { toImapError } from './error-mapping.js';
import type { ImapSession } from './session.js';
import { MESSAGE_COMMANDS } from './literal-spool.js';
import { sequenceNumbersRefused } from './uidonly.js';
import { auditDelegatedCommand } from './delegation-audit.js';
import { displayName } from './mailbox-name.js';

const UID_COMMANDS = ['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE', 'SORT', 'THREAD', 'REPLACE'];

function isValidTag(tag: string): boolean {
  return /^[\x21-\x7e]+$/.test(tag) && !/[(){%*"\\+]/.test(tag);
}

/** Runs the session until LOGOUT, the client leaving, or shutdown. */
export async function runSession(s: ImapSession): Promise<void> {
  s.write(`* OK [CAPABILITY ${s.capabilities().join(' ')}] ${s.config.helloName} IMAP4rev1 server ready\r\n`);
  while (!s.isClosed && s.state !== 'logout') {
    const ev = await s.connection.nextEvent('command');
    if (!ev) break;
    // Output back-pressure: a client that has not read our replies gets no further command run (its
    // input stays unread), so what we hold for it stays below the high-water mark plus one reply.
    // Fairness: each command waits for its turn, however it arrived (pipelined, or just read from the
    // socket), so a connection with thousands of commands pipelined, or many connections at once,
    // cannot hold the process while others (a user logging in, a connection to accept) wait.
    await s.connection.readyForNextCommand();
    if (s.isClosed) break;
    s.connection.batchReplies();
    if (ev.type === 'continue') {
      s.write('+ Ready for literal data\r\n');
      continue;
    }
    if (ev.type === 'reject') {
      handleReject(s, ev);
      continue;
    }
    if (ev.type === 'line') continue;
    await s.beginCommand();
    try {
      await dispatch(s, tokenizeSafe(ev.segments, s));
    } catch (err) {
      s.logger.error({ err }, 'imap command crashed');
      s.write('* BYE Internal server error\r\n');
      s.destroy();
      return;
    } finally {
      await discardSpooled(s, ev.segments);
      s.endCommand();
    }
    if (s.isStopping && !s.isClosed) {
      s.write('* BYE Server shutting down\r\n');
      s.destroy();
    }
  }
  if (s.state === 'logout') s.destroy();
}

/**
 * Removes the spool files of a command's literals once it is done, whatever became of it (stored,
 * refused, a syntax error): the store renamed the ones it took, so those are left alone.
 */
async function discardSpooled(s: ImapSession, segments: Segment[]): Promise<void> {
  for (const seg of segments) {
    if (seg.kind !== 'spooled') continue;
    await seg.message.discard().catch((err: unknown) => s.logger.warn({ err, file: seg.message.path }, 'could not remove a spool file'));
  }
}

/**
 * A command refused by the framer's limits, before its oversized part was read. Before
 * authentication the limits are the small pre-login ones; a client that sends a line past them there
 * is not a mail client (a login fits), and is disconnected rather than answered line after line.
 */
function handleReject(s: ImapSession, ev: Extract<FrameEvent, { type: 'reject' }>): void {
  const tag = ev.tag;
  const limits = s.connection.limits;
  const preAuth = s.state === 'notauth';
  const when = preAuth ? ' before authentication' : '';
  if (ev.reason === 'literal-too-big') {
    const text = `Literal too large (limit ${limits.maxLiteralSize} bytes${when})`;
    // RFC 4469/7889: APPEND (or REPLACE) of a message over the limit is NO [TOOBIG]; anything else is BAD.
    s.write(MESSAGE_COMMANDS.has(ev.command) && !preAuth ? `${tag} NO [TOOBIG] ${text}\r\n` : `${tag} BAD [TOOBIG] ${text}\r\n`);
    if (ev.fatal) {
      // The literal's bytes are already on their way and we cannot tell where it ends.
      s.write('* BYE Non-synchronising literal over the limit\r\n');
      s.destroy();
    }
    return;
  }
  s.write(`${tag} BAD [TOOBIG] Command line too long (limit ${limits.maxLineLength} bytes${when})\r\n`);
  if (preAuth) {
    s.write('* BYE Too much input before authentication\r\n');
    s.destroy();
  }
}

async function dispatch(s: ImapSession, tokens: Token[] | ImapError): Promise<void> {
  if (Array.isArray(tokens) && tokens.length === 0) return;
  if (tokens instanceof ImapError) {
    s.write(`* BAD ${tokens.message}\r\n`);
    return;
  }
  const first = tokens[0];
  if (!first || first.type !== 'atom' || !isValidTag(first.value)) {
    s.write('* BAD Invalid tag\r\n');
    return;
  }
  const tag = first.value;
  const second = tokens[1];
  if (!second || second.type !== 'atom') {
    s.write(`${tag} BAD Missing command\r\n`);
    return;
  }
  let name = second.value.toUpperCase();
  let uid = false;
  let rest = tokens.slice(2);
  if (name === 'UID') {
    const third = tokens[2];
    if (!third || third.type !== 'atom') {
      s.write(`${tag} BAD Missing UID command\r\n`);
      return;
    }
    name = third.value.toUpperCase();
    uid = true;
    rest = tokens.slice(3);
    if (!UID_COMMANDS.includes(name)) {
      s.write(`${tag} BAD Unknown UID command\r\n`);
      return;
    }
  }
  const spec = COMMANDS[name];
  if (!spec) {
    s.write(`${tag} BAD Unknown command\r\n`);
    return;
  }
  if (!spec.states.includes(s.state)) {
    const why = s.state === 'notauth' ? 'Not authenticated' : s.state === 'auth' ? 'No mailbox selected' : 'Not allowed in this state';
    s.write(`${tag} BAD ${why}\r\n`);
    return;
  }
  const refused = sequenceNumbersRefused(s, name, uid);
  if (refused) {
    s.write(`${tag} BAD [${refused.code}] ${refused.message}\r\n`);
    return;
  }
  const wasSelected = s.selected;
  const stillSelected = (): boolean => s.selected !== undefined && s.selected === wasSelected && s.state === 'selected';
  const audited = { name, uid, args: rest, mailbox: wasSelected ? displayName(s, wasSelected.owner, wasSelected.path) : undefined };
  try {
    const ok = await spec.run(s, new Args(rest), { tag, name, uid });
    auditDelegatedCommand(s, audited, 'OK');
    if (s.isClosed || ok?.replied) return;
    if (stillSelected()) await s.refresh(spec.expungeAfter || uid);
    await s.notify?.flush();
    const code = ok?.code ? `[${ok.code}] ` : '';
    s.write(`${tag} OK ${code}${ok?.text ?? `${uid ? 'UID ' : ''}${name} completed`}\r\n`);
  } catch (err) {
    if (s.isClosed) return;
    let e = toImapError(err);
    if (!e) {
      // An unexpected failure (a bug, a database error): answer this command, keep the session.
      s.logger.error({ err, command: name }, 'imap command failed');
      e = new ImapError('NO', 'Internal server error', 'SERVERBUG');
    }
    auditDelegatedCommand(s, audited, e.status);
    if (stillSelected() && e.status === 'NO') await s.refresh(spec.expungeAfter || uid).catch(() => undefined);
    await s.notify?.flush().catch((err: unknown) => s.logger.warn({ err }, 'imap NOTIFY notifications failed'));
    const code = e.code ? `[${e.code}] ` : '';
    s.write(`${tag} ${e.status} ${code}${e.message}\r\n`);
  }
}

function tokenizeSafe(segments: Parameters<typeof tokenize>[0], s: ImapSession): Token[] | ImapError {
  try {
    return tokenize(segments, true);
  } catch (err) {
    if (err instanceof ImapError) {
      // Report with the tag when the start of the line is readable.
      const firstText = segments[0]?.kind === 'text' ? segments[0].data.toString('latin1') : '';
      const tag = firstText.split(' ')[0] ?? '*';
      if (isValidTag(tag)) {
        s.write(`${tag} BAD ${err.message}\r\n`);
        return [];
      }
      return err;
    }
    throw err;
  }
}
