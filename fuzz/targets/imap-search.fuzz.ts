// IMAP SEARCH end to end: the criteria parser (src/imap/search), the store's SQL compiler
// (src/store/sqlite/search-sql.ts) and its execution by SQLite, on a real server with a real store
// holding a small mailbox. The input is a search program, sent as `UID SEARCH <program>` on a
// logged-in connection with INBOX selected (CR and LF become spaces: it stays one command line).
//
// Invariants:
//  - the answer is a tagged OK, NO or BAD for the command: never BYE, NO [SERVERBUG], a closed
//    connection or no answer;
//  - every UID found exists in the mailbox;
//  - a program and its negation split the mailbox: `NOT (p)` finds exactly the messages `p` does
//    not (SQL's NULL logic, a wrong join or a wrong bound would put a message in neither or both).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startImap, type ImapHarness } from '../../test/imap/harness.js';
import { RawClient } from '../../test/imap/raw-client.js';
import { check, checkEqual, show } from '../support/invariant.js';

const USER = 'fuzz@example.org';
const PASS = 'fuzz-password';
const ANSWER_MS = 8000;

/** The store's mailbox: the MIME seed messages, with flags, keywords and dates of their own. */
async function fillMailbox(c: RawClient): Promise<void> {
  const dir = join(import.meta.dirname, '..', 'corpus', 'mime');
  const flags = ['(\\Seen)', '(\\Flagged $Forwarded)', '()', '(\\Answered \\Seen custom)', '(\\Draft)', '(\\Deleted)', '($Junk \\Seen)'];
  const files = readdirSync(dir).sort();
  for (const [i, name] of files.entries()) {
    const message = readFileSync(join(dir, name));
    const date = `"${String((i % 27) + 1).padStart(2, '0')}-${['Jan', 'Feb', 'Mar'][i % 3]}-20${20 + (i % 5)} 1${i % 10}:00:00 +0${i % 3}00"`;
    c.write(Buffer.concat([Buffer.from(`a${i} APPEND INBOX ${flags[i % flags.length]} ${date} {${message.length}+}\r\n`), message, Buffer.from('\r\n')]));
    const tagged = (await c.until(`a${i}`, 60_000)).at(-1)!;
    if (!tagged.startsWith(`a${i} OK`)) throw new Error(`APPEND ${name}: ${tagged}`);
  }
  for (const cmd of ['SELECT INBOX', 'STORE 3 +FLAGS (\\Deleted)', 'EXPUNGE']) {
    const tagged = (await c.command('p', cmd)).at(-1)!;
    if (!tagged.startsWith('p OK')) throw new Error(`${cmd}: ${tagged}`);
  }
}

const harness: ImapHarness = await startImap({ users: { [USER]: PASS } });
const client = await RawClient.loggedIn(harness.port, USER, PASS);
await fillMailbox(client);
const ALL = uidsOf(await client.command('x', 'UID SEARCH ALL'));
if (ALL.length < 5) throw new Error(`mailbox holds only ${ALL.length} messages`);

function uidsOf(lines: string[]): number[] {
  const found = lines.filter((l) => l.startsWith('* SEARCH'));
  check(found.length <= 1, () => `several SEARCH responses: ${show(lines)}`);
  if (found.length === 0) return [];
  const m = /^\* SEARCH((?: \d+)*)(?: \(MODSEQ \d+\))?$/.exec(found[0]!);
  check(m !== null, () => `malformed SEARCH response ${show(found[0])}`);
  return m[1]!.trim() === '' ? [] : m[1]!.trim().split(' ').map(Number);
}

let seq = 0;

async function search(program: Buffer): Promise<{ status: string; text: string; lines: string[] }> {
  const tag = `s${++seq}`;
  client.write(Buffer.concat([Buffer.from(`${tag} UID SEARCH `), program, Buffer.from('\r\n')]));
  check(!client.closed, 'the server closed the connection');
  let lines: string[];
  try {
    lines = await client.until(tag, ANSWER_MS);
  } catch (error) {
    throw new Error(`no tagged answer to UID SEARCH ${show(program.toString('latin1'))}: ${(error as Error).message}`, { cause: error });
  }
  const tagged = lines.at(-1)!;
  const m = new RegExp(`^${tag} (OK|NO|BAD)\\b ?(.*)$`).exec(tagged);
  check(m !== null, () => `tagged answer ${show(tagged)}`);
  check(!/SERVERBUG/i.test(tagged), () => `server bug for ${show(program.toString('latin1'))}: ${tagged}`);
  for (const l of lines.slice(0, -1)) {
    check(!l.startsWith('* BYE'), () => `BYE for ${show(program.toString('latin1'))}: ${l}`);
  }
  return { status: m[1]!, text: m[2]!, lines };
}

/** One command line: CR and LF would end it, and a trailing `{n}` would announce a literal. */
function asProgram(data: Buffer): Buffer {
  const line = Buffer.from(data.map((b) => (b === 0x0d || b === 0x0a ? 0x20 : b)));
  return /\}\s*$/.test(line.toString('latin1')) ? Buffer.concat([line, Buffer.from(' ALL')]) : line;
}

export async function fuzz(data: Buffer): Promise<void> {
  const program = asProgram(data);
  const r = await search(program);
  if (process.env.TESSERA_FUZZ_DEBUG) console.log(show(program.toString('latin1')), '→', r.lines.join(' | '));
  if (r.status !== 'OK') return;
  const found = uidsOf(r.lines);
  for (const uid of found) check(ALL.includes(uid), () => `UID ${uid} found by ${show(program.toString('latin1'))} is not in the mailbox`);
  // RETURN changes the response form (ESEARCH) and SAVE changes `$`; CHARSET cannot be negated.
  if (/^\s*(RETURN|CHARSET)\b/i.test(program.toString('latin1'))) return;
  const negated = await search(Buffer.concat([Buffer.from('NOT ('), program, Buffer.from(')')]));
  if (negated.status !== 'OK') {
    // Wrapping adds a nesting level and a criterion: at the bounds that alone may be refused.
    check(negated.status === 'BAD' && /nest|criteria/i.test(negated.text), () => `NOT (${show(program.toString('latin1'))}) refused: ${negated.lines.at(-1)}`);
    return;
  }
  const complement = uidsOf(negated.lines);
  const overlap = found.filter((u) => complement.includes(u));
  checkEqual(overlap, [], `UIDs both ${show(program.toString('latin1'))} and its negation find`);
  checkEqual([...found, ...complement].sort((a, b) => a - b), ALL, `${show(program.toString('latin1'))} and its negation together`);
}

/** Ends the connection and the server (the corpus replay calls it; a fuzzing run just exits). */
export async function close(): Promise<void> {
  client.close();
  await harness.close();
}
